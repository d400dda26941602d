import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';

// Runs the built command line (npm test builds first), asynchronously so that the
// issuer in this process can answer it.
const cli = new URL('../../dist/cli.js', import.meta.url).pathname;

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
let policiesFile: string;
const policies = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
};

beforeAll(async () => {
  issuer = await createTestIssuer({ audience: 'metrics-api' });
  dir = mkdtempSync(join(tmpdir(), 'tenantgate-cli-'));
  policiesFile = join(dir, 'policies.json');
  writeFileSync(policiesFile, JSON.stringify(policies));
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
    const result = await run(['inspect', ...args, `tenant-1:${token}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL iss/);
    expect(result.stdout).toContain(`"${issuer.url}"`);
    expect(result.stdout).toContain(`"${issuer.url}/"`);
    expect(result.stdout).toMatch(/FAIL verdict\s+rejected: 401 issuer_mismatch/);
    // The document was fetched and names another issuer: here the spelling hint is right.
    expect(result.stdout).toContain(`hint: check --issuer: it must be exactly the discovery document's "issuer", "${issuer.url}"`);
  });

  it('explains an expired token and an unknown kid', async () => {
    const expired = await issuer.sign({ sub: 'pref-1234567890-abc', exp: Math.floor(Date.now() / 1000) - 3600 });
    const late = await run(['inspect', ...base, `tenant-1:${expired}`]);
    expect(late.code).toBe(1);
    expect(late.stdout).toMatch(/FAIL exp\s+\S+ \(-36\d\d s from now\)/);
    expect(late.stdout).toMatch(/token_expired/);

    const stranger = await issuer.sign({ sub: 'pref-1234567890-abc' }, { header: { kid: 'retired-key' } });
    const unknown = await run(['inspect', ...base, `tenant-1:${stranger}`]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toMatch(/FAIL jwks/);
    expect(unknown.stdout).toContain(issuer.kids[0] ?? 'missing kid');
    expect(unknown.stdout).toMatch(/key_not_found/);
  });

  it('reads the token from standard input and prints JSON with --json', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const result = await run(['inspect', ...base, '--policies', join(dir, 'policies.json'), '--tenant', 'tenant-1', '--json'], `${token}\n`);
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as { accepted: boolean; verdict: string; checks: Array<{ name: string; ok: boolean }> };
    expect(parsed.accepted).toBe(true);
    expect(parsed.verdict).toBe('accepted');
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

/** The URL of a port on which nothing listens any more: connecting is refused. */
async function refusingUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('tenantgate inspect never says accepted unless every check was made', () => {
  it('without --policies, exits 3 and names what was not checked, even for a tenant the policies refuse', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const result = await run(['inspect', ...base, `tenant-2:${token}`]);
    expect(result.code).toBe(3);
    expect(result.stdout).not.toMatch(/PASS verdict|accepted/);
    expect(result.stdout).toMatch(/SKIP policies\s+not checked: no --policies given/);
    expect(result.stdout).toMatch(/SKIP tenant\s+tenant-2: not checked/);
    expect(result.stdout).toMatch(/SKIP verdict\s+not decided/);
    expect(result.stdout).toContain('not checked: access policies: no --policies given, so it was not checked that a policy named 1234567890 exists, covers tenant tenant-2');
    const json = JSON.parse((await run(['inspect', ...base, '--json', `tenant-2:${token}`])).stdout) as { verdict: string; accepted: boolean; notChecked: string[] };
    expect(json).toMatchObject({ verdict: 'incomplete', accepted: false });
    expect(json.notChecked).toHaveLength(1);
    const checked = await run(['inspect', ...base, '--policies', policiesFile, `tenant-2:${token}`]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/FAIL verdict\s+rejected: 403 tenant_forbidden/);
  });

  it('refuses a bare JWT with 400 like the service (requireTenant), unless --no-require-tenant', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const bare = await run(['inspect', ...base, '--policies', policiesFile, token]);
    expect(bare.code).toBe(1);
    expect(bare.stdout).toMatch(/FAIL credentials\s+bearer, no tenant/);
    expect(bare.stdout).toMatch(/PASS signature/);
    expect(bare.stdout).toMatch(/FAIL verdict\s+rejected: 400 invalid_request/);
    const plain = await run(['inspect', ...base, '--policies', policiesFile, '--no-require-tenant', token]);
    expect(plain.code).toBe(3);
    expect(plain.stdout).toMatch(/PASS credentials\s+bearer, tenant \(none\)/);
    expect(plain.stdout).toContain('not checked: tenant: none was given');
    const named = await run(['inspect', ...base, '--policies', policiesFile, '--no-require-tenant', '--tenant', 'tenant-1', `Bearer ${token}`]);
    expect(named.code).toBe(0);
    expect(named.stdout).toMatch(/PASS credentials\s+bearer, tenant tenant-1/);
    const clash = await run(['inspect', ...base, '--tenant', 'tenant-2', `tenant-1:${token}`]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('--tenant "tenant-2" differs from the tenant "tenant-1" the credential names');
    expect(clash.stderr).not.toContain(token.split('.')[2]);
  });

  it('checks a scope with --scope, as a route requiring it would', async () => {
    const token = await issuer.sign({ sub: 'pref-1234567890-abc' });
    const write = await run(['inspect', ...base, '--policies', policiesFile, '--scope', 'metrics:write', `tenant-1:${token}`]);
    expect(write.code).toBe(0);
    expect(write.stdout).toMatch(/PASS scope\s+policy 1234567890 grants metrics:write/);
    const admin = await run(['inspect', ...base, '--policies', policiesFile, '--scope', 'metrics:admin', `tenant-1:${token}`]);
    expect(admin.code).toBe(1);
    expect(admin.stdout).toMatch(/FAIL scope/);
    expect(admin.stdout).toMatch(/FAIL verdict\s+rejected: 403 insufficient_scope/);
  });
});

describe('tenantgate inspect discovery hints', () => {
  it('points at reachability, not at the issuer spelling, when nothing answers', async () => {
    const dead = await refusingUrl();
    const token = await issuer.sign({ sub: 'pref-1234567890-abc', iss: dead });
    const args = base.map((value) => (value === issuer.url ? dead : value));
    const result = await run(['inspect', ...args, '--policies', policiesFile, `tenant-1:${token}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/PASS iss/);
    expect(result.stdout).toMatch(/FAIL discovery/);
    expect(result.stdout).toContain(`hint: the issuer could not be reached at ${dead}`);
    expect(result.stdout).not.toContain('must be exactly');
    expect(result.stdout).toMatch(/FAIL verdict\s+rejected: 503 issuer_unavailable/);
  });

  it('points at the path of --issuer when the server answers without a discovery document', async () => {
    const wrong = `${issuer.url}/realms/missing`;
    const token = await issuer.sign({ sub: 'pref-1234567890-abc', iss: wrong });
    const args = base.map((value) => (value === issuer.url ? wrong : value));
    const result = await run(['inspect', ...args, `tenant-1:${token}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL discovery/);
    expect(result.stdout).toContain('hint: http://127.0.0.1:');
    expect(result.stdout).toContain('check the path of --issuer');
    expect(result.stdout).not.toContain('must be exactly');
  });
});

describe('tenantgate help and version', () => {
  it('prints each command\'s help and the package version, exiting 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const args of [['--version'], ['-v'], ['version']]) {
      const result = await run(args);
      expect(result).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    }
    for (const args of [['inspect', '--help'], ['inspect', '-h'], ['help', 'inspect']]) {
      const result = await run(args);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('Usage: tenantgate inspect (--issuer URL');
      expect(result.stdout).toContain('3 the token passed every check');
    }
    const demo = await run(['demo', '--help']);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain('Usage: tenantgate demo');
    expect(demo.stdout).not.toContain('Every step');
    expect((await run(['demo', '--bogus'])).code).toBe(2);
  });
});

describe('tenantgate demo', () => {
  it('prints its settings, then exits 0 when every step behaves', async () => {
    const result = await run(['demo']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Settings.*\n  issuer URL  http:\/\/127\.0\.0\.1:\d+\n/);
    expect(result.stdout).toContain('Every step behaved as expected.');
  });
});

describe('tenantgate inspect explains sender-constrained tokens', () => {
  it('checks a DPoP proof for its request and its key against cnf.jkt, and names the failing rule', async () => {
    const { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } = await import('jose');
    const { createHash, randomUUID } = await import('node:crypto');
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const token = await issuer.sign({ sub: 'pref-1234567890-abc', cnf: { jkt: await calculateJwkThumbprint(jwk) } });
    const url = 'https://api.example.com/push';
    const proof = (claims: Record<string, unknown> = {}) =>
      new SignJWT({ jti: randomUUID(), htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000), ath: createHash('sha256').update(token).digest('base64url'), ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
        .sign(privateKey);
    const good = await run(['inspect', ...base, '--policies', policiesFile, '--dpop', await proof(), '--method', 'POST', '--url', url, `tenant-1:${token}`]);
    expect(good.stdout).toMatch(/PASS dpop proof\s+valid for POST https:\/\/api.example.com\/push/);
    expect(good.stdout).toMatch(/PASS dpop bind/);
    expect(good.code).toBe(0);
    const elsewhere = await run(['inspect', ...base, '--policies', policiesFile, '--dpop', await proof(), '--method', 'GET', '--url', url, `tenant-1:${token}`]);
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stdout).toMatch(/FAIL dpop proof\s+the DPoP proof's htm/);
    const none = await run(['inspect', ...base, '--policies', policiesFile, `tenant-1:${token}`]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/FAIL dpop bind\s+the token is bound to a DPoP key \(cnf.jkt\) but no proof was given/);
    expect((await run(['inspect', ...base, '--dpop', await proof(), `tenant-1:${token}`])).code).toBe(2);
  });

  it('checks a client certificate against cnf["x5t#S256"]', async () => {
    const { execFileSync } = await import('node:child_process');
    const { createHash, X509Certificate } = await import('node:crypto');
    const make = (name: string) => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`,
        '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-days', '1'], { stdio: 'ignore' });
      return join(dir, `${name}.pem`);
    };
    const [mine, theirs] = [make('mine'), make('theirs')];
    const thumbprint = createHash('sha256').update(new X509Certificate(readFileSync(mine)).raw).digest('base64url');
    const token = await issuer.sign({ sub: 'pref-1234567890-abc', cnf: { 'x5t#S256': thumbprint } });
    const good = await run(['inspect', ...base, '--policies', policiesFile, '--cert', mine, `tenant-1:${token}`]);
    expect(good.stdout).toMatch(/PASS mtls/);
    expect(good.code).toBe(0);
    const wrong = await run(['inspect', ...base, '--policies', policiesFile, '--cert', theirs, `tenant-1:${token}`]);
    expect(wrong.stdout).toMatch(/FAIL mtls\s+the token is bound to another client certificate/);
    expect(wrong.code).toBe(1);
    const missing = await run(['inspect', ...base, '--policies', policiesFile, `tenant-1:${token}`]);
    expect(missing.stdout).toMatch(/FAIL mtls/);
    expect((await run(['inspect', ...base, '--cert', join(dir, 'absent.pem'), token])).code).toBe(2);
  });
});

describe('tenantgate inspect --config', () => {
  it('inspects a multi-issuer setup as the service sees it: the token picks its entry', async () => {
    const second = await createTestIssuer({ algorithms: ['ES256'], audience: 'second-api' });
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        issuers: [
          { issuerUrl: issuer.url, audience: 'metrics-api', accessPolicyClaim: 'sub', accessPolicyRegex: 'pref-([0-9]+)-.*' },
          { issuerUrl: second.url, audience: 'second-api', audienceClaim: 'client_id', jwksUri: second.jwksUri, accessPolicyClaim: 'team', accessPolicyRegex: '^(.*)$' },
        ],
        accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] }, ops: { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
      }),
    );
    const first = await run(['inspect', '--config', configFile, `tenant-1:${await issuer.sign({ sub: 'pref-1234567890-abc' })}`]);
    expect(first.stdout).toMatch(/PASS verdict\s+accepted: policy 1234567890/);
    expect(first.code).toBe(0);
    const token = await second.sign({ team: 'ops', aud: undefined, client_id: 'second-api' });
    const other = await run(['inspect', '--config', configFile, `tenant-1:${token}`]);
    expect(other.stdout).toMatch(/PASS discovery\s+not used: jwksUri/);
    expect(other.stdout).toMatch(/PASS aud\s+token client_id "second-api"/);
    expect(other.stdout).toMatch(/PASS verdict\s+accepted: policy ops/);
    expect(other.code).toBe(0);
    const mixed = await run(['inspect', '--config', configFile, '--issuer', issuer.url, token]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain('--config holds the options');
    await second.close();
  });

  it('explains an opaque token: the introspection answer, then the claim and policy checks', async () => {
    const configFile = join(dir, 'introspection.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        issuerUrl: issuer.url,
        audience: 'metrics-api',
        accessPolicyClaim: 'sub',
        accessPolicyRegex: 'pref-([0-9]+)-.*',
        accessPolicies: policies,
        introspection: issuer.introspectionClient,
      }),
    );
    const token = await issuer.issueOpaqueToken({ sub: 'pref-1234567890-abc' });
    const accepted = await run(['inspect', '--config', configFile, `tenant-1:${token}`]);
    expect(accepted.stdout).toMatch(/PASS credentials\s+bearer, tenant tenant-1, an opaque token \(introspected\)/);
    expect(accepted.stdout).toMatch(/PASS introspection\s+http:\/\/127\.0\.0\.1:\d+\/introspect: active true, members /);
    expect(accepted.stdout).toMatch(/PASS names\s+1234567890/);
    expect(accepted.stdout).toMatch(/PASS verdict\s+accepted: policy 1234567890/);
    expect(accepted.code).toBe(0);
    issuer.revoke(token);
    const revoked = await run(['inspect', '--config', configFile, `tenant-1:${token}`]);
    expect(revoked.stdout).toMatch(/FAIL introspection\s+.*active false/);
    expect(revoked.stdout).toMatch(/FAIL verdict\s+.*invalid_token/);
    expect(revoked.code).not.toBe(0);
    const wrongClient = join(dir, 'wrong-client.json');
    writeFileSync(wrongClient, readFileSync(configFile, 'utf8').replace(issuer.introspectionClient.clientSecret, 'wrong'));
    const refused = await run(['inspect', '--config', wrongClient, `tenant-1:${await issuer.issueOpaqueToken({ sub: 'pref-1-a' })}`]);
    expect(refused.stdout).toMatch(/FAIL introspection\s+.*HTTP 401/);
    expect(refused.stdout).not.toContain('wrong');
  });
});
