import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '../src/testing.js';

// Runs the built command line (npm test builds first), asynchronously so that the
// issuer in this process can answer it.
const cli = new URL('../dist/cli.js', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

let issuer: TestIssuer;
let dir: string;
let base: string[];
const policies = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
};

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: 'metrics-api' });
  dir = mkdtempSync(join(tmpdir(), 'tenantgate-cli-'));
  writeFileSync(join(dir, 'policies.json'), JSON.stringify(policies));
  base = ['--issuer', issuer.url, '--audience', 'metrics-api', '--claim', 'sub', '--regex', 'pref-([0-9]+)-.*'];
});

afterAll(async () => {
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tenantgate inspect', () => {
  it('accepts a good token with exit 0, every check passing, and never prints the token', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const result = await run(['inspect', ...base, '--policies', join(dir, 'policies.json'), `tenant-1:${token}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('FAIL');
    for (const check of ['credentials', 'discovery', 'jwks', 'algorithm', 'signature', 'aud', 'exp', 'claim', 'regex', 'names', 'policies', 'tenant', 'verdict']) {
      expect(result.stdout).toMatch(new RegExp(`PASS ${check}\\b`));
    }
    expect(result.stdout).toContain('"pref-1234567890-abc" -> "1234567890"');
    expect(result.stdout + result.stderr).not.toContain(token.split('.')[2]);
  });

  it('shows both issuer strings when they differ by a trailing slash', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const args = base.map((value) => (value === issuer.url ? `${issuer.url}/` : value));
    const result = await run(['inspect', ...args, token]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL iss/);
    expect(result.stdout).toContain(`"${issuer.url}"`);
    expect(result.stdout).toContain(`"${issuer.url}/"`);
    expect(result.stdout).toMatch(/FAIL verdict\s+rejected: 401 issuer_mismatch/);
  });

  it('explains an expired token and an unknown kid', async () => {
    const expired = await issuer.sign({ sub: 'pref-1234567890-abc', exp: Math.floor(Date.now() / 1000) - 3600 });
    const late = await run(['inspect', ...base, expired]);
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/FAIL exp\s+\S+ \(-36\d\d s from now\)/);
    expect(late.stdout).toMatch(/token_expired/);

    const stranger = await issuer.sign({ sub: 'pref-1234567890-abc' }, { header: { kid: 'retired-key' } });
    const unknown = await run(['inspect', ...base, stranger]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/FAIL jwks/);
    expect(unknown.stdout).toContain(issuer.kids[0] ?? 'missing kid');
    expect(unknown.stdout).toMatch(/key_not_found/);
  });

  it('reads the token from standard input and prints JSON with --json', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const result = await run(['inspect', ...base, '--tenant', 'tenant-1', '--json'], `${token}\n`);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { accepted: boolean; checks: Array<{ name: string; ok: boolean }> };
    expect(parsed.accepted).toBe(true);
    expect(parsed.checks.find((check) => check.name === 'signature')?.ok).toBe(true);
  });

  it('exits 2 on usage and configuration errors', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const noClaim = await run(['inspect', '--issuer', issuer.url, '--audience', 'metrics-api', '--regex', '(.*)', token]);
    expect(noClaim.code).toBe(2);
    expect(noClaim.stderr).toContain('--claim is required');
    const badRegex = await run(['inspect', ...base.slice(0, 6), '--regex', 'no-group', token]);
    expect(badRegex.code).toBe(2);
    expect(badRegex.stderr).toContain('`accessPolicyRegex` needs a capture group');
    expect((await run(['inspect', ...base])).code).toBe(2);
    expect((await run(['inspect', ...base, '--bogus', token])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
  });
});

describe('tenantgate demo', () => {
  it('exits 0 when every step behaves', async () => {
    const result = await run(['demo']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Every step behaved as expected.');
  });
});
