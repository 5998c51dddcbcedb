package org.calvinseq.client;

import java.time.Duration;
import java.util.Arrays;
import org.calvinseq.core.model.TxnId;

/**
 * A transaction did not complete in time: some participating vshards had not acked it. The message
 * names them.
 */
public final class CompletionTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final TxnId txnId;
  private final int[] missing;
  private final int[] acked;

  public CompletionTimeoutException(
      TxnId txnId, Duration timeout, int[] missing, int[] acked, String lastError) {
    super(
        "txn "
            + txnId
            + " did not complete within "
            + timeout.toMillis()
            + " ms: vshards "
            + Arrays.toString(missing)
            + " have not acked (acked: "
            + Arrays.toString(acked)
            + ")"
            + (lastError == null ? "" : "; last query error: " + lastError));
    this.txnId = txnId;
    this.missing = missing.clone();
    this.acked = acked.clone();
  }

  public TxnId txnId() {
    return txnId;
  }

  /** The participating vshards that had not acked, sorted. */
  public int[] missingVshards() {
    return missing.clone();
  }

  /** The vshards that had acked, sorted. */
  public int[] ackedVshards() {
    return acked.clone();
  }
}
