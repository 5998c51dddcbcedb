/**
 * The optional event log: an append-only text file with one line per rare, noteworthy event of a
 * node (epoch gap, stale epoch, decode error, a vshard falling behind or catching up, leader
 * change, snapshot taken or installed), for the operator who asks "what happened at 03:12?" after
 * the metrics said that something did.
 *
 * <p>Contract:
 *
 * <ol>
 *   <li>The apply path never waits for it: events are stamped and put on a bounded non-blocking
 *       queue; when the queue is full the event is dropped and counted ({@code
 *       sequencer_event_log_dropped_total}). One writer thread does all file I/O.
 *   <li>It never stops the node: an I/O error is counted ({@code
 *       sequencer_event_log_errors_total}), logged once until the file is writable again, and the
 *       event is lost. The next line written after losses is an {@code events_dropped} line that
 *       says how many.
 *   <li>The line layout is stable: six tab-separated columns (UTC time, node, type, epoch, index,
 *       detail); an absent value is {@code -}; tabs, newlines and backslashes in a value are
 *       escaped, so a line is always one line with six columns. See {@code docs/event-log.md}.
 *   <li>The file rotates by size ({@code file} to {@code file.1}, ... up to a number of
 *       generations, 5 by default) and is optionally forced to disk every N lines.
 * </ol>
 *
 * <p>Only {@link org.calvinseq.server.events.EventLog}, {@link
 * org.calvinseq.server.events.EventLogConfig}, {@link org.calvinseq.server.events.EventType} and
 * {@link org.calvinseq.server.events.NodeEventListener} are API.
 */
package org.calvinseq.server.events;
