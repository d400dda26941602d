// Where an interop test finds the real program it runs (a Debian package: prometheus,
// redis-server), and what it says when the program is missing: locally the test does not run
// and says so loudly; with CI set it must fail instead (the caller checks `IN_CI`).
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Whether this run is CI, where a missing program is a failure, never a quiet pass. */
export const IN_CI = Boolean(process.env.CI);

/**
 * The executable `/usr/bin/<name>` or the first `<name>` on PATH; `undefined` (with a warning
 * naming the Debian package, outside CI) when there is none.
 */
export function debianProgram(name: string, what: string): string | undefined {
  const candidates = [`/usr/bin/${name}`, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name))];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there, or not executable
    }
  }
  if (!IN_CI) {
    console.warn(
      `\n!!! ${name} binary not found (neither /usr/bin/${name} nor on PATH): ${what} was NOT RUN.` +
        `\n!!! Install the Debian package \`${name}\` (apt-get install ${name}) to run it; with CI set it fails instead.\n`,
    );
  }
  return undefined;
}
