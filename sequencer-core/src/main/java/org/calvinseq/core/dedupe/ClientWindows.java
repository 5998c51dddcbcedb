package org.calvinseq.core.dedupe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.NotSequenced;
import org.calvinseq.core.model.Txn;
import org.calvinseq.core.model.TxnId;

/**
 * Which client txn ids the log has sequenced, and at which {@link TxnId}: the replicated state that
 * lets the apply path deliver a retried txn once (docs/wire-format.md, section 9a; Kafka's
 * idempotent producer state is the model).
 *
 * <p>Per client id a <b>window</b>: the runs of sequences it sequenced, a run being consecutive
 * sequences sequenced in one epoch at consecutive positions (so the sequence gives the position),
 * sorted, at most {@link DedupeLimits#windowRuns} of them. When a new run makes one too many, the
 * lowest run is forgotten and every sequence up to its end is <i>too old</i> from then on. So for
 * every sequence above the forgotten ones the window knows exactly whether it was sequenced: a
 * sequence in a run is a duplicate, any other is new. Sequences are unsigned 64-bit numbers.
 *
 * <p>Clients are kept in the order they were last seen (a txn of theirs in an applied batch,
 * whatever its verdict), which is the order of their last-seen epoch times, since epoch time rises
 * along the log. At the start of each epoch the clients last seen more than {@link
 * DedupeLimits#clientExpiryMs} before it are forgotten, and a new client beyond {@link
 * DedupeLimits#maxClients} makes the least recently seen one forgotten. A forgotten client's txns
 * are new again (Kafka's {@code UNKNOWN_PRODUCER_ID}).
 *
 * <p>A pure function of the calls, which the apply thread makes in log order; it reads no clock.
 * Apply thread only, except {@link #clientCount()}.
 */
public final class ClientWindows {
  private final DedupeLimits limits;
  private final HashMap<Long, Window> byId = new HashMap<>();
  private Window head; // least recently seen
  private Window tail; // most recently seen
  private Window cached; // the client of the previous call: batches hold runs of one client
  private volatile int clients;
  private long runs;
  private long expired;
  private long evicted;

  public ClientWindows(DedupeLimits limits) {
    this.limits = java.util.Objects.requireNonNull(limits, "limits");
  }

  public DedupeLimits limits() {
    return limits;
  }

  /**
   * Forgets every client last seen more than the expiry before {@code nowMs}, the epoch time of the
   * epoch about to be applied; returns how many.
   */
  public int expire(long nowMs) {
    int n = 0;
    while (head != null && expired(head.lastSeenMs, nowMs)) {
      remove(head);
      n++;
    }
    expired += n;
    return n;
  }

  /**
   * Whether more than the expiry lies between {@code lastSeenMs} and {@code nowMs}, for any two
   * longs: a difference that wraps is larger than any expiry, and time going back expires nothing.
   */
  private boolean expired(long lastSeenMs, long nowMs) {
    if (nowMs <= lastSeenMs) {
      return false;
    }
    long elapsed = nowMs - lastSeenMs;
    return elapsed < 0 || elapsed > limits.clientExpiryMs();
  }

  /**
   * Applies the rules to the txns of a batch that becomes {@code epoch} at epoch time {@code
   * nowMs}: first forgets the clients idle for longer than the expiry, then {@link #check checks}
   * each txn that has a client txn id, in position order (txns without one are never
   * de-duplicated). Returns the txns that are not sequenced, by ascending position.
   */
  public List<NotSequenced> decide(List<Txn> txns, long epoch, long nowMs) {
    expire(nowMs);
    List<NotSequenced> out = null;
    for (int pos = 0, n = txns.size(); pos < n; pos++) {
      ClientTxnId id = txns.get(pos).clientTxnId();
      if (id == null) {
        continue;
      }
      NotSequenced verdict = check(id, epoch, pos, nowMs);
      if (verdict != null) {
        if (out == null) {
          out = new ArrayList<>();
        }
        out.add(verdict);
      }
    }
    return out == null ? List.of() : out;
  }

  /**
   * Decides the txn with client txn id {@code id} at {@code position} of {@code epoch}, whose time
   * is {@code nowMs}, and records it: null when it is new (it takes the position, and the window
   * remembers it there), else why it is not sequenced. Total over all ids and sequences.
   */
  public NotSequenced check(ClientTxnId id, long epoch, int position, long nowMs) {
    long s = id.sequence();
    Window w = find(id.clientId());
    if (w == null) {
      w = new Window(id.clientId(), limits.windowRuns());
      byId.put(w.clientId, w);
      link(w, nowMs);
      clients = byId.size();
      w.insert(0, s, epoch, position);
      runs++;
      while (byId.size() > limits.maxClients()) {
        remove(head); // never w: it is the most recently seen, and maxClients >= 1
        evicted++;
      }
      cached = w;
      return null;
    }
    unlink(w);
    link(w, nowMs);
    if (w.forgot && Long.compareUnsigned(s, w.forgottenThrough) <= 0) {
      return NotSequenced.tooOld(position);
    }
    int i = w.floor(s);
    if (i >= 0 && Long.compareUnsigned(s, w.last[i]) <= 0) {
      // s - first < 2^31 here: a run is no longer than the batch it came from.
      return NotSequenced.duplicate(
          position, new TxnId(w.epoch[i], w.pos[i] + (int) (s - w.first[i])));
    }
    if (i >= 0 && w.extends_(i, s, epoch, position)) {
      w.last[i] = s;
      return null;
    }
    w.insert(i + 1, s, epoch, position);
    runs++;
    if (w.n > limits.windowRuns()) {
      w.forgetLowest();
      runs--;
    }
    return null;
  }

  private Window find(long clientId) {
    Window c = cached;
    if (c != null && c.clientId == clientId) {
      return c;
    }
    Window w = byId.get(clientId);
    if (w != null) {
      cached = w;
    }
    return w;
  }

  private void link(Window w, long nowMs) {
    w.lastSeenMs = nowMs;
    w.prev = tail;
    w.next = null;
    if (tail != null) {
      tail.next = w;
    } else {
      head = w;
    }
    tail = w;
  }

  private void unlink(Window w) {
    if (w.prev != null) {
      w.prev.next = w.next;
    } else {
      head = w.next;
    }
    if (w.next != null) {
      w.next.prev = w.prev;
    } else {
      tail = w.prev;
    }
    w.prev = null;
    w.next = null;
  }

  private void remove(Window w) {
    unlink(w);
    byId.remove(w.clientId);
    runs -= w.n;
    clients = byId.size();
    if (cached == w) {
      cached = null;
    }
  }

  /** Client ids tracked now. Any thread. */
  public int clientCount() {
    return clients;
  }

  /** Runs remembered over all clients. Apply thread. */
  public long runCount() {
    return runs;
  }

  /** Clients forgotten by expiry since this object was made (not replicated: for metrics). */
  public long expiredCount() {
    return expired;
  }

  /** Clients forgotten to make room for a new one since this object was made (for metrics). */
  public long evictedCount() {
    return evicted;
  }

  /** The state, least recently seen client first, for snapshots. Apply thread. */
  public List<Client> export() {
    List<Client> out = new ArrayList<>(byId.size());
    for (Window w = head; w != null; w = w.next) {
      long[] flat = new long[w.n * 4];
      for (int i = 0; i < w.n; i++) {
        flat[4 * i] = w.first[i];
        flat[4 * i + 1] = w.last[i];
        flat[4 * i + 2] = w.epoch[i];
        flat[4 * i + 3] = w.pos[i];
      }
      out.add(new Client(w.clientId, w.lastSeenMs, w.forgot, w.forgottenThrough, flat));
    }
    return out;
  }

  /**
   * Replaces the state with {@code snapshot} (least recently seen first, as {@link #export} gives
   * it), then applies this object's limits to it, in the order the apply path would. Apply thread.
   *
   * @throws IllegalArgumentException if a client id occurs twice
   */
  public void load(List<Client> snapshot) {
    byId.clear();
    head = null;
    tail = null;
    cached = null;
    runs = 0;
    for (Client c : snapshot) {
      Window w = new Window(c.clientId(), limits.windowRuns());
      if (byId.put(w.clientId, w) != null) {
        throw new IllegalArgumentException("client " + c.clientId() + " occurs twice");
      }
      w.forgot = c.forgot();
      w.forgottenThrough = c.forgottenThrough();
      long[] r = c.runs();
      for (int i = 0; i < r.length; i += 4) {
        w.insert(w.n, r[i], r[i + 2], (int) r[i + 3]);
        w.last[w.n - 1] = r[i + 1];
      }
      while (w.n > limits.windowRuns()) {
        w.forgetLowest();
      }
      runs += w.n;
      link(w, c.lastSeenMs());
    }
    while (byId.size() > limits.maxClients()) {
      remove(head);
    }
    clients = byId.size();
  }

  /**
   * One client's window as a value, for snapshots.
   *
   * @param clientId the client id
   * @param lastSeenMs the epoch time of the last epoch that held a txn of the client
   * @param forgot whether some of its sequences were forgotten (then they are too old)
   * @param forgottenThrough the highest forgotten sequence (unsigned), when {@code forgot}
   * @param runs its runs, ascending and disjoint, as {@code first, last, epoch, firstPosition}
   *     quadruples; sequences compare unsigned
   */
  public record Client(
      long clientId, long lastSeenMs, boolean forgot, long forgottenThrough, long[] runs) {
    public Client {
      runs = runs.clone();
      if (runs.length % 4 != 0) {
        throw new IllegalArgumentException("runs must be quadruples");
      }
      if (!forgot && forgottenThrough != 0) {
        throw new IllegalArgumentException("forgottenThrough without forgot");
      }
      for (int i = 0; i < runs.length; i += 4) {
        long first = runs[i];
        long last = runs[i + 1];
        long span = last - first; // the run's length less one, as an unsigned number
        long position = runs[i + 3];
        boolean below =
            i == 0
                ? forgot && Long.compareUnsigned(first, forgottenThrough) <= 0
                : Long.compareUnsigned(first, runs[i - 3]) <= 0;
        if (below
            || Long.compareUnsigned(last, first) < 0
            || Long.compareUnsigned(span, Integer.MAX_VALUE) > 0
            || runs[i + 2] < 0
            || position < 0
            || position > Integer.MAX_VALUE - span) {
          throw new IllegalArgumentException(
              "client " + clientId + ": bad run " + (i / 4) + " " + Arrays.toString(runs));
        }
      }
    }

    @Override
    public long[] runs() {
      return runs.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Client c
          && clientId == c.clientId
          && lastSeenMs == c.lastSeenMs
          && forgot == c.forgot
          && forgottenThrough == c.forgottenThrough
          && Arrays.equals(runs, c.runs);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(clientId) * 31 + Arrays.hashCode(runs);
    }

    @Override
    public String toString() {
      return "Client["
          + Long.toUnsignedString(clientId, 16)
          + ", seen "
          + lastSeenMs
          + (forgot ? ", forgot through " + Long.toUnsignedString(forgottenThrough) : "")
          + ", runs "
          + Arrays.toString(runs)
          + "]";
    }
  }

  /** One client's window: sorted runs in parallel arrays, and its place in the last-seen order. */
  private static final class Window {
    final long clientId;
    final int maxRuns;
    long lastSeenMs;
    boolean forgot;
    long forgottenThrough;
    long[] first = new long[2];
    long[] last = new long[2];
    long[] epoch = new long[2];
    int[] pos = new int[2];
    int n;
    Window prev;
    Window next;

    Window(long clientId, int maxRuns) {
      this.clientId = clientId;
      this.maxRuns = maxRuns;
    }

    /** The last run whose first sequence is at most {@code s} (unsigned), or -1. */
    int floor(long s) {
      int lo = 0;
      int hi = n - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (Long.compareUnsigned(first[mid], s) <= 0) {
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return hi;
    }

    /**
     * Whether sequence {@code s}, new at {@code position} of {@code e}, continues run {@code i}: it
     * follows the run's last sequence, in the same epoch, at the position after the run's last.
     */
    boolean extends_(int i, long s, long e, int position) {
      return last[i] + 1 == s && epoch[i] == e && pos[i] + (last[i] - first[i]) + 1 == position;
    }

    void insert(int at, long s, long e, int position) {
      if (n == first.length) {
        int cap = (int) Math.max(n + 1L, Math.min(maxRuns + 1L, 2L * n));
        first = Arrays.copyOf(first, cap);
        last = Arrays.copyOf(last, cap);
        epoch = Arrays.copyOf(epoch, cap);
        pos = Arrays.copyOf(pos, cap);
      }
      int move = n - at;
      System.arraycopy(first, at, first, at + 1, move);
      System.arraycopy(last, at, last, at + 1, move);
      System.arraycopy(epoch, at, epoch, at + 1, move);
      System.arraycopy(pos, at, pos, at + 1, move);
      first[at] = s;
      last[at] = s;
      epoch[at] = e;
      pos[at] = position;
      n++;
    }

    /** Forgets the lowest run: its sequences, and all below, are too old from now on. */
    void forgetLowest() {
      forgot = true;
      forgottenThrough = last[0];
      n--;
      System.arraycopy(first, 1, first, 0, n);
      System.arraycopy(last, 1, last, 0, n);
      System.arraycopy(epoch, 1, epoch, 0, n);
      System.arraycopy(pos, 1, pos, 0, n);
    }
  }
}
