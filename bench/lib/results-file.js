// results.json: the machine, the versions of every package measured, the settings and every
// sample of a run, so that a run can be compared with another without rerunning it.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

import { HTTP_ALG } from '../scenarios/http.js';
import { hr } from './clock.js';
import { phases, steal } from './phases.js';
import { QUICK, S, ZIPF_S } from './settings.js';
import { MiB } from './stats.js';

const require = createRequire(import.meta.url);

// Some packages do not export their package.json: then it is found next to their entry point.
function versionOf(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    const path = require.resolve(name);
    const root = path.slice(0, path.lastIndexOf(`node_modules/${name}`) + `node_modules/${name}`.length);
    return JSON.parse(readFileSync(`${root}/package.json`, 'utf8')).version;
  }
}

/** The content of results.json; `benchStarted` is the hr() at the start of the run. */
export function resultsDocument(results, targets, benchStarted) {
  const cpus = os.cpus();
  return {
    mode: QUICK ? 'quick' : 'full',
    date: new Date().toISOString(),
    durationS: Number(hr() - benchStarted) / 1e9,
    phasesS: phases,
    // Share of CPU time the hypervisor gave to other guests during each phase (Linux /proc/stat).
    stealShare: steal,
    machine: {
      os: `${os.type()} ${os.release()}`,
      platform: process.platform,
      arch: process.arch,
      cpus: { model: cpus[0]?.model, count: cpus.length },
      totalMemoryMiB: Math.round(MiB(os.totalmem())),
      loadAverage: os.loadavg(),
      node: process.version,
      v8: process.versions.v8,
      openssl: process.versions.openssl,
    },
    versions: Object.fromEntries(
      ['tenantgate', 'jose', 'fast-jwt', 'express-oauth2-jwt-bearer', 'express-jwt', 'jwks-rsa', '@fastify/jwt', 'get-jwks', 'koa-jwt', 'autocannon', 'express', 'fastify', 'koa'].map(
        (name) => [name, versionOf(name)],
      ),
    ),
    settings: { ...S, zipfS: ZIPF_S, httpAlgorithm: HTTP_ALG },
    references: {
      hot: 'fast-jwt (cache): fast-jwt createVerifier with cache: true',
      cold: 'jose: bare jose jwtVerify with createRemoteJWKSet, same concurrency',
      mixed: 'fast-jwt (cache): fast-jwt createVerifier with cache: true; every implementation serves the same Zipf stream from an empty cache',
      dpop: 'crypto.verify (proof signature only): node:crypto verify of the ES256 proof signature, key imported once',
      http: 'none: the same app without auth',
    },
    scenarios: results,
    targets,
  };
}

export function writeResults(output) {
  writeFileSync(new URL('../results.json', import.meta.url), JSON.stringify(output, null, 2) + '\n');
}
