package org.calvinseq.server.admin;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.handler.ipfilter.RuleBasedIpFilter;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admits only clients whose address lies in one of a list of CIDR ranges; others are closed on
 * registration, before anything is read.
 *
 * <p>IPv4 clients of a dual-stack socket are reported by Java as {@link Inet4Address}, so they
 * match IPv4 ranges, not {@code ::ffff:0:0/96}.
 */
@Sharable
final class ClientAllowList extends RuleBasedIpFilter {
  private static final Logger LOG = LoggerFactory.getLogger(ClientAllowList.class);

  private final AdminMeters meters;

  ClientAllowList(List<IpSubnetFilterRule> ranges, AdminMeters meters) {
    super(false, ranges.toArray(new IpSubnetFilterRule[0]));
    this.meters = meters;
  }

  @Override
  protected ChannelFuture channelRejected(ChannelHandlerContext ctx, InetSocketAddress remote) {
    meters.rejectedForbidden();
    LOG.debug("Admin connection from {} refused: not in the allow-list", remote);
    return null; // the filter closes the channel
  }

  /**
   * Parses {@code address/prefix} (IPv4 or IPv6) or a bare address (a single host). Only literal
   * addresses are accepted: a host name would be resolved through DNS, once, at start-up.
   *
   * @throws IllegalArgumentException if {@code cidr} is not a valid range
   */
  static IpSubnetFilterRule parse(String cidr) {
    String text = cidr.strip();
    int slash = text.indexOf('/');
    String addressText = slash < 0 ? text : text.substring(0, slash);
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(addressText);
    if (address == null) {
      throw new IllegalArgumentException("not an IP address or CIDR range: " + cidr);
    }
    int maxPrefix = address instanceof Inet4Address ? 32 : 128;
    int prefix;
    if (slash < 0) {
      prefix = maxPrefix;
    } else {
      try {
        prefix = Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix length in CIDR range: " + cidr, e);
      }
    }
    if (prefix < 0 || prefix > maxPrefix) {
      throw new IllegalArgumentException(
          "prefix length must be 0.." + maxPrefix + " in CIDR range: " + cidr);
    }
    return new IpSubnetFilterRule(address, prefix, IpFilterRuleType.ACCEPT);
  }
}
