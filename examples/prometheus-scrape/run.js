// One command: a local OIDC issuer, the protected service (server.js) and a real Prometheus
// scraping it three ways. Run from the repository root:
//
//   npm run build && node examples/prometheus-scrape/run.js
//
// Environment: PROMETHEUS (the binary, default `prometheus` on PATH), PROMETHEUS_PORT
// (default a free port), PORT (the service, default a free port). Stop with Ctrl-C.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { start } from './server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REFRESH_MS = 60_000;
const TOKEN_LIFETIME = '5m';
const READY_DEADLINE_MS = 30_000;

const prometheusBinary = process.env.PROMETHEUS || 'prometheus';
const servicePort = portFrom('PORT');
const prometheusPort = portFrom('PROMETHEUS_PORT') || (await freePort());

// The local test issuer signs the tokens, so ISSUER_URL is ignored here (server.js honours it).
const service = await start({ port: servicePort, env: {} });
const issuer = service.issuer;
if (issuer === undefined) throw new Error('expected server.js to start a local test issuer');
const secrets = await mkdtemp(join(tmpdir(), 'tenantgate-prometheus-scrape-'));

/** Signs a fresh token for policy 1234567890 (tenant-1) and rewrites the three files. */
async function writeTokenFiles() {
  const token = await issuer.sign({ sub: 'pref-1234567890-prometheus', jti: randomUUID() }, { expiresIn: TOKEN_LIFETIME });
  await writeAtomically(join(secrets, 'tenant-1.credentials'), `tenant-1:${token}`);
  await writeAtomically(join(secrets, 'token.jwt'), token);
  await writeAtomically(join(secrets, 'tenant-2.credentials'), `tenant-2:${token}`);
}

let prometheus;
let refresher;
let closing = false;

async function shutDown(exitCode) {
  if (closing) return;
  closing = true;
  clearInterval(refresher);
  if (prometheus !== undefined && prometheus.exitCode === null && prometheus.signalCode === null) {
    const exited = new Promise((resolve) => prometheus.once('exit', resolve));
    prometheus.kill('SIGTERM');
    if ((await Promise.race([exited.then(() => true), delay(10_000).then(() => false)])) === false) {
      prometheus.kill('SIGKILL');
      await exited;
    }
  }
  await service.close();
  await rm(secrets, { recursive: true, force: true });
  process.exit(exitCode);
}
process.on('SIGINT', () => void shutDown(130));
process.on('SIGTERM', () => void shutDown(143));

try {
  await writeTokenFiles();
  const target = new URL(service.url).host;
  const template = await readFile(join(HERE, 'prometheus.yml'), 'utf8');
  const quoted = (value) => value.replaceAll("'", "''"); // inside YAML single quotes
  const config = template
    .replaceAll("'__TARGET__'", `'${quoted(target)}'`)
    .replaceAll("'__SECRETS__/", `'${quoted(secrets)}/`);
  const configFile = join(secrets, 'prometheus.yml');
  await writeFile(configFile, config);

  prometheus = spawn(
    prometheusBinary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(secrets, 'data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const failed = new Promise((resolve) => {
    prometheus.once('error', (error) =>
      resolve(
        error.code === 'ENOENT'
          ? `${prometheusBinary} not found: install Prometheus (Debian/Ubuntu: apt-get install prometheus) or set PROMETHEUS to its path`
          : `could not start ${prometheusBinary}: ${error.message}`,
      ),
    );
    prometheus.once('exit', (code, signal) => resolve(`prometheus exited (${signal ?? `code ${code}`})`));
  });
  let problem;
  void failed.then((message) => {
    problem = message;
    if (!closing) {
      console.error(message);
      void shutDown(1);
    }
  });

  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    if (problem !== undefined) await new Promise(() => {}); // shutDown exits the process
    const ready = await fetch(`${prometheusUrl}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`Prometheus was not ready at ${prometheusUrl} within ${READY_DEADLINE_MS / 1000} s`);
    await delay(200);
  }

  refresher = setInterval(() => {
    writeTokenFiles().then(
      () => console.log(`${new Date().toISOString()} token files refreshed (valid ${TOKEN_LIFETIME}); refused scrapes so far: ${summarize(service.refused)}`),
      (error) => console.error('refreshing the token files failed:', error),
    );
  }, REFRESH_MS);

  console.log(`Local OIDC issuer:   ${issuer.url}`);
  console.log(`Protected service:   ${service.url}/metrics (needs metrics:read)`);
  console.log(`Token files:         ${secrets} (fresh tokens every ${REFRESH_MS / 1000} s)`);
  console.log(`Prometheus config:   ${configFile}`);
  console.log(`Prometheus UI:       ${prometheusUrl}`);
  console.log(`  targets:           ${prometheusUrl}/targets (the first scrapes take a few seconds)`);
  console.log(`  query \`up\`:        ${prometheusUrl}/graph?g0.expr=up&g0.tab=1`);
  console.log('Expected:');
  console.log('  tenantgate-bearer        UP    Authorization: Bearer tenant-1:<jwt> (credentials_file)');
  console.log('  tenantgate-basic         UP    basic_auth username tenant-1, password_file <jwt>');
  console.log('  tenantgate-wrong-tenant  DOWN  403: the token\'s policy covers tenant-1, not tenant-2');
  console.log('Press Ctrl-C to stop.');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await shutDown(1);
}

function summarize(counts) {
  const parts = [...counts].map(([status, count]) => `${count}x ${status}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

async function writeAtomically(file, content) {
  // Prometheus may read the file at any moment: never let it see a half-written token.
  const temporary = `${file}.${randomUUID()}.tmp`;
  await writeFile(temporary, content, { mode: 0o600 });
  await rename(temporary, file);
}

function portFrom(name) {
  const value = Number(process.env[name] || 0);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new Error(`${name} must be a port number (0 picks a free one), not ${JSON.stringify(process.env[name])}`);
  }
  return value;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}
