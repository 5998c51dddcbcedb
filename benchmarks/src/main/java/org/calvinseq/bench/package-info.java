/** JMH micro-benchmarks and the cluster load benchmark. */
package org.calvinseq.bench;
