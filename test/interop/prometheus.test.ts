// Interop: a real Prometheus (Debian package `prometheus`) scrapes a tenantgate-protected
// `/metrics` endpoint three ways — `authorization: { type: Bearer, credentials_file }` holding
// `tenant:jwt`, `basic_auth: { username, password_file }`, and a tenant the token's policy does
// not cover (down with 403). The token files are rewritten during the test; Prometheus re-reads
// them on every scrape, and its own API must show the good targets up throughout.
//
// Without the binary the test is not run (with a loud warning) unless CI is set, where the
// missing binary is a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { middleware } from '../../src/adapters/express.js';
import { createAuthenticator, type Authenticator } from '../../src/index.js';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { debianProgram, IN_CI } from './debian-program.js';

const PROMETHEUS = debianProgram('prometheus', 'the Prometheus interop test');

const POLL_MS = 100;
const READY_DEADLINE_MS = 30_000;
const SCRAPE_DEADLINE_MS = 15_000;
const TENANT = 'tenant-1';
const WRONG_TENANT = 'tenant-2';
const JOBS = { bearer: 'bearer', basic: 'basic', wrong: 'wrong-tenant' } as const;

it('has the prometheus binary when CI is set (the interop test must not be skipped in CI)', () => {
  if (IN_CI) {
    expect(PROMETHEUS, 'CI is set but the prometheus binary is missing: install the Debian package `prometheus`').toBeDefined();
  }
});

/** A short fingerprint of a token, so the test compares tokens without keeping or printing them. */
function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** What the protected service saw: tokens per credential scheme, in order, and statuses sent. */
interface ServiceLog {
  tokens: Record<'bearer' | 'basic', string[]>;
  statuses: Map<number, number>;
}

interface Sample {
  metric: Record<string, string>;
  value: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes a file atomically (temp file + rename), so a scrape never reads a half-written token. */
async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, file);
}

describe.runIf(PROMETHEUS !== undefined)('Prometheus scraping a tenantgate-protected /metrics', () => {
  let issuer: TestIssuer | undefined;
  let auth: Authenticator | undefined;
  let service: Server | undefined;
  let prometheus: ChildProcess | undefined;
  let prometheusExit: Promise<void> | undefined;
  let exited: string | undefined;
  let stderr = '';
  let prometheusUrl = '';
  const temporaryDirs: string[] = [];
  const files = { bearer: '', basic: '', wrong: '' };
  const log: ServiceLog = { tokens: { bearer: [], basic: [] }, statuses: new Map() };
  /** Fingerprints of the tokens written to the files, one per generation. */
  const written: string[] = [];

  /** Signs a fresh token (new jti) and writes all three credential files. */
  async function writeTokens(): Promise<string> {
    if (issuer === undefined) throw new Error('the test issuer is not running');
    const token = await issuer.sign({ sub: 'pref-1234567890-prometheus', jti: randomUUID() }, { expiresIn: '10m' });
    await writeAtomically(files.bearer, `${TENANT}:${token}`);
    await writeAtomically(files.basic, token);
    await writeAtomically(files.wrong, `${WRONG_TENANT}:${token}`);
    const print = fingerprint(token);
    written.push(print);
    return print;
  }

  /** Polls `probe` every POLL_MS until it returns a value, failing after `deadlineMs`. */
  async function waitFor<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    let lastError: unknown;
    for (;;) {
      if (exited !== undefined) throw new Error(`prometheus exited (${exited}) while waiting for ${what}\n${stderr.slice(-2000)}`);
      try {
        const value = await probe();
        if (value !== undefined) return value;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() >= deadline) {
        const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
        throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}${cause}\nprometheus log:\n${stderr.slice(-2000)}`);
      }
      await delay(POLL_MS);
    }
  }

  /** An instant query against Prometheus' HTTP API. */
  async function query(expression: string, time?: number): Promise<Sample[]> {
    const url = new URL('/api/v1/query', prometheusUrl);
    url.searchParams.set('query', expression);
    if (time !== undefined) url.searchParams.set('time', (time / 1000).toFixed(3));
    const response = await fetch(url);
    const body: unknown = await response.json();
    if (!response.ok || !isRecord(body) || body.status !== 'success' || !isRecord(body.data)) {
      throw new Error(`query ${expression} failed: HTTP ${response.status} ${JSON.stringify(body)}`);
    }
    const result = body.data.result;
    if (body.data.resultType !== 'vector' || !Array.isArray(result)) throw new Error(`query ${expression} did not return a vector`);
    return result.map((entry: unknown): Sample => {
      if (!isRecord(entry) || !isRecord(entry.metric) || !Array.isArray(entry.value)) throw new Error('unexpected sample shape');
      const metric: Record<string, string> = {};
      for (const [name, value] of Object.entries(entry.metric)) metric[name] = String(value);
      return { metric, value: Number(entry.value[1]) };
    });
  }

  /** The value of a query per job (each job has one target). */
  async function byJob(expression: string, time?: number): Promise<Map<string, number>> {
    const samples = await query(expression, time);
    return new Map(samples.map((sample) => [sample.metric.job ?? '', sample.value]));
  }

  beforeAll(async () => {
    issuer = await createTestIssuer();
    auth = createAuthenticator({
      issuerUrl: issuer.url,
      audience: issuer.audience,
      accessPolicyClaim: 'sub',
      accessPolicyRegex: 'pref-([0-9]+)-.*',
      accessPolicies: { '1234567890': { scopes: ['metrics:read', 'metrics:write'], realms: [{ tenant: TENANT }] } },
    });
    await auth.ready();

    const app = express();
    app.use((req, res, next) => {
      res.on('finish', () => log.statuses.set(res.statusCode, (log.statuses.get(res.statusCode) ?? 0) + 1));
      next();
    });
    let scrapes = 0;
    app.get('/metrics', middleware(auth, { scope: 'metrics:read' }), (req, res) => {
      const result = req.auth;
      if (result === undefined) throw new Error('the middleware let a request through without req.auth');
      const scheme = (req.headers.authorization ?? '').split(' ')[0]?.toLowerCase();
      if (scheme === 'bearer' || scheme === 'basic') {
        const seen = log.tokens[scheme];
        const print = fingerprint(result.token);
        if (seen.at(-1) !== print) seen.push(print);
      }
      scrapes += 1;
      const tenant = result.tenant ?? '';
      res.type('text/plain; version=0.0.4; charset=utf-8').send(
        [
          '# HELP interop_scrapes_total Accepted scrapes of this service.',
          '# TYPE interop_scrapes_total counter',
          `interop_scrapes_total{tenant="${tenant}"} ${scrapes}`,
          '',
        ].join('\n'),
      );
    });
    service = createServer(app);
    await new Promise<void>((resolve, reject) => {
      service?.once('error', reject);
      service?.listen(0, '127.0.0.1', () => resolve());
    });
    const target = `127.0.0.1:${(service.address() as AddressInfo).port}`;

    const dir = await mkdtemp(join(tmpdir(), 'tenantgate-prometheus-'));
    temporaryDirs.push(dir);
    files.bearer = join(dir, 'bearer.token');
    files.basic = join(dir, 'basic.password');
    files.wrong = join(dir, 'wrong-tenant.token');
    await writeTokens();

    const config = [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      `  - job_name: ${JOBS.bearer}`,
      `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
      `    authorization: { type: Bearer, credentials_file: ${JSON.stringify(files.bearer)} }`,
      `  - job_name: ${JOBS.basic}`,
      `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
      `    basic_auth: { username: ${TENANT}, password_file: ${JSON.stringify(files.basic)} }`,
      `  - job_name: ${JOBS.wrong}`,
      `    static_configs: [{ targets: [${JSON.stringify(target)}] }]`,
      `    authorization: { type: Bearer, credentials_file: ${JSON.stringify(files.wrong)} }`,
      '',
    ].join('\n');
    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, config);

    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const child = spawn(
      PROMETHEUS ?? 'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-20_000);
    });
    prometheusExit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exited = signal ?? `code ${code}`;
        resolve();
      });
      child.once('error', (error) => {
        exited = error.message;
        resolve();
      });
    });

    await waitFor('prometheus /-/ready', READY_DEADLINE_MS, async () => {
      const response = await fetch(new URL('/-/ready', prometheusUrl));
      await response.arrayBuffer();
      return response.ok ? true : undefined;
    });
  }, 45_000);

  afterAll(async () => {
    if (prometheus !== undefined && exited === undefined) {
      prometheus.kill('SIGTERM');
      const killed = await Promise.race([prometheusExit?.then(() => true), delay(10_000).then(() => false)]);
      if (!killed) {
        prometheus.kill('SIGKILL');
        await prometheusExit;
      }
    }
    if (service !== undefined) {
      service.closeAllConnections();
      await new Promise<void>((resolve) => service?.close(() => resolve()));
    }
    await auth?.close();
    await issuer?.close();
    for (const dir of temporaryDirs) await rm(dir, { recursive: true, force: true });
  }, 20_000);

  it('scrapes the bearer and basic_auth targets (up=1) and marks the wrong tenant down with 403', async () => {
    const up = await waitFor('an `up` sample for every job', SCRAPE_DEADLINE_MS, async () => {
      const values = await byJob('up');
      return Object.values(JOBS).every((job) => values.has(job)) ? values : undefined;
    });
    expect(up.get(JOBS.bearer)).toBe(1);
    expect(up.get(JOBS.basic)).toBe(1);
    expect(up.get(JOBS.wrong)).toBe(0);

    // Prometheus parsed the body the service sent to the good targets.
    const scraped = await byJob('interop_scrapes_total');
    expect(scraped.has(JOBS.bearer)).toBe(true);
    expect(scraped.has(JOBS.basic)).toBe(true);
    expect(scraped.has(JOBS.wrong)).toBe(false);

    // Prometheus' reason for the wrong tenant's target being down: the service's 403.
    const response = await fetch(new URL('/api/v1/targets?state=active', prometheusUrl));
    const body: unknown = await response.json();
    const active = isRecord(body) && isRecord(body.data) && Array.isArray(body.data.activeTargets) ? body.data.activeTargets : [];
    const wrong = active.find((entry: unknown) => isRecord(entry) && isRecord(entry.labels) && entry.labels.job === JOBS.wrong);
    expect(isRecord(wrong) ? wrong.health : undefined).toBe('down');
    expect(isRecord(wrong) ? String(wrong.lastError) : '').toMatch(/403/);
    expect(log.statuses.get(403) ?? 0).toBeGreaterThan(0);
  }, 30_000);

  it('keeps the good targets up while the token files are rewritten, using the new tokens', async () => {
    const seenBoth = (print: string) =>
      log.tokens.bearer.includes(print) && log.tokens.basic.includes(print) ? true : undefined;
    // Both good jobs have scraped with the first token before anything is rewritten.
    const first = written[0];
    if (first === undefined) throw new Error('no token was written');
    await waitFor('scrapes with the first token', SCRAPE_DEADLINE_MS, async () => seenBoth(first));

    const rewritesStarted = Date.now();
    for (let rewrite = 0; rewrite < 2; rewrite += 1) {
      const print = await writeTokens();
      await waitFor(`scrapes with the rewritten token #${rewrite + 1}`, SCRAPE_DEADLINE_MS, async () => seenBoth(print));
    }
    // Let a few more scrapes land after the last rewrite, then look at the whole window.
    const upSamples = async (job: string, seconds: number) =>
      (await byJob(`count_over_time(up{job="${job}"}[${seconds}s])`)).get(job) ?? 0;
    const minimumSamples = 3;
    await waitFor('at least 3 scrapes since the first rewrite', SCRAPE_DEADLINE_MS, async () => {
      const seconds = Math.ceil((Date.now() - rewritesStarted) / 1000);
      const counts = await Promise.all([upSamples(JOBS.bearer, seconds), upSamples(JOBS.basic, seconds)]);
      return counts.every((count) => count >= minimumSamples) ? true : undefined;
    });
    const now = Date.now();
    const window = `${Math.ceil((now - rewritesStarted) / 1000) + 1}s`;

    // From Prometheus: never down since the first rewrite (nor before: `up` over the whole run).
    const lowest = await byJob(`min_over_time(up[${window}])`, now);
    expect(lowest.get(JOBS.bearer)).toBe(1);
    expect(lowest.get(JOBS.basic)).toBe(1);
    const highestWrong = await byJob(`max_over_time(up{job="${JOBS.wrong}"}[${window}])`, now);
    expect(highestWrong.get(JOBS.wrong)).toBe(0);
    const everything = await byJob('min_over_time(up[5m])', now);
    expect(everything.get(JOBS.bearer)).toBe(1);
    expect(everything.get(JOBS.basic)).toBe(1);

    // From the service: each scheme used every written token, in the order written.
    expect(written).toHaveLength(3);
    expect(new Set(written).size).toBe(3);
    expect(log.tokens.bearer).toEqual(written);
    expect(log.tokens.basic).toEqual(written);
    // Nothing but 200 (good targets) and 403 (wrong tenant) was ever answered.
    expect([...log.statuses.keys()].sort((a, b) => a - b)).toEqual([200, 403]);
  }, 45_000);
});
