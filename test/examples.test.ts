import { afterEach, describe, expect, it } from 'vitest';
import type { TestIssuer } from '../src/testing.js';

// The examples are plain JavaScript that import the built package by name ('tenantgate',
// 'tenantgate/express', ...), so these tests run against dist/ (built by `npm test`'s pretest).

interface RunningExample {
  url: string;
  issuer?: TestIssuer;
  close(): Promise<void>;
}

interface EchoUpstream {
  url: string;
  received: { method: string; url: string; orgId: string | null; authorization: boolean }[];
}

interface ExampleModule {
  start(options: { port?: number; env?: Record<string, string | undefined> }): Promise<RunningExample & { upstream?: EchoUpstream }>;
}

async function load(name: string): Promise<ExampleModule> {
  const specifier = new URL(`../examples/${name}/server.js`, import.meta.url).href;
  return (await import(specifier)) as ExampleModule;
}

const running: RunningExample[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((example) => example.close()));
});

/** Starts an example on a free port with a local test issuer, whatever the environment says. */
async function start(name: string) {
  const { start: startExample } = await load(name);
  const example = await startExample({ port: 0, env: {} });
  running.push(example);
  const { issuer } = example;
  if (issuer === undefined) throw new Error(`${name} did not start a test issuer`);
  const token = await issuer.sign({ sub: 'pref-1234567890-test' });
  return { ...example, issuer, bearer: `Bearer tenant-1:${token}` };
}

describe.each(['express-metrics', 'koa-api', 'fastify-api', 'hono-api', 'nest-api'])('example %s', (name) => {
  it('serves per-tenant metrics to a tenant with metrics:read and refuses a request without credentials', async () => {
    const example = await start(name);

    const accepted = await fetch(`${example.url}/metrics`, { headers: { authorization: example.bearer } });
    expect(accepted.status).toBe(200);
    expect(accepted.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await accepted.text()).toContain('tenant_requests_total{tenant="tenant-1"} 1\n');

    const refused = await fetch(`${example.url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer realm="tenantgate"/);
    expect(await refused.json()).toMatchObject({ error: 'unauthorized' });
  });

  it('accepts a push with metrics:write and refuses one without credentials', async () => {
    const example = await start(name);

    const pushed = await fetch(`${example.url}/push`, { method: 'POST', headers: { authorization: example.bearer } });
    expect(pushed.status).toBe(204);
    const refused = await fetch(`${example.url}/push`, { method: 'POST' });
    expect(refused.status).toBe(401);

    const metrics = await fetch(`${example.url}/metrics`, { headers: { authorization: example.bearer } });
    expect(await metrics.text()).toContain('tenant_requests_total{tenant="tenant-1"} 2\n');
  });
});

describe.each(['fastify-api', 'hono-api', 'nest-api'])('example %s', (name) => {
  it('keeps /health public', async () => {
    const example = await start(name);
    const health = await fetch(`${example.url}/health`);
    expect(health.status).toBe(200);
  });
});

describe('example gateway', () => {
  it('forwards the verified tenant upstream in place of a spoofed X-Scope-OrgID, and refuses a request without credentials', async () => {
    const example = await start('gateway');
    const upstream = example.upstream;
    if (upstream === undefined) throw new Error('the gateway did not start its echo upstream');

    const accepted = await fetch(`${example.url}/api/v1/query?query=up`, {
      headers: { authorization: example.bearer, 'x-scope-orgid': 'tenant-2' },
    });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ url: '/api/v1/query?query=up', orgId: 'tenant-1', authorization: false });
    expect(upstream.received).toEqual([
      { method: 'GET', url: '/api/v1/query?query=up', orgId: 'tenant-1', authorization: false },
    ]);

    const refused = await fetch(`${example.url}/api/v1/query?query=up`, { headers: { 'x-scope-orgid': 'tenant-1' } });
    expect(refused.status).toBe(401);
    expect(upstream.received).toHaveLength(1);
  });

  it('needs metrics:write for methods other than GET and HEAD', async () => {
    const example = await start('gateway');
    const pushed = await fetch(`${example.url}/api/v1/push`, { method: 'POST', headers: { authorization: example.bearer } });
    expect(pushed.status).toBe(200);
    expect(await pushed.json()).toMatchObject({ method: 'POST', orgId: 'tenant-1' });
  });
});
