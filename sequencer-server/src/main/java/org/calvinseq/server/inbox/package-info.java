/**
 * The leader inbox: forms epochs from many clients' submissions at the leader, with bounded, fair
 * admission per tenant. {@link org.calvinseq.server.inbox.LeaderInbox} is the component; {@link
 * org.calvinseq.server.inbox.EpochCloser} its closer thread; {@link
 * org.calvinseq.server.inbox.InboxSettings} its settings and their reasons. Pure: no Ratis, no
 * network, time through an {@link org.calvinseq.server.inbox.InboxClock}.
 *
 * <p>Not wired yet: nothing in the node routes proposals through it (see docs/architecture.md, "The
 * leader inbox (planned wiring)").
 */
package org.calvinseq.server.inbox;
