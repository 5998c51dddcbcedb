/** The replicated sequencer: Ratis state machine, embeddable node, CLI and admin endpoint. */
package org.calvinseq.server;
