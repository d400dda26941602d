// Time spent in tenantgate's adapter per request with a cached token, measured inside the
// server: a hook or middleware just before the adapter stamps the time, one just after it adds
// up the difference. An empty async hook or middleware in the same place is the floor of any
// async auth layer. Far steadier than requests per second or CPU per request on a shared machine.
//
//   node hook-time.js [fastify|express|koa|all] [rounds]    (default all, 5 rounds of 3 s per variant)
//   TENANTGATE_DIST=/other/checkout/dist node hook-time.js  (also measures another build, e.g. an
//                                                           earlier commit's, as "other build"; its
//                                                           dist/ must sit in an installed checkout)
import { fork } from 'node:child_process';
import { pathToFileURL } from 'node:url';

const FRAMEWORKS = ['fastify', 'express', 'koa'];
const [role, variant, servedFramework] = process.argv.slice(2);
if (role === 'serve') {
  await serve(variant, servedFramework);
} else {
  const frameworks = role === undefined || role === 'all' ? FRAMEWORKS : [role];
  if (!frameworks.every((framework) => FRAMEWORKS.includes(framework))) throw new Error(`unknown framework ${role}`);
  await measure(frameworks, Number(variant ?? 5));
}

/** The parent: an issuer, one server process per variant, autocannon in rotating order. */
async function measure(frameworks, rounds) {
  const { default: autocannon } = await import('autocannon');
  const { createTestIssuer } = await import('tenantgate/testing');
  const issuer = await createTestIssuer({ algorithms: ['RS256'], audience: 'metrics-api' });
  const token = await issuer.sign({ sub: 'pref-1234567890-bench' }, { expiresIn: '2h' });
  const variants = ['empty async hook', 'tenantgate', ...(process.env.TENANTGATE_DIST ? ['other build'] : [])];
  for (const framework of frameworks) {
    console.log(`\n${framework}: µs between the stamps per request, ${rounds} rounds of 3 s (sorted)`);
    await measureFramework(framework, variants, rounds, issuer, token, autocannon);
  }
  await issuer.close();
}

async function measureFramework(framework, variants, rounds, issuer, token, autocannon) {
  const servers = {};
  for (const name of variants) {
    const child = fork(new URL(import.meta.url), ['serve', name, framework], {
      env: { ...process.env, HOOK_TIME_ISSUER: issuer.url },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise((resolve) => child.once('message', (message) => resolve(message.port)));
    servers[name] = { child, url: `http://127.0.0.1:${port}/metrics` };
  }
  const ask = (child) =>
    new Promise((resolve) => {
      child.once('message', resolve);
      child.send('take');
    });
  const cannon = (options) =>
    new Promise((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));
  const samples = Object.fromEntries(variants.map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    const order = variants.map((_, index) => variants[(index + round) % variants.length]);
    if (round % 2 === 1) order.reverse();
    for (const name of order) {
      const options = { url: servers[name].url, connections: 32, headers: { authorization: `Bearer tenant-1:${token}` } };
      if (round === 0) await cannon({ ...options, duration: 1 });
      await ask(servers[name].child); // drop what the warm-up or the last round left
      const result = await cannon({ ...options, duration: 3 });
      if (result.non2xx !== 0 || result.errors !== 0) throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      const { nanoseconds, requests } = await ask(servers[name].child);
      samples[name].push(nanoseconds / requests / 1000);
    }
  }
  for (const name of variants) {
    const sorted = samples[name].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(`  ${name.padEnd(17)} median ${median.toFixed(2).padStart(6)}   [${sorted.map((value) => value.toFixed(2)).join(', ')}]`);
  }
  for (const { child } of Object.values(servers)) child.disconnect();
}

/** A child: the framework's app with the variant between two stamping hooks or middleware. */
async function serve(name, framework) {
  const dist = process.env.TENANTGATE_DIST;
  const load = (entry) =>
    name === 'other build'
      ? import(pathToFileURL(`${dist}/${entry}.js`).href)
      : import(entry === 'index' ? 'tenantgate' : `tenantgate/${entry.split('/').pop()}`);
  const authenticator = async () => {
    const { createAuthenticator } = await load('index');
    const auth = createAuthenticator({
      issuerUrl: process.env.HOOK_TIME_ISSUER,
      audience: 'metrics-api',
      accessPolicyClaim: 'sub',
      accessPolicyRegex: 'pref-([0-9]+)-.*',
      accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: 'tenant-1' }] } },
    });
    await auth.ready();
    return auth;
  };
  const empty = name === 'empty async hook';
  let started = 0n;
  let nanoseconds = 0n;
  let requests = 0;
  const stamp = () => {
    started = process.hrtime.bigint();
  };
  const count = () => {
    nanoseconds += process.hrtime.bigint() - started;
    requests += 1;
  };
  let server;
  if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    app.addHook('onRequest', (request, reply, done) => {
      stamp();
      done();
    });
    await app.register(async (scope) => {
      if (empty) scope.addHook('onRequest', async () => {});
      else await scope.register((await load('adapters/fastify')).default, { authenticator: await authenticator(), scope: 'metrics:read' });
      scope.addHook('onRequest', (request, reply, done) => {
        count();
        done();
      });
      scope.get('/metrics', async () => 'bench_up 1\n');
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    server = app.server;
  } else if (framework === 'express') {
    const { default: express } = await import('express');
    const app = express();
    const layer = empty
      ? (request, response, next) => void Promise.resolve().then(() => next())
      : (await load('adapters/express')).middleware(await authenticator(), { scope: 'metrics:read' });
    const before = (request, response, next) => {
      stamp();
      next();
    };
    const after = (request, response, next) => {
      count();
      next();
    };
    app.get('/metrics', before, layer, after, (request, response) => void response.send('bench_up 1\n'));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  } else {
    const { default: Koa } = await import('koa');
    const app = new Koa();
    app.use((context, next) => {
      stamp();
      return next();
    });
    if (empty) {
      app.use(async (context, next) => {
        await next();
      });
    } else {
      app.use((await load('adapters/koa')).middleware(await authenticator(), { scope: 'metrics:read' }));
    }
    app.use((context) => {
      count();
      context.body = 'bench_up 1\n';
    });
    const { createServer } = await import('node:http');
    server = createServer(app.callback()).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
  }
  process.on('message', () => {
    process.send({ nanoseconds: Number(nanoseconds), requests });
    nanoseconds = 0n;
    requests = 0;
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ port: server.address().port });
}
