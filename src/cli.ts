#!/usr/bin/env node
/**
 * The `tenantgate` command line: `demo` and `inspect`.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { NamedAccessPolicy } from './access-policy.js';
import { runDemo } from './demo.js';
import { ConfigError } from './errors.js';
import { inspect, type Inspection } from './inspect.js';
import type { AuthenticatorOptions } from './options.js';

const USAGE = `Usage: tenantgate <command>

Commands:
  demo       walk through the main job against a local issuer
  inspect    explain, check by check, why a token is accepted or rejected
  help       show this text

tenantgate inspect --issuer URL --audience A --claim C --regex R
                   [--tenant T] [--policies FILE] [--typ T] [--clock-tolerance 30s]
                   [--allow-insecure-http] [--json] TOKEN_OR_HEADER
  TOKEN_OR_HEADER is a JWT, tenant:jwt, or a whole "Bearer ..."/"Basic ..." value;
  with none (or "-"), it is read from standard input. --audience false skips the aud check.
  Exit status: 0 accepted, 1 rejected, 2 usage or configuration error.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo': {
      const good = await runDemo((line) => process.stdout.write(`${line}\n`), process.stdout.isTTY === true);
      process.stdout.write(good ? '\nEvery step behaved as expected.\n' : '\nSome steps did not behave as expected.\n');
      return good ? 0 : 1;
    }
    case 'inspect':
      return runInspect(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(command === undefined ? USAGE : `tenantgate: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function runInspect(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        issuer: { type: 'string', multiple: true },
        audience: { type: 'string', multiple: true },
        claim: { type: 'string' },
        regex: { type: 'string' },
        tenant: { type: 'string' },
        policies: { type: 'string' },
        typ: { type: 'string' },
        'clock-tolerance': { type: 'string' },
        'allow-insecure-http': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  for (const required of ['issuer', 'audience', 'claim', 'regex'] as const) {
    if (values[required] === undefined) return usageError(`--${required} is required`);
  }
  if (positionals.length > 1) return usageError('give one token or header');
  const credential = positionals[0] === undefined || positionals[0] === '-' ? readStdin() : positionals[0];
  if (credential.trim() === '') return usageError('no token given (as an argument or on standard input)');
  let options: AuthenticatorOptions;
  try {
    options = {
      issuerUrl: values.issuer?.length === 1 ? values.issuer[0] ?? '' : (values.issuer ?? []),
      audience: values.audience?.[0] === 'false' ? false : values.audience?.length === 1 ? values.audience[0] ?? '' : (values.audience ?? []),
      accessPolicyClaim: values.claim ?? '',
      accessPolicyRegex: values.regex ?? '',
      accessPolicies: values.policies === undefined ? anyPolicy : (JSON.parse(readFileSync(values.policies, 'utf8')) as AuthenticatorOptions['accessPolicies']),
      ...(values.typ === undefined ? {} : { typ: values.typ }),
      ...(values['clock-tolerance'] === undefined ? {} : { clockTolerance: values['clock-tolerance'] }),
      allowInsecureHttp: values['allow-insecure-http'] ?? false,
      jwks: { cooldown: 0 },
    };
  } catch (error) {
    return usageError(`cannot read --policies: ${error instanceof Error ? error.message : String(error)}`);
  }
  let inspection: Inspection;
  try {
    inspection = await inspect({ options, credential, tenant: values.tenant });
  } catch (error) {
    if (error instanceof ConfigError) return usageError(error.problems.join('\n  '));
    throw error;
  }
  if (values.policies === undefined) {
    inspection.checks.splice(inspection.checks.length - 1, 0, {
      name: 'policies',
      ok: true,
      detail: 'not checked: every extracted name was taken as a policy covering every tenant',
      hint: 'pass --policies FILE (a JSON record of access policies) to check them',
    });
  }
  process.stdout.write(values.json ? `${JSON.stringify(inspection, null, 2)}\n` : render(inspection, process.stdout.isTTY === true));
  return inspection.accepted ? 0 : 1;
}

async function anyPolicy(names: string[]): Promise<NamedAccessPolicy[]> {
  return names.map((name) => ({ name, scopes: [], realms: [{ tenant: '*' }] }));
}

function render(inspection: Inspection, colour: boolean): string {
  const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines = inspection.checks.map((check) => {
    const mark = check.ok ? paint(32, 'PASS') : paint(31, 'FAIL');
    const hint = !check.ok && check.hint ? `\n       ${paint(33, `hint: ${check.hint}`)}` : '';
    return `${mark} ${check.name.padEnd(11)} ${check.detail}${hint}`;
  });
  return `${lines.join('\n')}\n`;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function usageError(message: string): number {
  process.stderr.write(`tenantgate inspect: ${message}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tenantgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
