import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';

const root = new URL('../..', import.meta.url).pathname;

function npm(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('npm', args, { cwd: root, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe('the demo', () => {
  it('walks through every step with the expected outcome', async () => {
    const lines: string[] = [];
    const good = await runDemo((line) => lines.push(line), false);
    expect(good).toBe(true);
    const steps = lines.filter((line) => /^(ok|FAIL)\s/.test(line));
    const statuses = steps.map((line) => line.split(/\s+/)[1]);
    expect(statuses).toEqual(['200', '200', '200', '403', '401', '403', '200']);
    expect(lines.join('\n')).toContain('after 1 JWKS fetch');
    expect(lines.join('\n')).not.toMatch(/eyJ/);
  });

  it('prints the settings it uses before the first step', async () => {
    const lines: string[] = [];
    await runDemo((line) => lines.push(line), false);
    const settings = lines.slice(0, lines.findIndex((line) => /^(ok|FAIL)\s/.test(line))).join('\n');
    expect(settings).toMatch(/issuer URL +http:\/\/127\.0\.0\.1:\d+/);
    expect(settings).toMatch(/audience +metrics-api/);
    expect(settings).toMatch(/claim +sub/);
    expect(settings).toMatch(/regex +pref-\(\[0-9\]\+\)-\.\*/);
    expect(settings).toMatch(/policies +1234567890: metrics:read metrics:write on tenant-1/);
    expect(settings).toContain('9876543210: metrics:read metrics:write on tenant-2, tenant-3');
    expect(settings).toMatch(/tenant +tenant-1/);
  });
});

describe('npm start', () => {
  // The prestart build runs into a scratch folder: building into dist/ would pull the
  // files from under the tests that run the built command line at the same time.
  it('builds quietly before the demo', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tenantgate-prestart-'));
    try {
      // Without declarations, the slow half of the build; --silent quiets both halves alike.
      const { code, output } = await npm(['run', 'prestart', '--', '--out-dir', out, '--no-dts']);
      expect(code).toBe(0);
      expect(output).not.toMatch(/Build success|Build start/);
      // What is left is npm's own two-line banner.
      expect(output.trim().split('\n').length).toBeLessThanOrEqual(3);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000);

  it('still fails loudly when the build fails', async () => {
    const out = mkdtempSync(join(tmpdir(), 'tenantgate-prestart-'));
    try {
      const { code, output } = await npm(['run', 'prestart', '--', '--out-dir', out, '--entry.missing', 'src/missing.ts']);
      expect(code).not.toBe(0);
      expect(output).toContain('src/missing.ts');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
