import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestIssuer } from '../../src/testing.js';

// The gateway example with label policies, end to end: a real gateway, issuer and echo
// upstream (the example's own), as in test/examples.test.ts; these tests run against dist/.

interface Received {
  method: string;
  url: string;
  orgId: string | null;
  authorization: boolean;
}

interface Echo extends Received {
  contentType: string | null;
  body: string;
}

interface Gateway {
  url: string;
  issuer?: TestIssuer;
  upstream?: { url: string; received: Received[] };
  close(): Promise<void>;
}

interface GatewayModule {
  start(options: { port?: number; env?: Record<string, string | undefined>; accessPolicies?: Record<string, unknown> }): Promise<Gateway>;
}

const READ_WRITE = ['metrics:read', 'metrics:write'];
const POLICIES = {
  // One selector.
  '1': { scopes: READ_WRITE, realms: [{ tenant: 'tenant-1', labelSelectors: ['{namespace="default"}'] }] },
  // Several on one label: a regex union.
  '2': { scopes: READ_WRITE, realms: [{ tenant: 'tenant-1', labelSelectors: ['{team="a"}', '{team=~"b.*"}'] }] },
  // Several on different labels: not one query.
  '3': { scopes: READ_WRITE, realms: [{ tenant: 'tenant-1', labelSelectors: ['{team="a"}', '{env="dev"}'] }] },
  // Unrestricted.
  '4': { scopes: READ_WRITE, realms: [{ tenant: 'tenant-1' }] },
  // tenant-1 restricted, tenant-2 not, for a federated query.
  '5': {
    scopes: READ_WRITE,
    realms: [{ tenant: 'tenant-1', labelSelectors: ['{namespace="default"}'] }, { tenant: 'tenant-2' }],
  },
};
const FORM = 'application/x-www-form-urlencoded';
const N = 'namespace="default"';

let gateway: Gateway;
let issuer: TestIssuer;
let received: Received[];

beforeAll(async () => {
  const specifier = new URL('../../examples/gateway/server.js', import.meta.url).href;
  const { start } = (await import(specifier)) as GatewayModule;
  gateway = await start({ port: 0, env: {}, accessPolicies: POLICIES });
  if (gateway.issuer === undefined || gateway.upstream === undefined) throw new Error('the gateway did not start its issuer and upstream');
  issuer = gateway.issuer;
  received = gateway.upstream.received;
});

afterAll(async () => {
  await gateway?.close();
});

async function bearer(policy: string, tenant = 'tenant-1'): Promise<string> {
  return `Bearer ${tenant}:${await issuer.sign({ sub: `pref-${policy}-test` })}`;
}

/** Sends a request and returns its status and JSON body, plus what reached the upstream. */
async function send(
  policy: string,
  path: string,
  init: { method?: string; body?: string; contentType?: string; encoding?: string; tenant?: string } = {},
) {
  const before = received.length;
  const headers: Record<string, string> = { authorization: await bearer(policy, init.tenant) };
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  if (init.encoding !== undefined) headers['content-encoding'] = init.encoding;
  const response = await fetch(`${gateway.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, forwarded: received.slice(before) };
}

/** The parameters the upstream received in its URL. */
function urlParams(echo: Record<string, unknown>): [string, string][] {
  return [...new URL(String(echo.url), 'http://upstream').searchParams];
}

describe('gateway label enforcement: one selector', () => {
  it('rewrites the query of GET /prometheus/api/v1/query and keeps the other parameters', async () => {
    const query = 'sum by (job) (rate(x[5m] offset 1h)) or y @ start()';
    const { status, body, forwarded } = await send('1', `/prometheus/api/v1/query?query=${encodeURIComponent(query)}&time=1700000000`);
    expect(status).toBe(200);
    expect(forwarded).toHaveLength(1);
    expect(body).toMatchObject({ method: 'GET', orgId: 'tenant-1', authorization: false });
    expect(String(body.url).startsWith('/prometheus/api/v1/query?')).toBe(true);
    expect(urlParams(body)).toEqual([
      ['query', `sum by (job) (rate(x{${N}}[5m] offset 1h)) or y{${N}} @ start()`],
      ['time', '1700000000'],
    ]);
  });

  it('rewrites query_range under every prefix, subqueries included', async () => {
    const query = 'max_over_time(rate(a[1m])[1h:5m]) unless b';
    const { status, body } = await send('1', `/api/v1/query_range?query=${encodeURIComponent(query)}&start=1&end=2&step=15`);
    expect(status).toBe(200);
    expect(urlParams(body)).toEqual([
      ['query', `max_over_time(rate(a{${N}}[1m])[1h:5m]) unless b{${N}}`],
      ['start', '1'],
      ['end', '2'],
      ['step', '15'],
    ]);
  });

  it('rewrites a POSTed form body, and a query in its URL as well', async () => {
    const { status, body } = await send('1', '/prometheus/api/v1/query?query=from_url', {
      method: 'POST',
      contentType: `${FORM}; charset=utf-8`,
      body: new URLSearchParams({ query: 'a and b', time: '5' }).toString(),
    });
    expect(status).toBe(200);
    expect(body.contentType).toBe(FORM);
    expect([...new URLSearchParams(String(body.body))]).toEqual([
      ['query', `a{${N}} and b{${N}}`],
      ['time', '5'],
    ]);
    expect(urlParams(body)).toEqual([['query', `from_url{${N}}`]]);
  });

  it('rewrites the URL of a POST without a body', async () => {
    const { status, body } = await send('1', '/prometheus/api/v1/query?query=up', { method: 'POST' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ method: 'POST', body: '' });
    expect(urlParams(body)).toEqual([['query', `up{${N}}`]]);
  });

  it('rewrites a form body sent in chunks, with a Content-Length of its own', async () => {
    const authorization = await bearer('1');
    const echo = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const outgoing = httpRequest(
        `${gateway.url}/prometheus/api/v1/query`,
        { method: 'POST', headers: { authorization, 'content-type': FORM, 'transfer-encoding': 'chunked' } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>));
        },
      );
      outgoing.on('error', reject);
      outgoing.write('query=rate(');
      outgoing.end('x[5m])');
    });
    expect(echo).toMatchObject({ method: 'POST', body: new URLSearchParams({ query: `rate(x{${N}}[5m])` }).toString() });
  });

  it('enforces a path that only reaches the query endpoint once decoded', async () => {
    const { status, body } = await send('1', '/prometheus/api/v1/%71uery?query=up');
    expect(status).toBe(200);
    expect(urlParams(body)).toEqual([['query', `up{${N}}`]]);
  });

  it('rewrites each match[] of series and adds the selector when labels has none', async () => {
    const series = await send('1', `/prometheus/api/v1/series?match[]=up&match[]=${encodeURIComponent('{job="api"}')}&start=1`);
    expect(series.status).toBe(200);
    expect(urlParams(series.body)).toEqual([
      ['start', '1'],
      ['match[]', `up{${N}}`],
      ['match[]', `{job="api", ${N}}`],
    ]);

    const labels = await send('1', '/prometheus/api/v1/labels');
    expect(labels.status).toBe(200);
    expect(urlParams(labels.body)).toEqual([['match[]', `{${N}}`]]);
  });

  it('rewrites match[] of label values in a POSTed body without adding one to the URL', async () => {
    const { status, body } = await send('1', '/prometheus/api/v1/label/job/values', {
      method: 'POST',
      contentType: FORM,
      body: 'match%5B%5D=up',
    });
    expect(status).toBe(200);
    expect(urlParams(body)).toEqual([]);
    expect([...new URLSearchParams(String(body.body))]).toEqual([['match[]', `up{${N}}`]]);
  });

  it('answers 400 with the position for a query that does not parse, without forwarding it', async () => {
    const { status, body, forwarded } = await send('1', `/prometheus/api/v1/query?query=${encodeURIComponent('up +')}`);
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_request', error_description: 'the query does not parse: unexpected input at line 1, column 5 (offset 4)' });
    expect(forwarded).toEqual([]);
  });

  it('answers 400 for a match[] that is not a series selector', async () => {
    const { status, body, forwarded } = await send('1', `/prometheus/api/v1/series?match[]=${encodeURIComponent('sum(up)')}`);
    expect(status).toBe(400);
    expect(body).toEqual({ error: 'invalid_request', error_description: 'match[] must be a series selector such as up{job="api"}, not an expression' });
    expect(forwarded).toEqual([]);
  });

  it('refuses info() with 403', async () => {
    const { status, body, forwarded } = await send('1', `/prometheus/api/v1/query?query=${encodeURIComponent('info(up)')}`);
    expect(status).toBe(403);
    expect(body).toEqual({
      error: 'insufficient_scope',
      error_description: 'the query calls info(), which reads info series such as target_info that the label policy cannot restrict',
    });
    expect(forwarded).toEqual([]);
  });

  it('refuses a body it cannot check (415), a method that is not a query (405) and an oversized form (413)', async () => {
    const json = await send('1', '/prometheus/api/v1/query', { method: 'POST', contentType: 'application/json', body: '{"query":"up"}' });
    expect(json.status).toBe(415);
    expect(json.body).toEqual({ error: 'invalid_request', error_description: `a query body must be ${FORM}` });
    expect(json.forwarded).toEqual([]);

    const gzip = await send('1', '/prometheus/api/v1/query', { method: 'POST', contentType: FORM, body: 'query=up', encoding: 'gzip' });
    expect(gzip.status).toBe(415);
    expect(gzip.body).toEqual({ error: 'invalid_request', error_description: 'a query body must not be compressed' });
    expect(gzip.forwarded).toEqual([]);

    const put = await send('1', '/prometheus/api/v1/query?query=up', { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.body).toEqual({ error: 'invalid_request', error_description: 'PUT is not a query method; use GET or POST' });
    expect(put.forwarded).toEqual([]);

    const large = await send('1', '/prometheus/api/v1/query', { method: 'POST', contentType: FORM, body: `query=${'a'.repeat(1024 * 1024)}` });
    expect(large.status).toBe(413);
    expect(large.body).toEqual({ error: 'invalid_request', error_description: 'a query body must be at most 1048576 bytes' });
    expect(large.forwarded).toEqual([]);
  });

  it('rewrites query_exemplars like a query', async () => {
    const { status, body } = await send('1', '/prometheus/api/v1/query_exemplars?query=up&start=1&end=2');
    expect(status).toBe(200);
    expect(urlParams(body)).toEqual([['query', `up{${N}}`], ['start', '1'], ['end', '2']]);
  });

  it('refuses a restricted tenant every read it cannot limit (metadata, remote read, cardinality)', async () => {
    for (const [path, method] of [
      ['/prometheus/api/v1/metadata?metric=up', 'GET'],
      ['/prometheus/api/v1/read', 'POST'],
      ['/prometheus/api/v1/cardinality/label_names?selector=%7B%7D', 'GET'],
    ] as const) {
      const { status, body, forwarded } = await send('1', path, { method });
      expect(status).toBe(403);
      expect(body).toMatchObject({ error: 'insufficient_scope', error_description: expect.stringContaining('cannot be limited') });
      expect(forwarded).toHaveLength(0);
    }
  });

  it('lets an unrestricted tenant read other routes as sent', async () => {
    const { status, body } = await send('4', '/prometheus/api/v1/metadata?metric=up');
    expect(status).toBe(200);
    expect(body.url).toBe('/prometheus/api/v1/metadata?metric=up');
  });

  it('needs only the read scope to POST a query (Grafana posts its queries)', async () => {
    const gatewayModule = (await import(new URL('../../examples/gateway/label-policy-hook.js', import.meta.url).href)) as {
      scopeFor(request: { method: string; url: string }): string;
    };
    expect(gatewayModule.scopeFor({ method: 'POST', url: '/prometheus/api/v1/query_range' })).toBe('metrics:read');
    expect(gatewayModule.scopeFor({ method: 'POST', url: '/prometheus/api/v1/label/job/values?x=1' })).toBe('metrics:read');
    expect(gatewayModule.scopeFor({ method: 'POST', url: '/api/v1/push' })).toBe('metrics:write');
    expect(gatewayModule.scopeFor({ method: 'GET', url: '/api/v1/push' })).toBe('metrics:read');
  });

  it('lets a restricted tenant write', async () => {
    const push = await send('1', '/api/v1/push', { method: 'POST', contentType: 'application/x-protobuf', body: 'raw' });
    expect(push.status).toBe(200);
    expect(push.body).toMatchObject({ url: '/api/v1/push', body: 'raw', contentType: 'application/x-protobuf' });
  });
});

describe('gateway label enforcement: several selectors, no selector, several tenants', () => {
  it('injects a regex union for selectors on one label', async () => {
    const { status, body } = await send('2', `/prometheus/api/v1/query?query=${encodeURIComponent('rate(x[5m])')}`);
    expect(status).toBe(200);
    expect(urlParams(body)).toEqual([['query', 'rate(x{team=~"a|b.*"}[5m])']]);
  });

  it('refuses with 403 and the reason when the selectors cannot be one query', async () => {
    const { status, body, forwarded } = await send('3', '/prometheus/api/v1/query?query=up');
    expect(status).toBe(403);
    expect(body).toEqual({
      error: 'insufficient_scope',
      error_description: 'the label selectors {team="a"}, {env="dev"} cannot be enforced as one query: they constrain different labels (team, env)',
    });
    expect(forwarded).toEqual([]);
  });

  it('forwards the query of an unrestricted tenant as sent', async () => {
    const { status, body } = await send('4', '/prometheus/api/v1/query?query=up%20%2B');
    expect(status).toBe(200);
    expect(urlParams(body)).toEqual([['query', 'up +']]);
    const labels = await send('4', '/prometheus/api/v1/labels');
    expect(labels.body.url).toBe('/prometheus/api/v1/labels');
  });

  it('refuses a federated query when one of its tenants is restricted', async () => {
    const { status, body, forwarded } = await send('5', '/prometheus/api/v1/query?query=up', { tenant: 'tenant-1|tenant-2' });
    expect(status).toBe(403);
    expect(body).toEqual({
      error: 'insufficient_scope',
      error_description: 'label policies cannot be enforced on a query across several tenants; query each tenant on its own',
    });
    expect(forwarded).toEqual([]);
  });
});
