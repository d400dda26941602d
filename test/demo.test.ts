import { describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo.js';

describe('the demo', () => {
  it('walks through every step with the expected outcome', async () => {
    const lines: string[] = [];
    const good = await runDemo((line) => lines.push(line), false);
    expect(good).toBe(true);
    const statuses = lines.map((line) => line.split(/\s+/)[1]);
    expect(statuses).toEqual(['200', '200', '200', '403', '401', '403', '200']);
    expect(lines.join('\n')).toContain('after 1 JWKS fetch');
    expect(lines.join('\n')).not.toMatch(/eyJ/);
  });
});
