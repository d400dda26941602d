/**
 * Amazon Cognito user pool: issuer `https://cognito-idp.<region>.amazonaws.com/<poolId>`, JWKS
 * `/<poolId>/.well-known/jwks.json` (`alg`, `use`, no `x5c`). Access tokens have no `aud`:
 * `client_id` names the app client, with `token_use: 'access'`, `cognito:groups`, `scope`,
 * `username`, `version: 2`. (ID tokens have `aud`, not profiled here.)
 * Sources: https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html,
 * https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html.
 */
import { randomUUID } from 'node:crypto';
import type { TestProfile } from './profile.js';

const POOL = '/us-east-1_Example1';

export const cognito: TestProfile = {
  name: 'cognito',
  source: [
    'https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html',
    'https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html',
  ],
  path: POOL,
  jwksPath: `${POOL}/.well-known/jwks.json`,
  audience: '1example23456789abcdefghij',
  jwk: { alg: true, x5c: false },
  discovery: ({ origin }) => ({
    authorization_endpoint: `${origin}/oauth2/authorize`,
    token_endpoint: `${origin}/oauth2/token`,
    userinfo_endpoint: `${origin}/oauth2/userInfo`,
  }),
  claims: ({ audience }) => ({
    aud: undefined,
    client_id: audience,
    token_use: 'access',
    sub: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    'cognito:groups': [],
    scope: 'aws.cognito.signin.user.admin',
    username: 'alice',
    version: 2,
    auth_time: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    origin_jti: randomUUID(),
    event_id: randomUUID(),
  }),
};
