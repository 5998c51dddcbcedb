/** Client of a sequencer cluster. */
package org.calvinseq.client;
