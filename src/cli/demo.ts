import type { AccessPolicy } from '../policy/access-policy.js';
import { createAuthenticator } from '../authenticator/authenticator.js';
import type { AuthResult } from '../authenticator/authenticator-types.js';
import { AuthError } from '../base/errors.js';
import { createTestIssuer } from '../testing/test-issuer.js';

interface Step {
  title: string;
  expected: number;
  run(): Promise<unknown>;
}

/** The tenant the demo's client works for. */
const DEMO_TENANT = 'tenant-1';

const POLICIES: Record<string, AccessPolicy> = {
  '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-1' }] },
  '9876543210': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: 'tenant-2' }, { tenant: 'tenant-3' }] },
};

/**
 * The main job end to end against a local issuer, configured like the GEM
 * documentation. Prints each step; resolves to `true` when every step behaved as
 * expected.
 * @internal
 */
export async function runDemo(write: (line: string) => void, colour: boolean): Promise<boolean> {
  const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const issuer = await createTestIssuer({ audience: 'metrics-api' });
  const settings = {
    issuerUrl: issuer.url,
    audience: 'metrics-api',
    accessPolicyClaim: 'sub',
    accessPolicyRegex: 'pref-([0-9]+)-.*',
    accessPolicies: POLICIES,
  };
  // Shown first so that every outcome below can be traced to the setting that caused it.
  for (const line of describeSettings(settings)) write(line);
  const auth = createAuthenticator({ ...settings, jwks: { cooldown: 0 } });
  const basic = (tenant: string, token: string) => `Basic ${Buffer.from(`${tenant}:${token}`).toString('base64')}`;
  const one = await issuer.sign({ sub: 'pref-1234567890-abc', name: 'John Doe', admin: true });
  const list = await issuer.sign({ sub: ['pref-1234567890-abc', 'pref-9876543210-xyz'] });
  const authenticate = (authorization: string) => auth.authenticate({ authorization });
  const steps: Step[] = [
    { title: `Bearer ${DEMO_TENANT}:<jwt>, sub pref-1234567890-abc`, expected: 200, run: () => authenticate(`Bearer ${DEMO_TENANT}:${one}`) },
    { title: `Basic ${DEMO_TENANT} / <jwt>`, expected: 200, run: () => authenticate(basic(DEMO_TENANT, one)) },
    {
      title: 'list claim, reading tenant-1|tenant-2|tenant-3',
      expected: 200,
      run: async () => {
        const result = await authenticate(`Bearer tenant-1|tenant-2|tenant-3:${list}`);
        auth.authorize(result, { scope: 'metrics:read' });
        return result;
      },
    },
    {
      title: 'list claim, writing tenant-2 (virtual policies are read-only)',
      expected: 403,
      run: async () => auth.authorize(await authenticate(`Bearer tenant-2:${list}`), { scope: 'metrics:write' }),
    },
    {
      title: 'an expired token',
      expected: 401,
      run: async () =>
        authenticate(`Bearer ${DEMO_TENANT}:${await issuer.sign({ sub: 'pref-1234567890-abc', exp: Math.floor(Date.now() / 1000) - 120 })}`),
    },
    { title: 'the wrong tenant (tenant-2)', expected: 403, run: () => authenticate(`Bearer tenant-2:${one}`) },
    {
      title: 'after a key rotation: a token signed with the new key',
      expected: 200,
      run: async () => {
        await issuer.rotate();
        const before = issuer.requests.jwks;
        const result = await authenticate(`Bearer ${DEMO_TENANT}:${await issuer.sign({ sub: 'pref-1234567890-abc' })}`);
        return { result, fetches: issuer.requests.jwks - before };
      },
    },
  ];
  let allGood = true;
  try {
    for (const step of steps) {
      const { status, reason } = await outcome(step.run);
      const good = status === step.expected;
      allGood &&= good;
      const mark = good ? paint(32, 'ok  ') : paint(31, 'FAIL');
      write(`${mark} ${String(status).padEnd(3)} ${step.title}\n       ${paint(2, reason)}`);
    }
  } finally {
    await auth.close();
    await issuer.close();
  }
  return allGood;
}

function describeSettings(settings: {
  issuerUrl: string;
  audience: string;
  accessPolicyClaim: string;
  accessPolicyRegex: string;
  accessPolicies: Record<string, AccessPolicy>;
}): string[] {
  const policies = Object.entries(settings.accessPolicies).map(
    ([name, policy]) => `${name}: ${policy.scopes.join(' ')} on ${policy.realms.map((realm) => realm.tenant).join(', ')}`,
  );
  return [
    'Settings (a local issuer; the authenticator configured like the GEM documentation):',
    `  issuer URL  ${settings.issuerUrl}`,
    `  audience    ${settings.audience}`,
    `  claim       ${settings.accessPolicyClaim}`,
    `  regex       ${settings.accessPolicyRegex}`,
    ...policies.map((policy, index) => `  ${index === 0 ? 'policies' : ''.padEnd(8)}    ${policy}`),
    `  tenant      ${DEMO_TENANT} (the list-claim and wrong-tenant steps send others, as their titles say)`,
    '',
  ];
}

async function outcome(run: () => Promise<unknown>): Promise<{ status: number; reason: string }> {
  try {
    const value = await run();
    const result = (value as { result?: AuthResult }).result ?? (value as AuthResult);
    const fetches = (value as { fetches?: number }).fetches;
    const policy = result.accessPolicy;
    const note = fetches === undefined ? '' : `, after ${fetches} JWKS fetch${fetches === 1 ? '' : 'es'}`;
    return { status: 200, reason: `accepted: policy ${policy.name} (${policy.scopes.join(' ')}) on ${result.tenants.join(', ')}${note}` };
  } catch (error) {
    if (error instanceof AuthError) return { status: error.status, reason: `${error.code}: ${error.message}` };
    throw error;
  }
}
