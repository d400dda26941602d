// policiesFromFile: the last good policies stay, every reload or failure is an event, and a
// watched file is seen through Kubernetes' symlink swap, an editor's rename and a plain write.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/index.js';
import { policiesFromFile, type PolicyFileStore, type PolicyStoreEvent } from '../../src/policies.js';

const stores: PolicyFileStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'tenantgate-policies-'));
}

function policiesJson(tenant: string, selector = '{env="prod"}'): string {
  return JSON.stringify({ team1: { scopes: ['metrics:read'], realms: [{ tenant, labelSelectors: [selector] }] } }, null, 2);
}

/** A store with its events queued, and a way to wait for the next one. */
function open(path: string, options: Parameters<typeof policiesFromFile>[1] = {}) {
  const events: PolicyStoreEvent[] = [];
  const waiters: Array<(event: PolicyStoreEvent) => void> = [];
  const store = policiesFromFile(path, {
    ...options,
    onEvent: (event) => {
      const waiter = waiters.shift();
      if (waiter) waiter(event);
      else events.push(event);
    },
  });
  stores.push(store);
  const next = (): Promise<PolicyStoreEvent> => {
    const queued = events.shift();
    return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve));
  };
  return { store, next, events };
}

const tenantOf = async (store: PolicyFileStore) => (await store(['team1']))[0]?.realms[0]?.tenant;

/** The layout kubelet gives a mounted ConfigMap: the file is a symlink through `..data`. */
function mountConfigMap(dir: string, text: string): string {
  const version = '..2026_12_02_13_00_00.000000001';
  mkdirSync(join(dir, version));
  writeFileSync(join(dir, version, 'policies.json'), text);
  symlinkSync(version, join(dir, '..data'));
  symlinkSync(join('..data', 'policies.json'), join(dir, 'policies.json'));
  return join(dir, 'policies.json');
}

/** An update as kubelet makes it: a new version folder, `..data_tmp`, renamed over `..data`. */
function updateConfigMap(dir: string, text: string, serial: number): void {
  const version = `..2026_12_02_13_00_0${serial}.00000000${serial}`;
  mkdirSync(join(dir, version));
  writeFileSync(join(dir, version, 'policies.json'), text);
  symlinkSync(version, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  rmSync(join(dir, `..2026_12_02_13_00_0${serial - 1}.00000000${serial - 1}`), { recursive: true, force: true });
}

describe('policiesFromFile', () => {
  it('loads the file, answers the names it knows, and reports the load', async () => {
    const path = join(folder(), 'policies.json');
    writeFileSync(path, policiesJson('tenant-1'));
    const { store, next } = open(path);
    await expect(next()).resolves.toEqual({ type: 'policy_store_reloaded', path, policies: 1 });
    await store.ready();
    await expect(store(['team1', 'nobody'])).resolves.toEqual([
      { name: 'team1', scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1', labelSelectors: ['{env="prod"}'] }] },
    ]);
  });

  it('rejects ready() and every call while no version of the file could be loaded', async () => {
    const path = join(folder(), 'policies.json');
    writeFileSync(path, '{"team1": {"scopes": ["metrics:read"], "realms": [{"tenant": "t", "labelSelectors": ["rate(x[5m])"]}]}}');
    const { store, next } = open(path);
    const event = await next();
    expect(event).toEqual({
      type: 'policy_store_error',
      path,
      line: 1,
      reason:
        '`team1.realms[0].labelSelectors[0]` must be a PromQL vector selector such as \'{env="prod"}\': "rate(x[5m])" is a function call.',
    });
    await expect(store.ready()).rejects.toThrow(`no access policies loaded from ${path}: line 1: \`team1.realms[0]`);
    await expect(store(['team1'])).rejects.toThrow('is a function call');
  });

  it('refuses a file over 16 MiB without reading it (a path to the wrong file)', async () => {
    const path = join(folder(), 'policies.json');
    writeFileSync(path, Buffer.alloc(16 * 1024 * 1024 + 1, 0x20));
    const { store, next } = open(path);
    await expect(next()).resolves.toEqual({
      type: 'policy_store_error',
      path,
      reason: 'is 16777217 bytes, over the 16777216 bytes a policy file may have',
    });
    await expect(store.ready()).rejects.toThrow('over the 16777216 bytes');
  });

  it('reads YAML by the file name', async () => {
    const path = join(folder(), 'policies.yaml');
    writeFileSync(path, 'team1:\n  scopes: [metrics:read]\n  realms:\n    - tenant: tenant-1\n');
    const { store } = open(path);
    await store.ready();
    await expect(tenantOf(store)).resolves.toBe('tenant-1');
  });

  it('refuses unknown or mistyped options at once', () => {
    expect(() => policiesFromFile('/x.json', { fromat: 'gem' } as never)).toThrow(ConfigError);
    expect(() => policiesFromFile('/x.json', { fromat: 'gem' } as never)).toThrow('`fromat` is not an option (did you mean `format`?).');
    expect(() => policiesFromFile('/x.json', { format: 'grafana' } as never)).toThrow('`format` must be "tenantgate" or "gem"; got "grafana".');
    expect(() => policiesFromFile('', {})).toThrow('The path of policiesFromFile() must be a non-empty string.');
  });
});

describe('policiesFromFile with watch', () => {
  it('follows a ConfigMap update (symlink swap through ..data)', async () => {
    const dir = folder();
    const path = mountConfigMap(dir, policiesJson('tenant-1'));
    const { store, next } = open(path, { watch: true });
    await expect(next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    updateConfigMap(dir, policiesJson('tenant-2'), 2);
    await expect(next()).resolves.toEqual({ type: 'policy_store_reloaded', path, policies: 1 });
    await expect(tenantOf(store)).resolves.toBe('tenant-2');
    updateConfigMap(dir, policiesJson('tenant-3'), 3);
    await expect(next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    await expect(tenantOf(store)).resolves.toBe('tenant-3');
  });

  it('keeps the last good policies when an update is broken, and says where', async () => {
    const dir = folder();
    const path = mountConfigMap(dir, policiesJson('tenant-1'));
    const { store, next } = open(path, { watch: true });
    await next();
    updateConfigMap(dir, policiesJson('tenant-2', '{namespace=}'), 2);
    await expect(next()).resolves.toEqual({
      type: 'policy_store_error',
      path,
      line: 10,
      reason:
        '`team1.realms[0].labelSelectors[0]` is not a PromQL vector selector: "{namespace=}" does not parse (unexpected input at character 12).',
    });
    await expect(tenantOf(store)).resolves.toBe('tenant-1');
    await expect(store.ready()).resolves.toBeUndefined();
    updateConfigMap(dir, '{"team1": ', 3);
    await expect(next()).resolves.toEqual({ type: 'policy_store_error', path, line: 1, reason: 'is not valid JSON: Unexpected end of JSON input' });
    await expect(tenantOf(store)).resolves.toBe('tenant-1');
  });

  it('follows an editor that writes a temporary file and renames it', async () => {
    const dir = folder();
    const path = join(dir, 'policies.json');
    writeFileSync(path, policiesJson('tenant-1'));
    const { store, next } = open(path, { watch: true });
    await next();
    writeFileSync(join(dir, '.policies.json.swp'), policiesJson('tenant-2'));
    renameSync(join(dir, '.policies.json.swp'), path);
    await expect(next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    await expect(tenantOf(store)).resolves.toBe('tenant-2');
  });

  it('follows a write in place, and a file removed and written back at once', async () => {
    const path = join(folder(), 'policies.json');
    writeFileSync(path, policiesJson('tenant-1'));
    const { store, next, events } = open(path, { watch: true });
    await next();
    writeFileSync(path, policiesJson('tenant-2'));
    await expect(next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    await expect(tenantOf(store)).resolves.toBe('tenant-2');
    unlinkSync(path);
    writeFileSync(path, policiesJson('tenant-3'));
    await expect(next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    await expect(tenantOf(store)).resolves.toBe('tenant-3');
    expect(events).toEqual([]);
  });

  it('reports a file that stays missing, and keeps its policies', async () => {
    const path = join(folder(), 'policies.json');
    writeFileSync(path, policiesJson('tenant-1'));
    const { store, next } = open(path, { watch: true });
    await next();
    unlinkSync(path);
    const event = await next();
    expect(event).toMatchObject({ type: 'policy_store_error', path });
    expect((event as { reason: string }).reason).toMatch(/^cannot be read: ENOENT/);
    await expect(tenantOf(store)).resolves.toBe('tenant-1');
  });

  it('says nothing for a change that leaves the file as it was', async () => {
    const dir = folder();
    const path = join(dir, 'policies.json');
    writeFileSync(path, policiesJson('tenant-1'));
    const { next, events } = open(path, { watch: true });
    await next();
    writeFileSync(path, policiesJson('tenant-1'));
    writeFileSync(join(dir, 'other.txt'), 'unrelated');
    // A second watcher of the same folder: once it has seen the last change, so has the first.
    const witness = open(path, { watch: true });
    await witness.next();
    writeFileSync(join(dir, 'policies.json'), policiesJson('tenant-2'));
    await expect(witness.next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    await expect(next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    expect(events).toEqual([]);
  });

  it('stops watching on close()', async () => {
    const dir = folder();
    const path = join(dir, 'policies.json');
    writeFileSync(path, policiesJson('tenant-1'));
    const { store, next, events } = open(path, { watch: true });
    await next();
    await store.close();
    const witness = open(path, { watch: true });
    await witness.next();
    writeFileSync(path, policiesJson('tenant-2'));
    await expect(witness.next()).resolves.toMatchObject({ type: 'policy_store_reloaded' });
    expect(events).toEqual([]);
    await expect(tenantOf(store)).resolves.toBe('tenant-1');
  });
});
