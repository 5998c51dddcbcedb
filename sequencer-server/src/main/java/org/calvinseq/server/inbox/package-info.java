/**
 * The leader inbox: forms epochs from many clients' submissions at the leader, with bounded, fair
 * admission per tenant. {@link org.calvinseq.server.inbox.LeaderInbox} is the component; {@link
 * org.calvinseq.server.inbox.EpochCloser} its closer thread; {@link
 * org.calvinseq.server.inbox.InboxSettings} its settings and their reasons. Pure: no Ratis, no
 * network, time through an {@link org.calvinseq.server.inbox.InboxClock}.
 *
 * <p>Wired by the node's {@code InboxHost}: an inbox while the node is the ready leader, fed by the
 * submission stream and the submission query (docs/architecture.md, "How it is wired").
 */
package org.calvinseq.server.inbox;
