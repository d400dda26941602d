// The layout of src/ (DESIGN.md, Layout): no import from a later stage, no cycle, no file
// over 300 lines. The check is scripts/check-layout.mjs; here it must pass, and it must see
// a violation when one is there.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

function check(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(cwd, 'scripts/check-layout.mjs')], { encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr });
    });
  });
}

describe('src/ layout', () => {
  it('has no upward import, no cycle and no file over 300 lines', async () => {
    const { code, output } = await check(root);
    expect(output).toMatch(/no upward import, no cycle/);
    expect(code).toBe(0);
  });

  it('reports an upward import and a cycle when there is one', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'tenantgate-layout-'));
    try {
      mkdirSync(join(copy, 'scripts'));
      cpSync(join(root, 'scripts/check-layout.mjs'), join(copy, 'scripts/check-layout.mjs'));
      mkdirSync(join(copy, 'src/base'), { recursive: true });
      mkdirSync(join(copy, 'src/token'));
      writeFileSync(join(copy, 'src/base/a.ts'), "import { b } from '../token/b.js';\nexport const a = 1;\n");
      writeFileSync(join(copy, 'src/token/b.ts'), "import { a } from '../base/a.js';\nexport const b = a;\n");
      const { code, output } = await check(copy);
      expect(code).toBe(1);
      expect(output).toContain('base/a.ts: imports token/b.ts from a later stage');
      expect(output).toMatch(/import cycle: (base\/a\.ts -> token\/b\.ts|token\/b\.ts -> base\/a\.ts)/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
