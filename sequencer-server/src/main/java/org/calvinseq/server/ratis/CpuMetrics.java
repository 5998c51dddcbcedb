package org.calvinseq.server.ratis;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/**
 * The CPU meters of Micrometer's {@code ProcessorMetrics}, under names that pass {@code promtool
 * check metrics}: {@code process_cpu_seconds_total} (the Prometheus clients' name, in seconds)
 * instead of {@code process_cpu_time_ns_total}, and {@code jvm_available_processors} instead of
 * {@code system_cpu_count} (a gauge may not end in {@code _count}). The usage and load gauges keep
 * Micrometer's names.
 *
 * <p>A binder of our own rather than a {@code MeterFilter}: the node may be given a registry the
 * application already uses, and a filter configured there would come after its meters (Micrometer
 * warns, and does not rename meters registered before the filter).
 */
final class CpuMetrics implements MeterBinder {
  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("jvm.available.processors", Runtime.getRuntime(), Runtime::availableProcessors)
        .description("The number of processors available to the Java virtual machine")
        .register(registry);
    OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
    if (os.getSystemLoadAverage() >= 0) {
      Gauge.builder("system.load.average.1m", os, OperatingSystemMXBean::getSystemLoadAverage)
          .description(
              "The sum of the number of runnable entities queued to available processors and the"
                  + " number of runnable entities running on the available processors averaged"
                  + " over a period of time")
          .register(registry);
    }
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      Gauge.builder("system.cpu.usage", sun, com.sun.management.OperatingSystemMXBean::getCpuLoad)
          .description("The \"recent cpu usage\" of the system the application is running in")
          .register(registry);
      Gauge.builder(
              "process.cpu.usage", sun, com.sun.management.OperatingSystemMXBean::getProcessCpuLoad)
          .description("The \"recent cpu usage\" for the Java Virtual Machine process")
          .register(registry);
      if (sun.getProcessCpuTime() >= 0) {
        FunctionCounter.builder("process.cpu", sun, b -> b.getProcessCpuTime() / 1e9)
            .description("CPU time used by the Java Virtual Machine process")
            .baseUnit("seconds")
            .register(registry);
      }
    }
  }
}
