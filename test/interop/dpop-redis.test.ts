// Interop: a real Redis (Debian package `redis-server`) as the DPoP replay store of two
// replicas, each an authenticator in a Node process of its own (dpop-redis-replica.mjs, on the
// built package and the store of examples/dpop-redis): a proof accepted by one replica is
// refused by the other, a fresh one is accepted, the same proof sent to both at once passes
// once, and Redis keeps each jti exactly for the rest of its proof's window. Then the example
// server itself, over HTTP, and what the replicas do when Redis stops.
//
// The example has its own package.json (node-redis, Express): it is installed here when its
// node_modules lacks a dependency. Without the redis-server binary the test is not run (with a
// loud warning) unless CI is set, where the missing binary is a failure.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '../../src/testing.js';
import { debianProgram, IN_CI } from './debian-program.js';

const REDIS_SERVER = debianProgram('redis-server', 'the Redis replay store interop test');

const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/dpop-redis/', import.meta.url));
const REPLICA_SCRIPT = fileURLToPath(new URL('./dpop-redis-replica.mjs', import.meta.url));
const PREFIX = 'test:dpop:';
const URL_ = 'https://api.example.com/prometheus/api/v1/query';
/** The replicas' window: a proof passes until `iat` + proofMaxAge + clockTolerance. */
const PROOF_MAX_AGE_MS = 20_000;
const CLOCK_TOLERANCE_MS = 5_000;
const WINDOW_MS = PROOF_MAX_AGE_MS + CLOCK_TOLERANCE_MS;
/** How far a PTTL may stray from what is left of the window (clock reads, rounding). */
const SLACK_MS = 100;
const READY_DEADLINE_MS = 20_000;
const INSTALL_TIMEOUT_MS = 240_000;

it('has the redis-server binary when CI is set (the interop test must not be skipped in CI)', () => {
  if (IN_CI) {
    expect(REDIS_SERVER, 'CI is set but the redis-server binary is missing: install the Debian package `redis-server`').toBeDefined();
  }
});

/** Installs the example's own dependencies when one is missing (a fresh clone, CI). */
async function installExampleDependencies(): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(EXAMPLE_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const missing = Object.keys(manifest.dependencies).filter((name) => !existsSync(join(EXAMPLE_DIR, 'node_modules', name, 'package.json')));
  if (missing.length === 0) return;
  // --ignore-scripts: tenantgate is linked from ../.. and its `prepare` (tsup) would rebuild
  // dist/ under the other test files.
  await new Promise<void>((resolve, reject) => {
    execFile(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts'],
      { cwd: EXAMPLE_DIR, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS },
      (error, stdout, stderr) => (error ? reject(new Error(`npm install in examples/dpop-redis failed (missing ${missing.join(', ')}): ${error.message}\n${stderr}`)) : resolve()),
    );
  });
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

type Reply = string | number | null;

/**
 * One command over RESP on a fresh connection; simple, integer and bulk replies only (all this
 * test asks for), so that the test needs no Redis client of its own.
 */
function redisCommand(port: number, ...args: string[]): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    const done = (error: Error | undefined, reply?: Reply) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(reply ?? null);
    };
    socket.setTimeout(5_000, () => done(new Error(`redis ${args[0]}: no answer within 5 s`)));
    socket.on('error', (error) => done(error));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf('\r\n');
      if (end === -1) return;
      const line = buffer.subarray(1, end).toString('utf8');
      const type = String.fromCharCode(buffer[0] ?? 0);
      if (type === '+') return done(undefined, line);
      if (type === ':') return done(undefined, Number(line));
      if (type === '-') return done(new Error(`redis ${args[0]}: ${line}`));
      if (type !== '$') return done(new Error(`redis ${args[0]}: unexpected reply ${JSON.stringify(buffer.toString('utf8'))}`));
      const length = Number(line);
      if (length < 0) return done(undefined, null);
      if (buffer.length < end + 2 + length + 2) return undefined;
      return done(undefined, buffer.subarray(end + 2, end + 2 + length).toString('utf8'));
    });
    socket.write(`*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`);
  });
}

/** What a replica answered for one input. */
interface Outcome {
  id: number;
  ok: boolean;
  tenant?: string;
  subject?: string;
  code?: string;
  status?: number;
  message?: string;
}

interface DpopInput {
  authorization: string;
  dpop: string;
  method: string;
  url: string;
}

/** A replica process: authenticate() sends one input on its stdin and resolves its answer. */
class Replica {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (outcome: Outcome) => void>();
  #nextId = 0;
  #stderr = '';
  #exited: string | undefined;
  readonly exit: Promise<void>;
  readonly ready: Promise<void>;

  constructor(
    readonly name: string,
    settings: Record<string, unknown>,
  ) {
    const child = spawn(process.execPath, [REPLICA_SCRIPT, JSON.stringify(settings)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-10_000);
    });
    let markReady: () => void = () => undefined;
    let failReady: (error: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.ready.catch(() => undefined);
    if (child.stdout === null) throw new Error('no stdout');
    createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      const message = JSON.parse(line) as Partial<Outcome> & { ready?: boolean };
      if (message.ready === true) return markReady();
      const answer = this.#pending.get(message.id ?? -1);
      this.#pending.delete(message.id ?? -1);
      answer?.(message as Outcome);
      return undefined;
    });
    this.exit = new Promise<void>((resolve) => {
      const ended = (how: string) => {
        this.#exited = how;
        failReady(new Error(`replica ${name} exited (${how}) before it was ready\n${this.#stderr}`));
        for (const answer of this.#pending.values()) answer({ id: -1, ok: false, code: 'exited', message: `replica ${name} exited (${how})\n${this.#stderr}` });
        this.#pending.clear();
        resolve();
      };
      child.once('exit', (code, signal) => ended(signal ?? `code ${code}`));
      child.once('error', (error) => ended(error.message));
    });
  }

  get stderr(): string {
    return this.#stderr;
  }

  authenticate(input: DpopInput): Promise<Outcome> {
    if (this.#exited !== undefined) return Promise.reject(new Error(`replica ${this.name} has exited (${this.#exited})`));
    const id = this.#nextId++;
    const answer = new Promise<Outcome>((resolve) => this.#pending.set(id, resolve));
    this.#child.stdin?.write(`${JSON.stringify({ id, input })}\n`);
    return answer;
  }

  /** Ends stdin (the replica closes and exits); kills it when it takes longer than 10 s. */
  async stop(): Promise<void> {
    if (this.#exited === undefined) this.#child.stdin?.end();
    if (!(await Promise.race([this.exit.then(() => true), delay(10_000).then(() => false)]))) {
      this.#child.kill('SIGKILL');
      await this.exit;
    }
  }
}

interface ClientKey {
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

async function clientKey(): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** A proof for URL_ signed by `key`, with a new jti unless given; `iat` now unless given. */
async function proofFor(key: ClientKey, token: string, claims: { jti?: string; iat?: number } = {}): Promise<string> {
  return new SignJWT({
    jti: randomUUID(),
    htm: 'GET',
    htu: URL_,
    iat: Math.floor(Date.now() / 1000),
    ath: createHash('sha256').update(token).digest('base64url'),
    ...claims,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .sign(key.privateKey);
}

interface ExampleServer {
  start(options: { replicas?: number; env?: Record<string, string | undefined> }): Promise<{
    replicas: { url: string }[];
    issuer?: TestIssuer;
    publicUrl: string;
    close(): Promise<void>;
  }>;
}

interface ExampleClient {
  createDpopClient(issuer: TestIssuer): Promise<{ proof(method: string, url: string): Promise<string>; headers(proof: string): Record<string, string>; token: string }>;
}

describe.runIf(REDIS_SERVER !== undefined)('a Redis replay store shared by two replicas in two processes', () => {
  let redisServer: ChildProcess | undefined;
  let redisExit: Promise<void> | undefined;
  let redisExited: string | undefined;
  let redisLog = '';
  let redisPort = 0;
  let dataDir: string | undefined;
  let issuer: TestIssuer | undefined;
  let key: ClientKey;
  let a: Replica;
  let b: Replica;

  const bound = async () => {
    if (issuer === undefined) throw new Error('the test issuer is not running');
    return issuer.sign({ sub: 'pref-reader-1', cnf: { jkt: key.jkt } });
  };
  const inputOf = (token: string, proof: string): DpopInput => ({ authorization: `DPoP tenant-1:${token}`, dpop: proof, method: 'GET', url: URL_ });
  /** The jti a proof carries. */
  const jtiOf = (proof: string): string => (JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string }).jti;
  const redis = (...args: string[]) => redisCommand(redisPort, ...args);

  beforeAll(async () => {
    await installExampleDependencies();

    dataDir = await mkdtemp(join(tmpdir(), 'tenantgate-redis-'));
    redisPort = await freePort();
    const child = spawn(
      REDIS_SERVER ?? 'redis-server',
      ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir, '--loglevel', 'warning'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    redisServer = child;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        redisLog = (redisLog + chunk).slice(-10_000);
      });
    }
    redisExit = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        redisExited = signal ?? `code ${code}`;
        resolve();
      });
      child.once('error', (error) => {
        redisExited = error.message;
        resolve();
      });
    });
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (;;) {
      if (redisExited !== undefined) throw new Error(`redis-server exited (${redisExited})\n${redisLog}`);
      if ((await redis('PING').catch(() => undefined)) === 'PONG') break;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING within ${READY_DEADLINE_MS} ms\n${redisLog}`);
      await delay(100);
    }

    issuer = await createTestIssuer();
    key = await clientKey();
    const settings = {
      redisUrl: `redis://127.0.0.1:${redisPort}`,
      prefix: PREFIX,
      issuerUrl: issuer.url,
      audience: issuer.audience,
      proofMaxAge: `${PROOF_MAX_AGE_MS / 1000}s`,
      clockTolerance: `${CLOCK_TOLERANCE_MS / 1000}s`,
    };
    a = new Replica('A', settings);
    b = new Replica('B', settings);
    await Promise.all([a.ready, b.ready]);
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    if (redisServer !== undefined && redisExited === undefined) {
      redisServer.kill('SIGTERM');
      if (!(await Promise.race([redisExit?.then(() => true), delay(10_000).then(() => false)]))) {
        redisServer.kill('SIGKILL');
        await redisExit;
      }
    }
    await issuer?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('refuses on replica B a proof replica A accepted, and accepts a fresh proof on B', async () => {
    const token = await bound();
    const input = inputOf(token, await proofFor(key, token));
    expect(await a.authenticate(input)).toMatchObject({ ok: true, tenant: 'tenant-1', subject: 'pref-reader-1' });
    const replayed = await b.authenticate(input);
    expect(replayed).toMatchObject({ ok: false, code: 'invalid_dpop_proof', status: 401 });
    expect(replayed.message).toMatch(/used before/);
    // The same token with a fresh proof: accepted by B, then refused by A in turn.
    const fresh = inputOf(token, await proofFor(key, token));
    expect(await b.authenticate(fresh)).toMatchObject({ ok: true, tenant: 'tenant-1' });
    expect(await a.authenticate(fresh)).toMatchObject({ ok: false, code: 'invalid_dpop_proof', status: 401 });
    expect(await b.authenticate(input)).toMatchObject({ ok: false, code: 'invalid_dpop_proof' });
  }, 30_000);

  it('keeps each jti in Redis under the prefix for the rest of its proof window (PTTL)', async () => {
    const token = await bound();
    // A proof issued now, and one issued 10 s ago: their windows end WINDOW_MS after their iat.
    const nowS = Math.floor(Date.now() / 1000);
    for (const iat of [nowS, nowS - 10]) {
      const proof = await proofFor(key, token, { iat });
      const untilMs = iat * 1000 + WINDOW_MS;
      expect(await a.authenticate(inputOf(token, proof))).toMatchObject({ ok: true });
      const before = Date.now();
      const pttl = await redis('PTTL', `${PREFIX}${jtiOf(proof)}`);
      const after = Date.now();
      expect(typeof pttl).toBe('number');
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(WINDOW_MS);
      // What is left of the window when asked, give or take the child's rounding and Redis'
      // clock, which it reads once per event-loop turn (a few ms either way were seen).
      expect(pttl).toBeLessThanOrEqual(untilMs - before + SLACK_MS);
      expect(pttl).toBeGreaterThanOrEqual(untilMs - after - SLACK_MS);
      expect(await redis('GET', `${PREFIX}${jtiOf(proof)}`)).toBe('1');
    }
    // A refused proof is not recorded: a proof by another key leaves no key behind.
    const stranger = await clientKey();
    const foreign = await proofFor(stranger, token);
    expect(await b.authenticate(inputOf(token, foreign))).toMatchObject({ ok: false, code: 'invalid_dpop_proof' });
    expect(await redis('EXISTS', `${PREFIX}${jtiOf(foreign)}`)).toBe(0);
  }, 30_000);

  it('records a proof whose iat has a fraction (PX takes whole milliseconds)', async () => {
    const token = await bound();
    // Half a millisecond past a whole one: untilMs has a fraction, and PX 24999.5 is an error.
    const proof = await proofFor(key, token, { iat: Math.floor(Date.now() / 1000) - 0.4995 });
    expect(await a.authenticate(inputOf(token, proof))).toMatchObject({ ok: true });
    const pttl = await redis('PTTL', `${PREFIX}${jtiOf(proof)}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(WINDOW_MS);
    expect(await b.authenticate(inputOf(token, proof))).toMatchObject({ ok: false, code: 'invalid_dpop_proof' });
  }, 30_000);

  // A GET then a SET instead of SET NX let both replicas accept some proof in 4 runs out of 5
  // with 20 proofs; 50 make that near certain.
  it('accepts each of 50 proofs sent to both replicas at once exactly once (one atomic SET NX)', async () => {
    const token = await bound();
    const proofs = await Promise.all(Array.from({ length: 50 }, () => proofFor(key, token)));
    const outcomes = await Promise.all(proofs.map((proof) => Promise.all([a.authenticate(inputOf(token, proof)), b.authenticate(inputOf(token, proof))])));
    for (const pair of outcomes) {
      expect(pair.filter((outcome) => outcome.ok)).toHaveLength(1);
      expect(pair.find((outcome) => !outcome.ok)).toMatchObject({ code: 'invalid_dpop_proof', status: 401 });
    }
  }, 30_000);

  it('serves the example with two replicas: a replay on the other replica is 401 invalid_dpop_proof', async () => {
    const server = (await import(new URL('../../examples/dpop-redis/server.js', import.meta.url).href)) as ExampleServer;
    const { createDpopClient } = (await import(new URL('../../examples/dpop-redis/client.js', import.meta.url).href)) as ExampleClient;
    const running = await server.start({
      replicas: 2,
      env: { REDIS_URL: `redis://127.0.0.1:${redisPort}`, PUBLIC_URL: 'https://metrics.example.com', REDIS_PREFIX: 'example:dpop:' },
    });
    try {
      const [first, second] = running.replicas;
      if (running.issuer === undefined || first === undefined || second === undefined) throw new Error('expected two replicas and a local issuer');
      const client = await createDpopClient(running.issuer);
      const url = `${running.publicUrl}/metrics`;
      const proof = await client.proof('GET', url);
      const call = (replica: { url: string }, headers: Record<string, string>) => fetch(`${replica.url}/metrics?tenant=ignored`, { headers });

      const accepted = await call(first, client.headers(proof));
      expect(accepted.status).toBe(200);
      expect(await accepted.text()).toContain('tenant_requests_total{tenant="tenant-1"} 1\n');
      const replayed = await call(second, client.headers(proof));
      expect(replayed.status).toBe(401);
      expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP realm="tenantgate", error="invalid_dpop_proof"/);
      await replayed.arrayBuffer();
      const fresh = await call(second, client.headers(await client.proof('GET', url)));
      expect(fresh.status).toBe(200);
      await fresh.arrayBuffer();
      expect(await redis('EXISTS', `example:dpop:${jtiOf(proof)}`)).toBe(1);
      // DPoP is required: the same token as Bearer is refused.
      const bearer = await call(first, { authorization: `Bearer tenant-1:${client.token}` });
      expect(bearer.status).toBe(401);
      await bearer.arrayBuffer();
    } finally {
      await running.close();
    }
  }, 30_000);

  it('refuses with replay_store_unavailable (503) once Redis is down, rather than accept unrecorded proofs', async () => {
    redisServer?.kill('SIGTERM');
    await redisExit;
    const token = await bound();
    const outcome = await a.authenticate(inputOf(token, await proofFor(key, token)));
    expect(outcome).toMatchObject({ ok: false, code: 'replay_store_unavailable', status: 503 });
  }, 30_000);
});
