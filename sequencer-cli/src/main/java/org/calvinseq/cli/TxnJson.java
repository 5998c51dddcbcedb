package org.calvinseq.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.calvinseq.core.model.ClientTxnId;
import org.calvinseq.core.model.EpochBatch;
import org.calvinseq.core.model.Key;
import org.calvinseq.core.model.SequencedTxn;
import org.calvinseq.core.model.Txn;

/**
 * The JSON form of batches and txns that {@code propose} reads and {@code replay} writes, one
 * object per line:
 *
 * <pre>
 * batch: {"epoch": 12 (optional), "txns": [txn, ...]}
 * txn:   {"clientId": 7, "seq": 1 (both or neither), "tenant": 3 (default 0),
 *         "read": [key, ...], "write": [key, ...],
 *         "payload": "utf-8 text" | "payloadBase64": "..." (at most one)}
 * key:   {"collection": "accounts", "key": "utf-8 text" | "keyBase64": "..."}
 * </pre>
 *
 * <p>Unknown fields, duplicate fields and values of the wrong type are errors that name the field
 * ({@code txns[2].read[0].colection}), so a typo never silently drops data. Replay output adds
 * {@code epoch}, {@code position} and {@code epochSystemMs} to each txn, and writes a key or
 * payload as text when its bytes are valid UTF-8 and as base64 otherwise.
 *
 * <p>64-bit values ({@code epoch}, {@code epochSystemMs}, {@code clientId}, {@code seq}, {@code
 * tenant}) are written as decimal strings, as protobuf's JSON mapping writes int64 and uint64, so
 * that parsers that read numbers as doubles (JavaScript's {@code JSON.parse}) cannot round values
 * above 2^53; {@code position}, an int32, stays a number. Input takes them either way.
 */
final class TxnJson {
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
  private static final Set<String> BATCH_FIELDS = Set.of("epoch", "txns");
  private static final Set<String> TXN_FIELDS =
      Set.of("clientId", "seq", "tenant", "read", "write", "payload", "payloadBase64");
  private static final Set<String> KEY_FIELDS = Set.of("collection", "key", "keyBase64");

  // No string length limit of Jackson's own (20,000,000 chars by default): the caller bounds the
  // line, and a long payload is refused by the payload limit, which says what the limit is.
  static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
                  .build())
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private TxnJson() {}

  /** A problem with the input, naming where it is. */
  static final class BadInput extends Exception {
    private static final long serialVersionUID = 1L;

    BadInput(String message) {
      super(message);
    }
  }

  /** Parses one line holding a batch; {@code proposerMs} is the time the batch carries. */
  static EpochBatch parseBatch(String line, long proposerMs) throws BadInput {
    JsonNode root;
    try {
      root = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw malformed(e);
    }
    return batch(root, proposerMs);
  }

  /**
   * As {@link #parseBatch(String, long)}, from the first {@code length} bytes (UTF-8) of a line.
   */
  static EpochBatch parseBatch(byte[] line, int length, long proposerMs) throws BadInput {
    JsonNode root;
    try {
      root = MAPPER.readTree(line, 0, length);
    } catch (JsonProcessingException e) {
      throw malformed(e);
    } catch (java.io.IOException e) {
      throw new BadInput("unreadable JSON: " + e.getMessage());
    }
    return batch(root, proposerMs);
  }

  private static BadInput malformed(JsonProcessingException e) {
    return new BadInput(
        "malformed JSON at column "
            + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr())
            + ": "
            + e.getOriginalMessage());
  }

  private static EpochBatch batch(JsonNode root, long proposerMs) throws BadInput {
    if (root == null || !root.isObject()) {
      throw new BadInput("expected a JSON object {\"txns\": [...]}");
    }
    fields(root, "batch", BATCH_FIELDS);
    long epoch = EpochBatch.AUTO_EPOCH;
    if (root.has("epoch") && !root.get("epoch").isNull()) {
      epoch = unsigned(root.get("epoch"), "epoch", false);
    }
    JsonNode txns = root.get("txns");
    if (txns == null || !txns.isArray()) {
      throw new BadInput("'txns' is required and must be an array");
    }
    List<Txn> out = new ArrayList<>(txns.size());
    for (int i = 0; i < txns.size(); i++) {
      out.add(txn(txns.get(i), "txns[" + i + "]"));
    }
    return new EpochBatch(epoch, proposerMs, out);
  }

  private static Txn txn(JsonNode n, String at) throws BadInput {
    if (!n.isObject()) {
      throw new BadInput(at + ": expected an object");
    }
    fields(n, at, TXN_FIELDS);
    ClientTxnId id = null;
    if (n.has("clientId") != n.has("seq")) {
      throw new BadInput(at + ": 'clientId' and 'seq' go together: give both or neither");
    }
    if (n.has("clientId")) {
      id =
          new ClientTxnId(
              unsigned(n.get("clientId"), at + ".clientId", true),
              unsigned(n.get("seq"), at + ".seq", true));
    }
    long tenant = n.has("tenant") ? unsigned(n.get("tenant"), at + ".tenant", true) : 0;
    List<Key> read = keys(n.get("read"), at + ".read");
    List<Key> write = keys(n.get("write"), at + ".write");
    if (n.has("payload") && n.has("payloadBase64")) {
      throw new BadInput(at + ": give 'payload' or 'payloadBase64', not both");
    }
    byte[] payload = new byte[0];
    if (n.has("payload")) {
      payload = text(n.get("payload"), at + ".payload").getBytes(StandardCharsets.UTF_8);
    } else if (n.has("payloadBase64")) {
      payload = base64(n.get("payloadBase64"), at + ".payloadBase64");
    }
    return new Txn(id, tenant, read, write, payload);
  }

  private static List<Key> keys(JsonNode n, String at) throws BadInput {
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw new BadInput(at + ": expected an array of keys");
    }
    List<Key> out = new ArrayList<>(n.size());
    for (int i = 0; i < n.size(); i++) {
      String k = at + "[" + i + "]";
      JsonNode e = n.get(i);
      if (!e.isObject()) {
        throw new BadInput(k + ": expected {\"collection\": ..., \"key\": ...}");
      }
      fields(e, k, KEY_FIELDS);
      String collection = text(e.get("collection"), k + ".collection");
      if (collection.isEmpty()) {
        throw new BadInput(k + ".collection: must not be empty");
      }
      if (e.has("key") == e.has("keyBase64")) {
        throw new BadInput(k + ": give exactly one of 'key' and 'keyBase64'");
      }
      byte[] key =
          e.has("key")
              ? text(e.get("key"), k + ".key").getBytes(StandardCharsets.UTF_8)
              : base64(e.get("keyBase64"), k + ".keyBase64");
      out.add(new Key(collection, key));
    }
    return out;
  }

  private static void fields(JsonNode n, String at, Set<String> allowed) throws BadInput {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw new BadInput(
            at
                + ": unknown field '"
                + f
                + "' (allowed: "
                + String.join(", ", sorted(allowed))
                + ")");
      }
    }
  }

  private static List<String> sorted(Set<String> s) {
    return s.stream().sorted().toList();
  }

  private static String text(JsonNode n, String at) throws BadInput {
    if (n == null || !n.isTextual()) {
      throw new BadInput(at + ": expected a string");
    }
    return n.textValue();
  }

  private static byte[] base64(JsonNode n, String at) throws BadInput {
    try {
      return Base64.getDecoder().decode(text(n, at));
    } catch (IllegalArgumentException e) {
      throw new BadInput(at + ": not valid base64: " + e.getMessage());
    }
  }

  /**
   * A non-negative integer, as a JSON number or a decimal string (as replay writes it); up to
   * 2^64-1 (carried in a long's bits) when {@code wide}.
   */
  private static long unsigned(JsonNode n, String at, boolean wide) throws BadInput {
    BigInteger v;
    if (n != null && n.isIntegralNumber()) {
      v = n.bigIntegerValue();
    } else if (n != null && n.isTextual() && n.textValue().matches("-?[0-9]{1,20}")) {
      v = new BigInteger(n.textValue());
    } else {
      throw new BadInput(at + ": expected a non-negative integer (a number or a decimal string)");
    }
    BigInteger limit = wide ? TWO_64 : BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE);
    if (v.signum() < 0 || v.compareTo(limit) >= 0) {
      throw new BadInput(
          at + ": " + v + " is out of range (0 to " + limit.subtract(BigInteger.ONE) + ")");
    }
    return v.longValue();
  }

  // ---- output ----

  /** One replayed txn as a JSON line. */
  static String write(SequencedTxn s) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("epoch", Long.toString(s.epoch()));
    o.put("position", s.position());
    o.put("epochSystemMs", Long.toString(s.epochSystemMs()));
    Txn t = s.txn();
    if (t.clientTxnId() != null) {
      o.put("clientId", Long.toUnsignedString(t.clientTxnId().clientId()));
      o.put("seq", Long.toUnsignedString(t.clientTxnId().sequence()));
    }
    o.put("tenant", Long.toUnsignedString(t.tenantId()));
    o.set("read", keys(t.readSet()));
    o.set("write", keys(t.writeSet()));
    bytes(o, "payload", t.payload());
    return o.toString();
  }

  private static ArrayNode keys(List<Key> keys) {
    ArrayNode a = MAPPER.createArrayNode();
    for (Key k : keys) {
      ObjectNode o = a.addObject();
      o.put("collection", k.collection());
      bytes(o, "key", k.keyUnsafe());
    }
    return a;
  }

  private static void bytes(ObjectNode o, String field, byte[] b) {
    String s = utf8(b);
    if (s != null) {
      o.put(field, s);
    } else {
      o.put(field + "Base64", Base64.getEncoder().encodeToString(b));
    }
  }

  private static String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
