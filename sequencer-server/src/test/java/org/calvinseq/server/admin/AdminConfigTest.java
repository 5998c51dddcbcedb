package org.calvinseq.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Fail-fast configuration: the builder, readiness checks and CIDR parsing. */
class AdminConfigTest {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  @Test
  void cidrRangesMatchTheirAddressesOnly() {
    assertThat(ClientAllowList.parse("10.0.0.0/8").matches(addr("10.255.0.1"))).isTrue();
    assertThat(ClientAllowList.parse("10.0.0.0/8").matches(addr("11.0.0.1"))).isFalse();
    assertThat(ClientAllowList.parse("192.168.1.7").matches(addr("192.168.1.7"))).isTrue();
    assertThat(ClientAllowList.parse("192.168.1.7").matches(addr("192.168.1.8"))).isFalse();
    assertThat(ClientAllowList.parse(" fd00::/8 ").matches(addr("fd12::1"))).isTrue();
    assertThat(ClientAllowList.parse("::1").matches(addr("::1"))).isTrue();
    assertThat(ClientAllowList.parse("::1/128").matches(addr("127.0.0.1"))).isFalse();
    assertThat(ClientAllowList.parse("0.0.0.0/0").matches(addr("203.0.113.9"))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "localhost",
        "example.com/24",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "1.2.3/8"
      })
  void badCidrRangesAreRejectedAtOnce(String cidr) {
    assertThatThrownBy(() -> AdminServer.builder().allowClient(cidr))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builderRejectsBadSettings() {
    AdminServer.Builder builder = AdminServer.builder();
    assertThatThrownBy(() -> builder.port(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.port(65_536)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.maxConnections(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.connectionDeadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.maxRequestBytes(10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.host(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("meterRegistry");
  }

  @Test
  void duplicateCheckNamesAreRejected() {
    AdminServer.Builder builder =
        AdminServer.builder()
            .meterRegistry(registry)
            .readinessChecks(
                List.of(ReadinessCheck.of("a", () -> true), ReadinessCheck.of("a", () -> true)));

    assertThatThrownBy(builder::build).hasMessageContaining("duplicate readiness check: a");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has leader", "a\nb", "[+]x"})
  void checkNamesMustFitOnOneLine(String name) {
    assertThatThrownBy(() -> ReadinessCheck.of(name, () -> true))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void failedResultsAlwaysCarryAOneLineReason() {
    assertThat(CheckResult.fail("").reason()).isEqualTo("no reason given");
    assertThat(CheckResult.fail("a\r\nb").reason()).isEqualTo("a  b");
    assertThat(CheckResult.pass().reason()).isEmpty();
    assertThat(new ReadinessCheck("x", () -> null).run().passed()).isFalse();
  }

  @Test
  void anUnstartedServerHasNoPort() {
    AdminServer server = AdminServer.builder().meterRegistry(registry).build();

    assertThatThrownBy(server::port).isInstanceOf(IllegalStateException.class);
    server.close();
    assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
  }

  private static InetSocketAddress addr(String ip) {
    return new InetSocketAddress(ip, 1);
  }
}
