import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing.ts',
    prometheus: 'src/prometheus.ts',
    cli: 'src/cli/cli.ts',
    'adapters/express': 'src/adapters/express.ts',
    'adapters/koa': 'src/adapters/koa.ts',
    'adapters/fastify': 'src/adapters/fastify.ts',
    'adapters/fetch': 'src/adapters/fetch.ts',
    'adapters/hono': 'src/adapters/hono.ts',
    'adapters/nest': 'src/adapters/nest.ts',
    policies: 'src/policies.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  sourcemap: true,
  clean: true,
  treeshake: true,
});
