import { describe, expect, it } from 'vitest';
import { urlProblem } from '../../src/issuer/url-rules.js';

describe('urlProblem', () => {
  it.each([
    ['https://idp.example.com', false, undefined],
    ['http://localhost:8080', false, undefined],
    ['http://127.0.0.1', false, undefined],
    ['http://[::1]', false, undefined],
    ['http://idp.example.com', true, undefined],
    ['http://localhost.example.com', false, 'uses plain http off loopback (use https, or set allowInsecureHttp)'],
    ['http://128.0.0.1', false, 'uses plain http off loopback (use https, or set allowInsecureHttp)'],
    ['http://idp.example.com', false, 'uses plain http off loopback (use https, or set allowInsecureHttp)'],
    ['ws://idp.example.com', true, 'must use https'],
    ['file:///etc/passwd', true, 'must use https'],
    ['https://a@idp.example.com', false, 'must not contain credentials'],
    ['https://idp.example.com?x', false, 'must not have a query or fragment'],
    ['idp.example.com', false, 'is not a valid URL'],
  ] as const)('%s (insecure %s) -> %s', (url, insecure, problem) => {
    expect(urlProblem(url, insecure)).toBe(problem);
  });
});

describe('urlProblem for a jwks_uri (query allowed)', () => {
  it.each([
    ['https://b2c.example.com/tfp/keys?p=b2c_1_signin', undefined],
    ['https://idp.example.com/keys#frag', 'must not have a fragment'],
    ['http://idp.example.com/keys?p=x', 'uses plain http off loopback (use https, or set allowInsecureHttp)'],
  ] as const)('%s -> %s', (url, problem) => {
    expect(urlProblem(url, false, { query: true })).toBe(problem);
  });
});
