#!/usr/bin/env node
/**
 * The `tenantgate` command line: `demo` and `inspect`.
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AccessPolicyStore } from '../policy/access-policy.js';
import { EXIT, packageVersion, usage } from './cli-usage.js';
import { runDemo } from './demo.js';
import { ConfigError } from '../base/errors.js';
import { readCertificate } from './inspect-sender.js';
import { inspect, type Inspection } from './inspect.js';
import { credentialHeader } from './inspect-credential.js';
import type { AuthenticatorOptions } from '../options/options.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'demo':
      return runDemoCommand(rest);
    case 'inspect':
      return runInspect(rest);
    case 'help':
    case '--help':
    case '-h':
      if (rest[0] === 'inspect' || rest[0] === 'demo') {
        process.stdout.write(usage(rest[0]));
        return 0;
      }
      process.stdout.write(usage());
      return 0;
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`${packageVersion()}\n`);
      return 0;
    default:
      process.stderr.write(command === undefined ? usage() : `tenantgate: unknown command "${command}"\n\n${usage()}`);
      return EXIT.usage;
  }
}

async function runDemoCommand(argv: string[]): Promise<number> {
  let help: boolean | undefined;
  try {
    ({ values: { help } } = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    return usageError('demo', messageOf(error));
  }
  if (help === true) {
    process.stdout.write(usage('demo'));
    return 0;
  }
  const good = await runDemo((line) => process.stdout.write(`${line}\n`), process.stdout.isTTY === true);
  process.stdout.write(good ? '\nEvery step behaved as expected.\n' : '\nSome steps did not behave as expected.\n');
  return good ? 0 : 1;
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
        scope: { type: 'string' },
        'no-require-tenant': { type: 'boolean' },
        typ: { type: 'string' },
        'clock-tolerance': { type: 'string' },
        'allow-insecure-http': { type: 'boolean' },
        json: { type: 'boolean' },
        dpop: { type: 'string' },
        method: { type: 'string' },
        url: { type: 'string' },
        cert: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usageError('inspect', messageOf(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    process.stdout.write(usage('inspect'));
    return 0;
  }
  const settingFlags = ['issuer', 'audience', 'claim', 'regex', 'typ', 'clock-tolerance', 'no-require-tenant', 'allow-insecure-http'] as const;
  let config: Record<string, unknown> | undefined;
  if (values.config !== undefined) {
    const given = settingFlags.filter((flag) => values[flag] !== undefined);
    if (given.length > 0) return usageError('inspect', `--config holds the options; leave out --${given.join(', --')}`);
    try {
      config = readConfig(values.config);
    } catch (error) {
      return usageError('inspect', `cannot read --config: ${messageOf(error)}`);
    }
  } else {
    for (const required of ['issuer', 'audience', 'claim', 'regex'] as const) {
      if (values[required] === undefined) return usageError('inspect', `--${required} is required (or --config FILE)`);
    }
  }
  if (positionals.length > 1) return usageError('inspect', 'give one token or header');
  const credential = positionals[0] === undefined || positionals[0] === '-' ? readStdin() : positionals[0];
  if (credential.trim() === '') return usageError('inspect', 'no token given (as an argument or on standard input)');
  const header = credentialHeader(credential, values.tenant);
  if ('problem' in header) return usageError('inspect', header.problem);
  let policies: AccessPolicyStore | undefined;
  try {
    policies = values.policies === undefined ? undefined : (JSON.parse(readFileSync(values.policies, 'utf8')) as AccessPolicyStore);
  } catch (error) {
    return usageError('inspect', `cannot read --policies: ${messageOf(error)}`);
  }
  if (config !== undefined) {
    const { accessPolicies, ...rest } = config;
    policies ??= accessPolicies as AccessPolicyStore | undefined;
    return inspectAndReport({ ...rest, jwks: { cooldown: 0, ...(rest.jwks as object | undefined) } } as Omit<AuthenticatorOptions, 'accessPolicies'>, policies, header.authorization, values);
  }
  const options: Omit<AuthenticatorOptions, 'accessPolicies'> = {
    issuerUrl: values.issuer?.length === 1 ? values.issuer[0] ?? '' : (values.issuer ?? []),
    audience: values.audience?.[0] === 'false' ? false : values.audience?.length === 1 ? values.audience[0] ?? '' : (values.audience ?? []),
    accessPolicyClaim: values.claim ?? '',
    accessPolicyRegex: values.regex ?? '',
    requireTenant: values['no-require-tenant'] !== true,
    ...(values.typ === undefined ? {} : { typ: values.typ }),
    ...(values['clock-tolerance'] === undefined ? {} : { clockTolerance: values['clock-tolerance'] }),
    allowInsecureHttp: values['allow-insecure-http'] ?? false,
    jwks: { cooldown: 0 },
  };
  return inspectAndReport(options, policies, header.authorization, values);
}

/** Reads `--config FILE`: the options of `createAuthenticator` as JSON (functions aside). */
function readConfig(path: string): Record<string, unknown> {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('it must hold a JSON object of options');
  return parsed as Record<string, unknown>;
}

interface ReportFlags {
  dpop?: string | undefined;
  method?: string | undefined;
  url?: string | undefined;
  cert?: string | undefined;
  scope?: string | undefined;
  json?: boolean | undefined;
}

async function inspectAndReport(
  options: Omit<AuthenticatorOptions, 'accessPolicies'>,
  policies: AccessPolicyStore | undefined,
  authorization: string,
  values: ReportFlags,
): Promise<number> {
  if (values.dpop !== undefined && (values.method === undefined || values.url === undefined)) {
    return usageError('inspect', '--dpop needs --method and --url: the request the proof was made for');
  }
  let certificate: Buffer | undefined;
  try {
    certificate = values.cert === undefined ? undefined : readCertificate(values.cert);
  } catch (error) {
    return usageError('inspect', `cannot read --cert: ${messageOf(error)}`);
  }
  const dpop = values.dpop === undefined ? undefined : { proof: values.dpop, method: values.method ?? '', url: values.url ?? '' };
  let inspection: Inspection;
  try {
    inspection = await inspect({ options, policies, authorization, scope: values.scope, sender: { dpop, certificate } });
  } catch (error) {
    if (error instanceof ConfigError) return usageError('inspect', error.problems.join('\n  '));
    throw error;
  }
  process.stdout.write(values.json ? `${JSON.stringify(inspection, null, 2)}\n` : render(inspection, process.stdout.isTTY === true));
  return EXIT[inspection.verdict];
}

function render(inspection: Inspection, colour: boolean): string {
  const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines = inspection.checks.map((check) => {
    const mark = check.ok === true ? paint(32, 'PASS') : check.ok === false ? paint(31, 'FAIL') : paint(33, 'SKIP');
    const hint = check.ok !== true && check.hint ? `\n       ${paint(33, `hint: ${check.hint}`)}` : '';
    return `${mark} ${check.name.padEnd(11)} ${check.detail}${hint}`;
  });
  for (const item of inspection.notChecked) lines.push(`       ${paint(33, `not checked: ${item}`)}`);
  return `${lines.join('\n')}\n`;
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}

function usageError(command: 'inspect' | 'demo', message: string): number {
  process.stderr.write(`tenantgate ${command}: ${message}\n\n${usage(command)}`);
  return EXIT.usage;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`tenantgate: ${messageOf(error)}\n`);
    process.exitCode = 1;
  },
);
