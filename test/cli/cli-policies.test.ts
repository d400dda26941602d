// `tenantgate inspect --policies FILE` reports mistakes in the file by their path, as
// `createAuthenticator` does (rule 24), rather than "accessPolicies must be a record".
// Runs the built command line (npm test builds first), like cli.test.ts.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end('');
  });
}

let issuer: TestIssuer;
let dir: string;
let token: string;

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: 'metrics-api' });
  dir = mkdtempSync(join(tmpdir(), 'tenantgate-cli-policies-'));
  token = await issuer.sign({ sub: 'pref-1234567890-abc' });
});

afterAll(async () => {
  await issuer?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs `inspect` with `policies` written to a file. */
async function inspectWith(policies: unknown): Promise<Run> {
  const file = join(dir, `policies-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(policies));
  const base = ['--issuer', issuer.url, '--audience', 'metrics-api', '--claim', 'sub', '--regex', 'pref-([0-9]+)-.*'];
  return run(['inspect', ...base, '--policies', file, `tenant-1:${token}`]);
}

describe('tenantgate inspect --policies with mistakes', () => {
  it('names each mistake by its path, exits 2, and does not fall back to "must be a record"', async () => {
    const result = await inspectWith({
      team1: { scopes: 'metrics:read', realms: ['tenant-1'] },
      team2: { scopes: ['metrics:read'], realms: [{ tennant: 'tenant-2' }] },
      team3: { scopes: ['metrics:read'] },
    });
    expect(result.code).toBe(2);
    for (const problem of [
      '`accessPolicies.team1.scopes` must be a list of scope strings; got "metrics:read".',
      '`accessPolicies.team1.realms[0]` must be a realm such as { tenant: "tenant-1" }; got "tenant-1".',
      '`accessPolicies.team2.realms[0].tenant` is required: it must be a tenant ID or "*".',
      '`accessPolicies.team2.realms[0].tennant` is not an option (did you mean `tenant`?).',
      '`accessPolicies.team3.realms` is required: it must be a list of realms such as [{ tenant: "tenant-1" }].',
    ]) {
      expect(result.stderr).toContain(problem);
    }
    expect(result.stderr).not.toContain('must be a record');
    expect(result.stdout + result.stderr).not.toContain(token.split('.')[2]);
  });

  it('still accepts a good file', async () => {
    const result = await inspectWith({ '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
