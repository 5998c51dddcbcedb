/** Threads for the client's and the server's background work; nothing here runs on apply. */
package org.calvinseq.core.concurrent;
