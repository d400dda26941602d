// Policies from a file, through createAuthenticator: a ConfigMap update reaches requests
// within a second without a restart (cached tokens included), a broken update changes
// nothing but is reported, and a file that never loaded makes ready() reject. Selectors are
// checked for every kind of store.
import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, createAuthenticator, type AuthEvent, type Authenticator } from '../../src/index.js';
import { policiesFromFile, type PolicyFileStore } from '../../src/policies.js';
import { collectMetrics } from '../../src/prometheus.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

let issuer: TestIssuer;
const closing: Array<Authenticator | PolicyFileStore> = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  await Promise.all(closing.map((each) => each.close()));
  await issuer?.close();
});

function gemPolicies(tenant: string, selector: string): string {
  const policy = { name: 'team1', display_name: 'Team 1', status: 'active', scopes: ['metrics:read'], realms: [{ tenant, label_policies: [{ selector }] }] };
  return JSON.stringify({ items: [policy] }, null, 2);
}

/** A ConfigMap mounted the way kubelet mounts it, and its updates. */
function configMap(text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'tenantgate-configmap-'));
  let serial = 1;
  const version = () => `..2026_12_02_14_00_0${serial}.00000000${serial}`;
  mkdirSync(join(dir, version()));
  writeFileSync(join(dir, version(), 'policies.json'), text);
  symlinkSync(version(), join(dir, '..data'));
  symlinkSync(join('..data', 'policies.json'), join(dir, 'policies.json'));
  return {
    path: join(dir, 'policies.json'),
    update(next: string) {
      serial += 1;
      mkdirSync(join(dir, version()));
      writeFileSync(join(dir, version(), 'policies.json'), next);
      symlinkSync(version(), join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    },
  };
}

function authenticatorWith(accessPolicies: Parameters<typeof createAuthenticator>[0]['accessPolicies'], events: AuthEvent[] = []) {
  const auth = createAuthenticator({
    issuerUrl: issuer.url,
    audience: issuer.audience,
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([a-z0-9]+)-.*',
    accessPolicies,
    onEvent: (event) => events.push(event),
  });
  closing.push(auth);
  return auth;
}

/** Resolves with the next event of `type` the authenticator emits; fails after `ms`. */
function nextEvent(events: AuthEvent[], type: AuthEvent['type'], ms = 1000): Promise<AuthEvent> {
  const seen = events.length;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${ms} ms`)), ms);
    const look = () => {
      const found = events.slice(seen).find((event) => event.type === type);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      } else {
        setImmediate(look);
      }
    };
    look();
  });
}

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe('policies from a watched ConfigMap file', () => {
  it('serves the new policies within a second of an update, keeps them through a broken one', async () => {
    const mount = configMap(gemPolicies('tenant-1', '{namespace="default"}'));
    const store = policiesFromFile(mount.path, { format: 'gem', watch: true });
    closing.push(store);
    const events: AuthEvent[] = [];
    const auth = authenticatorWith(store, events);
    await auth.ready();
    const token = await issuer.sign({ sub: 'pref-team1-x' });

    const first = await auth.authenticate({ authorization: `Bearer tenant-1:${token}` });
    expect(first.accessPolicy).toMatchObject({ name: 'team1', displayName: 'Team 1', tenants: ['tenant-1'] });
    expect(first.accessPolicy.selectorsFor('tenant-1')).toEqual(['{namespace="default"}']);

    // The token and its policy are cached now; the update must reach them anyway.
    const reloaded = nextEvent(events, 'policy_store_reloaded');
    mount.update(gemPolicies('tenant-2', 'up{ team = "a" }'));
    await expect(reloaded).resolves.toEqual({ type: 'policy_store_reloaded', path: mount.path, policies: 1 });
    const second = await auth.authenticate({ authorization: `Bearer tenant-2:${token}` });
    expect(second.accessPolicy.selectorsFor('tenant-2')).toEqual(['{__name__="up", team="a"}']);
    const refused = await refusal(auth.authenticate({ authorization: `Bearer tenant-1:${token}` }));
    expect(refused).toMatchObject({ code: 'tenant_forbidden', status: 403 });

    const failed = nextEvent(events, 'policy_store_error');
    mount.update(gemPolicies('tenant-3', 'rate(x[5m])'));
    await expect(failed).resolves.toEqual({
      type: 'policy_store_error',
      path: mount.path,
      line: 15,
      reason:
        'In policy "team1": `items[0].realms[0].label_policies[0].selector` must be a PromQL vector selector such as \'{env="prod"}\': "rate(x[5m])" is a function call.',
    });
    const third = await auth.authenticate({ authorization: `Bearer tenant-2:${token}` });
    expect(third.accessPolicy.tenants).toEqual(['tenant-2']);
  });

  it('rejects ready() and answers 503 while the first version does not load', async () => {
    const mount = configMap(gemPolicies('tenant-1', '{namespace=}'));
    const store = policiesFromFile(mount.path, { format: 'gem', watch: true });
    closing.push(store);
    const events: AuthEvent[] = [];
    const auth = authenticatorWith(store, events);
    const notReady = await refusal(auth.ready());
    expect(notReady).toMatchObject({ code: 'policy_store_unavailable', status: 503 });
    expect(notReady.message).toContain('line 15: In policy "team1"');
    const token = await issuer.sign({ sub: 'pref-team1-x' });
    const refused = await refusal(auth.authenticate({ authorization: `Bearer tenant-1:${token}` }));
    expect(refused).toMatchObject({ code: 'policy_store_unavailable', status: 503 });
    const rejected = events.find((event) => event.type === 'rejected');
    expect(rejected).toMatchObject({ code: 'policy_store_unavailable' });
    expect((rejected as { reason: string }).reason).toContain(`no access policies loaded from ${mount.path}: line 15:`);

    const reloaded = nextEvent(events, 'policy_store_reloaded');
    mount.update(gemPolicies('tenant-1', '{namespace="default"}'));
    await reloaded;
    await auth.ready();
    await expect(auth.authenticate({ authorization: `Bearer tenant-1:${token}` })).resolves.toMatchObject({ tenant: 'tenant-1' });
  });
});

describe('policy file metrics', () => {
  it('counts loads by result and shows the policies in force', async () => {
    const mount = configMap(gemPolicies('tenant-1', '{namespace="default"}'));
    const store = policiesFromFile(mount.path, { format: 'gem', watch: true });
    closing.push(store);
    const events: AuthEvent[] = [];
    const auth = authenticatorWith(store, events);
    const registry = new Registry();
    const metrics = collectMetrics(auth, { registry });
    await auth.ready();
    const failed = nextEvent(events, 'policy_store_error');
    mount.update('[');
    await failed;
    const text = await registry.metrics();
    metrics.stop();
    expect(text).toContain(`tenantgate_policy_store_reloads_total{path="${mount.path}",result="failure"} 1`);
    expect(text).toContain(`tenantgate_policy_store_policies{path="${mount.path}"} 1`);
  });
});

describe('label selectors in every store', () => {
  it('are a ConfigError in a record, naming policy, realm and selector', () => {
    const create = () =>
      authenticatorWith({ team1: { scopes: ['metrics:read'], realms: [{ tenant: 't', labelSelectors: ['{a="b"}', 'rate(x[5m])'] }] } });
    expect(create).toThrow(ConfigError);
    expect(create).toThrow(
      '`accessPolicies.team1.realms[0].labelSelectors[1]` must be a PromQL vector selector such as \'{env="prod"}\': "rate(x[5m])" is a function call.',
    );
  });

  it('are a 503 in a store function\'s answer, the reason naming policy, realm and selector', async () => {
    const events: AuthEvent[] = [];
    const auth = authenticatorWith(async () => [{ name: 'team1', scopes: [], realms: [{ tenant: 't', labelSelectors: ['{namespace=}'] }] }], events);
    const token = await issuer.sign({ sub: 'pref-team1-x' });
    const refused = await refusal(auth.authenticate({ authorization: `Bearer t:${token}` }));
    expect(refused).toMatchObject({ code: 'policy_store_unavailable', status: 503 });
    expect(events.find((event) => event.type === 'rejected')).toMatchObject({
      reason:
        '`policies[0].realms[0].labelSelectors[0]` is not a PromQL vector selector: "{namespace=}" does not parse (unexpected input at character 12).',
    });
  });

  it('come out of a store function in normal form', async () => {
    const auth = authenticatorWith(async () => [{ name: 'team1', scopes: [], realms: [{ tenant: 't', labelSelectors: ["{ env = 'prod' }"] }] }]);
    const token = await issuer.sign({ sub: 'pref-team1-x' });
    const result = await auth.authenticate({ authorization: `Bearer t:${token}` });
    expect(result.accessPolicy.selectorsFor('t')).toEqual(['{env="prod"}']);
  });
});
