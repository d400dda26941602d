// A per-tenant request counter rendered in the Prometheus text exposition format.

/** Counts requests per tenant and renders them as `tenant_requests_total{tenant="..."} N`. */
export function createTenantCounter() {
  /** @type {Map<string, number>} */
  const counts = new Map();
  return {
    /** Counts one request for each tenant it named (`t1|t2` names two). */
    count(/** @type {string[]} */ tenants) {
      for (const tenant of tenants) counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
    },
    /** The counters of `tenants` only: a tenant never sees another tenant's series. */
    render(/** @type {string[]} */ tenants) {
      const lines = [
        '# HELP tenant_requests_total Authenticated requests per tenant.',
        '# TYPE tenant_requests_total counter',
      ];
      for (const tenant of [...new Set(tenants)].sort()) {
        lines.push(`tenant_requests_total{tenant="${escapeLabel(tenant)}"} ${counts.get(tenant) ?? 0}`);
      }
      return `${lines.join('\n')}\n`;
    },
  };
}

/** The content type of the Prometheus text format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value) {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
