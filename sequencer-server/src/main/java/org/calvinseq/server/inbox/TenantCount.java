package org.calvinseq.server.inbox;

/**
 * A tenant and a count (of refusals, in {@link InboxStats#topRefusedTenants()}).
 *
 * @param tenantId the tenant, unsigned
 * @param count the count; an upper bound (see {@link InboxStats#topRefusedTenants()})
 */
public record TenantCount(long tenantId, long count) {
  @Override
  public String toString() {
    return Long.toUnsignedString(tenantId) + "=" + count;
  }
}
