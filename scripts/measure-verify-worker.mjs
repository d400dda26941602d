#!/usr/bin/env node
// Would a verification thread of our own help one caller? The main thread hands each RS256
// signature to a worker thread through shared memory (no event loop, no promise), does the rest
// of a first-seen token's work meanwhile, then takes the verdict (or takes the job back and
// verifies it itself when the worker has not started it). Compared with verifying on the main
// thread and then doing the same work. The "rest" is parsing payloads: 0, 1, 2 or 4 of them, about
// 0, 4, 8 and 16 µs here, around tenantgate's 7-9 µs beyond the signature (docs/decisions.md).
// Usage: node scripts/measure-verify-worker.mjs   (about 30 s)
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { Worker } from 'node:worker_threads';

const COUNT = 4_000;
const ROUNDS = 9;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const payloads = [];
const inputs = [];
const signatures = [];
for (let index = 0; index < COUNT; index += 1) {
  const claims = { iss: 'http://127.0.0.1:8080', sub: 'pref-1234567890-bench', aud: 'metrics-api', jti: `p${index}`, iat: 1.7e9, exp: 1.8e9 };
  payloads.push(Buffer.from(JSON.stringify(claims)).toString('base64url'));
  inputs.push(Buffer.from(`eyJhbGciOiJSUzI1NiJ9.${payloads[index]}`));
  signatures.push(sign('sha256', inputs[index], privateKey));
}

// state[0]: 0 idle, 1 posted, 2 taken by the worker, 3 valid, 4 invalid, 5 taken back.
const shared = new SharedArrayBuffer(64 + 16_384 + 512);
const state = new Int32Array(shared, 0, 16);
const inputArea = new Uint8Array(shared, 64, 16_384);
const signatureArea = new Uint8Array(shared, 64 + 16_384, 512);
const worker = new Worker(
  `const { workerData } = require('node:worker_threads');
  const { verify } = require('node:crypto');
  const { shared, key } = workerData;
  const state = new Int32Array(shared, 0, 16);
  const inputArea = new Uint8Array(shared, 64, 16384);
  const signatureArea = new Uint8Array(shared, 64 + 16384, 512);
  for (;;) {
    // Spin a while (about a millisecond), then sleep until notified: a spinning thread takes a
    // CPU (on this machine, the main thread's SMT sibling), a parked one costs a wake-up per job.
    let spins = 0;
    while (Atomics.load(state, 0) !== 1) if (++spins > 2e5) { Atomics.wait(state, 0, 0); spins = 0; }
    if (Atomics.compareExchange(state, 0, 1, 2) !== 1) continue;
    const valid = verify('sha256', inputArea.subarray(0, state[1]), key, signatureArea.subarray(0, state[2]));
    Atomics.store(state, 0, valid ? 3 : 4);
  }`,
  { eval: true, workerData: { shared, key: publicKey } },
);
worker.unref();

const work = (index, parses) => {
  let kept = 0;
  for (let parse = 0; parse < parses; parse += 1) kept += Object.keys(JSON.parse(Buffer.from(payloads[index], 'base64url').toString())).length;
  return kept;
};
const onThisThread = (index, parses) => {
  const valid = verify('sha256', inputs[index], publicKey, signatures[index]);
  work(index, parses);
  return valid;
};
const onWorker = (index, parses) => {
  inputArea.set(inputs[index]);
  signatureArea.set(signatures[index]);
  state[1] = inputs[index].length;
  state[2] = signatures[index].length;
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0, 1);
  work(index, parses);
  if (Atomics.compareExchange(state, 0, 1, 5) === 1) {
    const valid = verify('sha256', inputs[index], publicKey, signatures[index]);
    Atomics.store(state, 0, 0);
    return valid;
  }
  let settled;
  while ((settled = Atomics.load(state, 0)) === 2);
  Atomics.store(state, 0, 0);
  return settled === 3;
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`RS256, ${COUNT} signatures per round, ${ROUNDS} rounds, one caller (${process.version})`);
console.log('| other work (parses) | other work alone µs | main thread µs | worker thread µs | worker / main time |');
console.log('| ---: | ---: | ---: | ---: | ---: |');
for (const parses of [0, 1, 2, 4]) {
  const times = { alone: [], main: [], worker: [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [name, run] of [['alone', (index) => work(index, parses) >= 0], ['main', (index) => onThisThread(index, parses)], ['worker', (index) => onWorker(index, parses)]]) {
      const start = process.hrtime.bigint();
      for (let index = 0; index < COUNT; index += 1) if (!run(index)) throw new Error(`${name} refused a valid signature`);
      times[name].push(Number(process.hrtime.bigint() - start) / 1e3 / COUNT);
    }
  }
  const ratio = median(times.worker.map((value, index) => value / times.main[index]));
  console.log(`| ${parses} | ${median(times.alone).toFixed(2)} | ${median(times.main).toFixed(2)} | ${median(times.worker).toFixed(2)} | ${ratio.toFixed(2)} |`);
}
process.exit(0);
