package org.calvinseq.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.server.RaftServer;
import org.calvinseq.client.ProposalRejectedException;
import org.calvinseq.client.StaleEpochException;
import org.calvinseq.core.codec.ProposalLimits;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.protocol.BatchReceipt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inbox's proposer against a real one-member node: its epochs take the server's client-request
 * path (validated, sequenced in call order) and its failures read as a client's would.
 */
class LocalProposerTest {
  @TempDir Path dir;

  @Test
  void proposesInOrderAndMapsRefusalsLikeAClient() throws Exception {
    try (SequencerNode node = OneMember.builder(dir).vshardCount(8).build()) {
      node.start();
      OneMember.awaitLeaderReady(node);
      LocalProposer proposer = node.localProposer();

      BatchReceipt first =
          proposer.propose(batch(EpochBatch.AUTO_EPOCH, 3)).get(30, TimeUnit.SECONDS);
      BatchReceipt second =
          proposer.propose(batch(EpochBatch.AUTO_EPOCH, 2)).get(30, TimeUnit.SECONDS);
      assertThat(first.txnCount()).isEqualTo(3);
      assertThat(second.txnCount()).isEqualTo(2);
      assertThat(second.epoch()).as("call order is log order").isEqualTo(first.epoch() + 1);

      long tooFar = second.epoch() + ProposalLimits.DEFAULT_MAX_EPOCH_GAP + 10;
      assertThatThrownBy(() -> proposer.propose(batch(tooFar, 1)).get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .as("the leader's startTransaction refuses it: bad input, not retried")
          .isInstanceOf(ProposalRejectedException.class)
          .hasMessageContaining(Long.toString(tooFar));

      assertThatThrownBy(() -> proposer.propose(batch(first.epoch(), 1)).get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(StaleEpochException.class);

      BatchReceipt third =
          proposer.propose(batch(EpochBatch.AUTO_EPOCH, 1)).get(30, TimeUnit.SECONDS);
      assertThat(third.epoch()).as("neither refusal took an epoch").isEqualTo(second.epoch() + 1);
    }
  }

  @Test
  void proposesToTheGroupsDivisionWithoutTheServersHandOff() throws Exception {
    try (SequencerNode node = OneMember.builder(dir).vshardCount(8).build()) {
      node.start();
      OneMember.awaitLeaderReady(node);
      RaftServer server = node.raftServer();
      RaftServer.Division division = server.getDivision(server.getGroupIds().iterator().next());
      assertThat(node.localProposer().route(server))
          .as("the division, not the server (which hands requests to another thread)")
          .isSameAs(division);
    }
  }

  private static EpochBatch batch(long epoch, int txns) {
    List<Txn> list =
        java.util.stream.IntStream.range(0, txns)
            .mapToObj(i -> new Txn(null, 1, List.of(), List.of(Key.of("c", "k" + i)), new byte[8]))
            .toList();
    return new EpochBatch(epoch, System.currentTimeMillis(), list);
  }
}
