package org.calvinseq.it.fault;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.TxnId;
import org.calvinseq.it.fault.History.Applied;
import org.calvinseq.it.fault.History.ConsumerStream;
import org.calvinseq.it.fault.History.EngineReplica;
import org.calvinseq.it.fault.History.LoggedTxn;
import org.calvinseq.it.fault.History.NodeLog;
import org.calvinseq.it.fault.History.Segment;

/**
 * The one judge of every fault test. Given a {@link History}, it reports each way the run broke the
 * sequencer's promises:
 *
 * <ol>
 *   <li><b>complete logs</b>: every log holds, in its epoch range, every txn any other log holds
 *       there (a position no log holds is a retry the apply path did not sequence again);
 *   <li><b>agreement</b>: two logs that hold a position hold the same txn there reaching the same
 *       vshards (no split brain: no epoch committed twice with different content);
 *   <li><b>exactly once</b>: no client txn id is sequenced twice, and every acknowledged submission
 *       is in the log at the id the client was given;
 *   <li><b>consumers</b>: each scheduler applied its vshard's txns in strictly increasing order
 *       within each subscription, only txns the log holds there, and, over all its subscriptions,
 *       every txn of its vshard up to the final epoch;
 *   <li><b>engines</b>: every replica reached the final epoch, saw no order violation, and has the
 *       same state digest.
 * </ol>
 *
 * Each violation is one line naming what and where; at most {@link #MAX_PER_RULE} per rule.
 */
final class HistoryChecker {
  static final int MAX_PER_RULE = 20;

  private final History h;
  private final Map<String, List<String>> violations = new LinkedHashMap<>();

  private HistoryChecker(History h) {
    this.h = h;
  }

  /** Every violation found; empty when the history keeps every promise. */
  static List<String> check(History h) {
    HistoryChecker c = new HistoryChecker(h);
    TreeMap<Long, List<LoggedTxn>> merged = c.checkLogs();
    Map<ClientTxnId, List<TxnId>> placements = c.checkExactlyOnce(merged);
    c.checkAcknowledged(merged, placements);
    c.checkConsumers(merged);
    c.checkEngines();
    List<String> out = new ArrayList<>();
    c.violations.values().forEach(out::addAll);
    return out;
  }

  private void report(String rule, String message) {
    List<String> l = violations.computeIfAbsent(rule, r -> new ArrayList<>());
    if (l.size() < MAX_PER_RULE) {
      l.add(rule + ": " + message);
    } else if (l.size() == MAX_PER_RULE) {
      l.add(rule + ": ... (more)");
    }
  }

  /**
   * Rules 1 and 2; returns the agreed content of every epoch any log holds. A position that no log
   * holds is not a gap: the apply path left it empty on every replica because its txn was a retry
   * of one sequenced earlier, and an epoch may consist only of such positions. A txn lost outright
   * is caught by rule 3 when it was acknowledged; an unacknowledged one is not a promise.
   */
  private TreeMap<Long, List<LoggedTxn>> checkLogs() {
    TreeMap<Long, List<LoggedTxn>> merged = new TreeMap<>();
    Map<TxnId, String> firstSource = new HashMap<>();
    for (NodeLog log : h.logs()) {
      for (Map.Entry<Long, List<LoggedTxn>> en :
          log.epochs().subMap(log.firstEpoch(), true, log.lastEpoch(), true).entrySet()) {
        long e = en.getKey();
        List<LoggedTxn> into = merged.computeIfAbsent(e, k -> new ArrayList<>());
        List<LoggedTxn> txns = en.getValue();
        for (int p = 0; p < txns.size(); p++) {
          LoggedTxn t = txns.get(p);
          if (t == null) {
            continue;
          }
          while (into.size() <= p) {
            into.add(null);
          }
          LoggedTxn prev = into.get(p);
          if (prev == null) {
            into.set(p, t);
            firstSource.put(new TxnId(e, p), log.source());
          } else if (!prev.equals(t)) {
            report(
                "disagreement",
                "position "
                    + p
                    + " of epoch "
                    + e
                    + " is "
                    + prev
                    + " on "
                    + firstSource.get(new TxnId(e, p))
                    + " but "
                    + t
                    + " on "
                    + log.source());
          }
        }
      }
    }
    for (NodeLog log : h.logs()) {
      for (Map.Entry<Long, List<LoggedTxn>> en :
          merged.subMap(log.firstEpoch(), true, log.lastEpoch(), true).entrySet()) {
        long e = en.getKey();
        List<LoggedTxn> own = log.epochs().getOrDefault(e, List.of());
        if (own.isEmpty() && en.getValue().stream().anyMatch(Objects::nonNull)) {
          report(
              "gap",
              log.source()
                  + " does not hold epoch "
                  + e
                  + " of its range, which "
                  + firstSource.get(new TxnId(e, firstHeld(en.getValue())))
                  + " holds");
          continue;
        }
        for (int p = 0; p < en.getValue().size(); p++) {
          if (en.getValue().get(p) != null && (p >= own.size() || own.get(p) == null)) {
            report(
                "gap",
                log.source()
                    + " has no txn at position "
                    + p
                    + " of epoch "
                    + e
                    + ", which "
                    + firstSource.get(new TxnId(e, p))
                    + " holds");
          }
        }
      }
    }
    return merged;
  }

  private static int firstHeld(List<LoggedTxn> txns) {
    for (int p = 0; p < txns.size(); p++) {
      if (txns.get(p) != null) {
        return p;
      }
    }
    return 0;
  }

  /** Rule 3, first half: where every client txn id was sequenced. */
  private Map<ClientTxnId, List<TxnId>> checkExactlyOnce(TreeMap<Long, List<LoggedTxn>> merged) {
    Map<ClientTxnId, List<TxnId>> at = new HashMap<>();
    merged.forEach(
        (e, txns) -> {
          for (int p = 0; p < txns.size(); p++) {
            LoggedTxn t = txns.get(p);
            if (t != null && t.id() != null) {
              at.computeIfAbsent(t.id(), k -> new ArrayList<>()).add(new TxnId(e, p));
            }
          }
        });
    at.forEach(
        (id, ids) -> {
          if (ids.size() > 1) {
            report("duplicate", "txn " + id + " is sequenced " + ids.size() + " times: at " + ids);
          }
        });
    return at;
  }

  /** Rule 3, second half: every acknowledged submission is in the log where the client was told. */
  private void checkAcknowledged(
      TreeMap<Long, List<LoggedTxn>> merged, Map<ClientTxnId, List<TxnId>> placements) {
    for (Map.Entry<ClientTxnId, TxnId> a : byClient(h.acknowledged()).entrySet()) {
      TxnId told = a.getValue();
      List<TxnId> where = placements.get(a.getKey());
      if (where != null && !where.contains(told)) {
        report(
            "misplaced",
            "acknowledged txn " + a.getKey() + " was acked as " + told + " but sits at " + where);
      } else if (where == null) {
        report(
            "lost",
            "acknowledged txn "
                + a.getKey()
                + " (acked as "
                + told
                + ") is in no log"
                + (merged.containsKey(told.epoch())
                    ? ""
                    : " (no log holds epoch " + told.epoch() + ")"));
      }
    }
  }

  private static Map<ClientTxnId, TxnId> byClient(Map<ClientTxnId, TxnId> m) {
    TreeMap<ClientTxnId, TxnId> out =
        new TreeMap<>(
            (x, y) ->
                x.clientId() != y.clientId()
                    ? Long.compare(x.clientId(), y.clientId())
                    : Long.compare(x.sequence(), y.sequence()));
    out.putAll(m);
    return out;
  }

  /** Rule 4. */
  private void checkConsumers(TreeMap<Long, List<LoggedTxn>> merged) {
    for (ConsumerStream s : h.consumers()) {
      String who = s.node() + "/vshard " + s.vshard();
      TreeMap<TxnId, ClientTxnId> applied = new TreeMap<>();
      TxnId coveredThrough = null; // by an adopted checkpoint
      long adoptedThroughEpoch = -1;
      for (Segment seg : s.segments()) {
        if (seg.adopted()) {
          adoptedThroughEpoch = Math.max(adoptedThroughEpoch, seg.throughEpoch());
          if (seg.last() != null
              && (coveredThrough == null || coveredThrough.compareTo(seg.last()) < 0)) {
            coveredThrough = seg.last();
          }
        }
        TxnId prev = seg.last();
        for (Applied a : seg.applied()) {
          if (a.id().epoch() <= seg.throughEpoch()) {
            report(
                "reordered",
                who
                    + " applied "
                    + a.id()
                    + " after subscribing through epoch "
                    + seg.throughEpoch());
          }
          if (prev != null && a.id().compareTo(prev) <= 0) {
            report(
                a.id().equals(prev) ? "duplicate delivery" : "reordered",
                who + " applied " + a.id() + " after " + prev);
          }
          prev = a.id();
          ClientTxnId before = applied.put(a.id(), a.client());
          if (before != null && !before.equals(a.client())) {
            report("phantom", who + " applied " + a.client() + " and " + before + " as " + a.id());
          }
          List<LoggedTxn> epoch = merged.get(a.id().epoch());
          LoggedTxn logged =
              epoch == null || a.id().position() >= epoch.size()
                  ? null
                  : epoch.get(a.id().position());
          if (epoch != null && (logged == null || !Objects.equals(logged.id(), a.client()))) {
            report(
                "phantom",
                who + " applied " + a.client() + " as " + a.id() + ", where the log has " + logged);
          } else if (logged != null && !logged.vshards().contains(s.vshard())) {
            report("phantom", who + " applied " + a.id() + ", which does not reach its vshard");
          }
        }
      }
      for (Map.Entry<Long, List<LoggedTxn>> en : merged.entrySet()) {
        long e = en.getKey();
        if (e > h.finalEpoch()) {
          break;
        }
        List<LoggedTxn> txns = en.getValue();
        for (int p = 0; p < txns.size(); p++) {
          LoggedTxn t = txns.get(p);
          TxnId id = new TxnId(e, p);
          boolean adopted =
              e <= adoptedThroughEpoch
                  || (coveredThrough != null && id.compareTo(coveredThrough) <= 0);
          if (t != null
              && t.vshards().contains(s.vshard())
              && !adopted
              && !applied.containsKey(id)) {
            report("lost delivery", who + " never applied " + id + " (txn " + t.id() + ")");
          }
        }
      }
    }
  }

  /** Rule 5. */
  private void checkEngines() {
    Long digest = null;
    String first = null;
    for (EngineReplica r : h.engines()) {
      if (r.throughEpoch() < h.finalEpoch()) {
        report(
            "engine",
            r.node() + " is through epoch " + r.throughEpoch() + ", not " + h.finalEpoch());
      }
      if (r.orderViolations() != 0) {
        report("engine", r.node() + " saw " + r.orderViolations() + " txns out of order");
      }
      if (digest == null) {
        digest = r.digest();
        first = r.node();
      } else if (digest != r.digest()) {
        report(
            "engine",
            r.node()
                + " ends with state digest "
                + Long.toHexString(r.digest())
                + " but "
                + first
                + " with "
                + Long.toHexString(digest));
      }
    }
  }
}
