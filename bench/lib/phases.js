// Each phase of a run is timed, and the share of the machine's CPU time the hypervisor stole
// during it is recorded: on a shared VM a slow phase may be someone else's load, not ours.
// Both maps end up in results.json (phasesS, stealShare) and in the report.
import { readFileSync } from 'node:fs';

import { hr } from './clock.js';
import { log } from './log.js';

export const phases = {};
export const steal = {};

/**
 * The machine's CPU time so far, from /proc/stat (Linux): `steal` is time the hypervisor ran
 * something else while this VM wanted its CPUs. `undefined` elsewhere.
 */
function cpuTimes() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return undefined;
  }
}

/** Share of the machine's CPU time stolen by the hypervisor between two cpuTimes(). */
function stealShare(before, after) {
  if (before === undefined || after === undefined || after.total === before.total) return null;
  return (after.steal - before.steal) / (after.total - before.total);
}

export async function phase(name, run) {
  const started = hr();
  const cpuBefore = cpuTimes();
  const result = await run();
  phases[name] = Number(hr() - started) / 1e9;
  steal[name] = stealShare(cpuBefore, cpuTimes());
  const stolen = steal[name] === null ? '' : `, ${(100 * steal[name]).toFixed(1)}% of the CPU time stolen by the hypervisor`;
  log(`${name} done in ${phases[name].toFixed(1)} s${stolen}`);
  return result;
}
