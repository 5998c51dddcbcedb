package org.calvinseq.it.fault;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ways to make a node's storage refuse writes, best first, as this machine allows:
 *
 * <ul>
 *   <li>{@link Mode#TMPFS}: each node's data directory is a small tmpfs (needs {@code mount}, that
 *       is root with CAP_SYS_ADMIN); the fault fills it to the last byte with a filler file, so
 *       writes fail with ENOSPC, a real "disk full";
 *   <li>{@link Mode#FSIZE}: a file-size quota on the node's process ({@code prlimit --fsize}, any
 *       user): writes past the limit fail with EFBIG (the JVM ignores SIGXFSZ);
 *   <li>{@link Mode#READ_ONLY}: the node's Raft storage directories made read-only (only stops a
 *       user without CAP_DAC_OVERRIDE, so not root): creating the next log segment fails.
 * </ul>
 *
 * The system property {@code calvinseq.it.diskFull} ({@code tmpfs}, {@code fsize}, {@code
 * readonly}) forces one.
 */
final class DiskFull {
  private static final Logger LOG = LoggerFactory.getLogger(DiskFull.class);

  enum Mode {
    TMPFS,
    FSIZE,
    READ_ONLY,
    NONE
  }

  private DiskFull() {}

  /** The best mode available here; NONE when none is. */
  static Mode detect(Path scratch) throws IOException, InterruptedException {
    String forced = System.getProperty("calvinseq.it.diskFull", "");
    switch (forced) {
      case "tmpfs":
        return Mode.TMPFS;
      case "fsize":
        return Mode.FSIZE;
      case "readonly":
        return Mode.READ_ONLY;
      default:
        break;
    }
    Path probe = Files.createDirectories(scratch.resolve("mount-probe"));
    if (run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.toString()) == 0) {
      run("umount", probe.toString());
      return Mode.TMPFS;
    }
    if (run("prlimit", "--version") == 0) {
      return Mode.FSIZE;
    }
    Path ro = Files.createDirectories(scratch.resolve("ro-probe"));
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
    boolean refused;
    try {
      Files.createFile(ro.resolve("x"));
      refused = false;
    } catch (IOException e) {
      refused = true;
    }
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
    return refused ? Mode.READ_ONLY : Mode.NONE;
  }

  /** Mounts a tmpfs of {@code megabytes} on {@code dir}. */
  static void mount(Path dir, int megabytes) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    int rc = run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", dir.toString());
    if (rc != 0) {
      throw new IOException("mount of a tmpfs on " + dir + " failed with " + rc);
    }
  }

  static void unmount(Path dir) throws IOException, InterruptedException {
    if (run("umount", dir.toString()) != 0) {
      LOG.warn("umount {} failed; trying a lazy unmount", dir);
      run("umount", "-l", dir.toString());
    }
  }

  /** Writes a filler file into {@code dir} until its file system is full; returns the file. */
  static Path fill(Path dir) throws IOException {
    Path filler = dir.resolve("filler.bin");
    byte[] block = new byte[64 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      LOG.info("{} is full: {}", dir, full.getMessage());
    }
    return filler;
  }

  /** Limits the size every file of process {@code pid} may grow to (soft limit only). */
  static void limitFileSize(long pid, long bytes) throws IOException, InterruptedException {
    int rc = run("prlimit", "--pid", Long.toString(pid), "--fsize=" + bytes + ":");
    if (rc != 0) {
      throw new IOException("prlimit on " + pid + " failed with " + rc);
    }
  }

  /** Makes every directory under {@code dir} read-only (or writable again); returns them. */
  static List<Path> readOnly(Path dir, boolean on) throws IOException {
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> s = Files.walk(dir)) {
      s.filter(Files::isDirectory).forEach(dirs::add);
    }
    for (Path d : dirs) {
      Files.setPosixFilePermissions(
          d, PosixFilePermissions.fromString(on ? "r-xr-xr-x" : "rwxr-xr-x"));
    }
    return dirs;
  }

  private static int run(String... command) throws IOException, InterruptedException {
    Process p;
    try {
      p = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException notInstalled) {
      return -1;
    }
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return -1;
    }
    if (p.exitValue() != 0) {
      LOG.debug("{} exited with {}: {}", String.join(" ", command), p.exitValue(), new String(out));
    }
    return p.exitValue();
  }
}
