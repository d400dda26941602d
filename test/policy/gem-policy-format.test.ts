// GEM's access-policy shape (`tenantgate/policies`, format 'gem'): a list or `{ items }`,
// `display_name`, `status`, `realms[].label_policies[].selector`; problems named by path.
import { readFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPolicyDocument } from '../../src/policy/policy-document.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

const readers = {
  name: 'team-a-readers',
  displayName: 'Team A (read only)',
  scopes: ['metrics:read', 'logs:read'],
  realms: [
    {
      tenant: 'team-a',
      cluster: 'gem-prod',
      labelSelectors: ['{namespace="default"}', '{__name__=~"up|node_.*", secret!="true"}'],
    },
  ],
};

describe('GEM policy documents', () => {
  it('loads the admin API listing ({ items }), dropping inactive policies and Go zero values', () => {
    expect(readPolicyDocument(fixture('gem-access-policies.json'), 'json', 'gem')).toEqual({
      policies: [
        readers,
        { name: 'team-a-writers', displayName: 'Team A ingest', scopes: ['metrics:write', 'logs:write'], realms: [{ tenant: 'team-a' }] },
      ],
    });
  });

  it('loads a plain list, in YAML', () => {
    expect(readPolicyDocument(fixture('gem-access-policies.yaml'), 'yaml', 'gem')).toEqual({ policies: [readers] });
  });

  it('treats "unknown" like "inactive": the policy does not exist', () => {
    const text = JSON.stringify([{ name: 'p', status: 'unknown', scopes: ['metrics:read'], realms: [{ tenant: 't' }] }]);
    expect(readPolicyDocument(text, 'json', 'gem')).toEqual({ policies: [] });
  });

  it('names a selector that is not a vector selector by policy, realm and selector, with its line', () => {
    const broken = fixture('gem-access-policies.json').replace('{namespace=\\"default\\"}', 'rate(x[5m])');
    expect(readPolicyDocument(broken, 'json', 'gem')).toEqual({
      reason:
        'In policy "team-a-readers": `items[0].realms[0].label_policies[0].selector` must be a PromQL vector selector such as \'{env="prod"}\': "rate(x[5m])" is a function call.',
      line: 14,
    });
  });

  it('names the line of a bad selector in YAML too', () => {
    const broken = fixture('gem-access-policies.yaml').replace(`'{namespace="default"}'`, `'{namespace=}'`);
    expect(readPolicyDocument(broken, 'yaml', 'gem')).toEqual({
      reason:
        'In policy "team-a-readers": `[0].realms[0].label_policies[0].selector` is not a PromQL vector selector: "{namespace=}" does not parse (unexpected input at character 12).',
      line: 10,
    });
  });

  it('refuses a misspelt realm key (it would leave the realm unrestricted) and suggests the right one', () => {
    const text = JSON.stringify([{ name: 'p', scopes: [], realms: [{ tenant: 't', label_polices: [] }] }]);
    expect(readPolicyDocument(text, 'json', 'gem')).toEqual({
      reason: 'In policy "p": `[0].realms[0].label_polices` is not an option (did you mean `label_policies`?).',
      line: 1,
    });
  });

  it('refuses names no token can select, and names given twice', () => {
    const policy = (name: string) => ({ name, scopes: [], realms: [] });
    expect(readPolicyDocument(JSON.stringify({ items: [policy('Team1')] }), 'json', 'gem')).toMatchObject({
      reason:
        'In policy "Team1": `items[0].name` names the policy "Team1", which no token can name: names from tokens are lowercased, so call it "team1".',
    });
    expect(readPolicyDocument(JSON.stringify([policy('a'), policy('a')], null, 1), 'json', 'gem')).toEqual({
      reason: 'In policy "a": `[1].name` names the policy "a" a second time.',
      line: 8,
    });
  });

  it('says what a wrong value should be, and counts further problems', () => {
    const text = JSON.stringify([{ name: 'p', status: 'enabled', scopes: 'metrics:read', realms: [{ tenant: 'a|b' }] }]);
    const outcome = readPolicyDocument(text, 'json', 'gem');
    expect(outcome).toEqual({
      reason: 'In policy "p": `[0].status` must be "active", "inactive" or "unknown"; got "enabled". (and 2 more problems)',
      line: 1,
    });
  });

  it('refuses a document of another shape', () => {
    expect(readPolicyDocument('{"policies": []}', 'json', 'gem')).toEqual({
      reason: '`items` is required: it must be a list of GEM access policies.',
      line: 1,
    });
  });
});

describe('syntax errors', () => {
  it('gives the line of a JSON syntax error', () => {
    expect(readPolicyDocument('[\n  {"name": "a",\n  }\n]', 'json', 'gem')).toEqual({
      reason: 'is not valid JSON: Expected double-quoted property name',
      line: 3,
    });
  });

  it('gives the line of a YAML syntax error', () => {
    const outcome = readPolicyDocument('- name: a\n  scopes: [metrics:read\n- name: b\n', 'yaml', 'gem');
    expect(outcome).toMatchObject({ line: 3 });
    expect((outcome as { reason: string }).reason).toMatch(/^is not valid YAML: /);
  });

  it('says to install yaml when a YAML file is read without it', () => {
    const elsewhere = createRequire(join(mkdtempSync(join(tmpdir(), 'tenantgate-no-yaml-')), 'x.js'));
    expect(() => readPolicyDocument('- name: a', 'yaml', 'gem', elsewhere)).toThrow(
      'Reading a YAML policy file needs the optional package yaml: install it (npm install yaml)',
    );
  });
});

describe('tenantgate policy documents', () => {
  it('takes an object keyed by name or a list with names, and writes selectors in normal form', () => {
    const record = { team1: { scopes: ['metrics:read'], realms: [{ tenant: 't', labelSelectors: ['up{ env = "prod" }'] }] } };
    const expected = [{ name: 'team1', scopes: ['metrics:read'], realms: [{ tenant: 't', labelSelectors: ['{__name__="up", env="prod"}'] }] }];
    expect(readPolicyDocument(JSON.stringify(record), 'json', 'tenantgate')).toEqual({ policies: expected });
    const list = [{ name: 'team1', ...record.team1 }];
    expect(readPolicyDocument(JSON.stringify(list), 'json', 'tenantgate')).toEqual({ policies: expected });
  });

  it('names the policy, realm and selector at fault, with the line', () => {
    const text = JSON.stringify({ ok: { scopes: [], realms: [] }, team1: { scopes: [], realms: [{ tenant: 't', labelSelectors: ['{a="b"}', '{}'] }] } }, null, 2);
    expect(readPolicyDocument(text, 'json', 'tenantgate')).toEqual({
      reason: '`team1.realms[0].labelSelectors[1]` is not a valid vector selector: "{}" has no matcher.',
      line: 13,
    });
  });
});
