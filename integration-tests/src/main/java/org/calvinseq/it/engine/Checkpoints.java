package org.calvinseq.it.engine;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;

/**
 * One file per vshard, {@code vshard-N.ckpt}: the vshard's {@link KvState} followed by a CRC-32.
 * Written to a temporary file, forced to disk and renamed over the old one, so that a crash leaves
 * either the old or the new checkpoint, never half of one; the checksum catches a torn copy from a
 * peer.
 */
final class Checkpoints {
  private static final int MAGIC = 0x4b564331; // "KVC1"

  private Checkpoints() {}

  static Path file(Path dir, int vshard) {
    return dir.resolve("vshard-" + vshard + ".ckpt");
  }

  static void write(Path dir, KvState s) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(bytes))) {
      out.writeInt(MAGIC);
      s.write(out);
    }
    byte[] body = bytes.toByteArray();
    CRC32 crc = new CRC32();
    crc.update(body);
    Path target = file(dir, s.vshard());
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (FileChannel ch =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(body));
      ch.write(ByteBuffer.allocate(8).putLong(0, crc.getValue()));
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The checkpoint of {@code vshard} in {@code dir}, or null when there is none. */
  static KvState read(Path dir, int vshard) throws IOException {
    byte[] all;
    try {
      all = Files.readAllBytes(file(dir, vshard));
    } catch (NoSuchFileException e) {
      return null;
    }
    if (all.length < 12) {
      throw new IOException("checkpoint " + file(dir, vshard) + " is truncated");
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    if (crc.getValue() != ByteBuffer.wrap(all, all.length - 8, 8).getLong()) {
      throw new IOException("checkpoint " + file(dir, vshard) + " fails its checksum");
    }
    try (DataInputStream in =
        new DataInputStream(
            new BufferedInputStream(new ByteArrayInputStream(all, 0, all.length - 8)))) {
      if (in.readInt() != MAGIC) {
        throw new IOException("not a checkpoint: " + file(dir, vshard));
      }
      KvState s = KvState.read(in);
      if (s.vshard() != vshard) {
        throw new IOException("checkpoint " + file(dir, vshard) + " holds vshard " + s.vshard());
      }
      return s;
    }
  }
}
