package org.calvinseq.server.admin;

/**
 * Supplies the document served as JSON at {@code /status}.
 *
 * <p>Called on the admin worker thread for every request; it must be cheap and must not block.
 */
@FunctionalInterface
public interface StatusSource {
  /**
   * Returns a snapshot that Jackson can serialize: a {@code Map<String, Object>}, a record, or a
   * tree of them.
   */
  Object status();
}
