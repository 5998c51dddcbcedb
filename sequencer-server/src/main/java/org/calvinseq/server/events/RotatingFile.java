package org.calvinseq.server.events;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * An append-only file that rotates by size: before a line would take it over {@code maxBytes}, the
 * file becomes {@code file.1}, {@code file.1} becomes {@code file.2}, ..., and {@code
 * file.<generations>} is deleted. Lines go straight to the channel (no user-space buffer), so a
 * reader sees them at once; every {@code syncEvery} lines the file is forced to disk.
 *
 * <p>One thread uses it. Every method may throw {@link IOException}; after one, the caller calls
 * {@link #reset()} and the next {@link #append} reopens the file, first ending a line a failed
 * write may have cut short.
 *
 * <p>Why not logback's {@code RollingFileAppender} with a fixed-window policy: it would make the
 * embeddable node depend on one SLF4J binding (a storage engine may use another), it reports I/O
 * errors to its status manager instead of to us (we must count them), and it cannot fdatasync.
 */
final class RotatingFile implements Closeable {
  private final Path file;
  private final long maxBytes;
  private final int generations;
  private final int syncEvery;
  private FileChannel channel;
  private long size;
  private int sinceSync;

  RotatingFile(Path file, long maxBytes, int generations, int syncEvery) {
    this.file = file;
    this.maxBytes = maxBytes;
    this.generations = generations;
    this.syncEvery = syncEvery;
  }

  Path file() {
    return file;
  }

  void append(byte[] line) throws IOException {
    if (channel == null) {
      open();
    }
    if (size > 0 && size + line.length > maxBytes) {
      rotate();
    }
    write(line);
    if (syncEvery > 0 && ++sinceSync >= syncEvery) {
      channel.force(false);
      sinceSync = 0;
    }
  }

  private void open() throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    size = channel.size();
    sinceSync = 0;
    if (size > 0 && !endsWithNewline()) {
      write(new byte[] {'\n'}); // a write cut short before a crash or an error
    }
  }

  private boolean endsWithNewline() throws IOException {
    try (FileChannel r = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer last = ByteBuffer.allocate(1);
      return r.read(last, size - 1) != 1 || last.get(0) == '\n';
    }
  }

  private void write(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      channel.write(b);
    }
    size += bytes.length;
  }

  private void rotate() throws IOException {
    FileChannel c = channel;
    channel = null;
    try (c) {
      if (syncEvery > 0) {
        c.force(false);
      }
    }
    Files.deleteIfExists(generation(generations));
    for (int g = generations - 1; g >= 1; g--) {
      Path from = generation(g);
      if (Files.exists(from)) {
        Files.move(from, generation(g + 1), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(file, generation(1), StandardCopyOption.REPLACE_EXISTING);
    open();
  }

  Path generation(int g) {
    return file.resolveSibling(file.getFileName() + "." + g);
  }

  /** Forces what was written to disk, if the file is open. */
  void sync() throws IOException {
    if (channel != null) {
      channel.force(false);
      sinceSync = 0;
    }
  }

  /** Forgets the channel after an error, closing it quietly. */
  void reset() {
    FileChannel c = channel;
    channel = null;
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // already failing; the caller counted the first error
      }
    }
  }

  /** Forces the file to disk (once, even with {@code syncEvery} 0) and closes it. */
  @Override
  public void close() throws IOException {
    FileChannel c = channel;
    channel = null;
    if (c != null) {
      try (c) {
        c.force(false);
      }
    }
  }
}
