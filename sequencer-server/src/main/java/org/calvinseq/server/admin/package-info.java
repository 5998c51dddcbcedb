/**
 * The admin HTTP endpoint: {@code /metrics}, {@code /health}, {@code /ready} and {@code /status} on
 * a Netty server with its own event loop: one thread, the admin worker thread, accepts and serves.
 *
 * <p>Contract with the rest of the node:
 *
 * <ol>
 *   <li>Everything the endpoint asks of the node (a scrape, a readiness probe, a status snapshot)
 *       runs on the admin worker thread, never on a Raft or client thread. Probes and the status
 *       source must therefore be cheap and must not block: they read volatile state.
 *   <li>Scrapers cannot hurt the server: each connection has a short deadline for its request to
 *       arrive and a longer one for every exchange (waiting for a request plus writing its
 *       response), clients outside the allow-list are closed as soon as they are accepted, and
 *       requests are small (headers and body are bounded).
 *   <li>Idle connections cannot lock probes out: over the connection cap, a new connection evicts
 *       the one that has waited longest for a request; it is refused only when every open
 *       connection is in the middle of an exchange.
 *   <li>The endpoint binds to {@code 127.0.0.1} unless told otherwise.
 * </ol>
 *
 * <p>Only {@link org.calvinseq.server.admin.AdminServer}, {@link
 * org.calvinseq.server.admin.ReadinessCheck}, {@link org.calvinseq.server.admin.CheckResult} and
 * {@link org.calvinseq.server.admin.StatusSource} are API; the rest is Netty plumbing.
 */
package org.calvinseq.server.admin;
