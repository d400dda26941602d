// Settings and fixed inputs shared by every scenario. Quick mode shortens times and counts;
// every implementation gets the same ones.
export const QUICK = process.argv.includes('--quick');

export const S = QUICK
  ? {
      warmupMs: 250, // micro scenarios: untimed warm-up per implementation
      measureMs: 300, // micro scenarios: timed window per round
      rounds: 1, // rounds per implementation (interleaved); the median is reported
      coldTokens: 1500, // distinct tokens per cold run
      warmTokens: 300, // distinct tokens for warm-up, never measured
      mixedDistinct: 10000,
      mixedDraws: 10_000, // requests of the Zipf stream, from a cold cache
      mixedCapS: 1, // ...or until this long, for implementations without a cache only
      mixedRounds: 1,
      httpWarmupS: 0.5,
      httpDurationS: 1,
      httpRounds: 1,
      httpConnections: 32,
      memoryTokens: 100_000,
      jwksFlood: 10_000,
      jwksWindowS: 1, // the flood is spread over this window
      jwksGraceS: 0.5, // then stragglers get this long
      firstRequestReps: 10,
      dpopProofs: 1000, // fresh DPoP proofs per timed window
    }
  : {
      warmupMs: 1000,
      measureMs: 1000,
      rounds: 3,
      coldTokens: 10000,
      warmTokens: 500,
      mixedDistinct: 10000,
      mixedDraws: 100_000,
      mixedCapS: 6,
      mixedRounds: 2,
      httpWarmupS: 2,
      httpDurationS: 4,
      httpRounds: 5, // variants interleaved round by round, in a rotating order; the median is reported
      httpConnections: 32,
      memoryTokens: 1_000_000,
      jwksFlood: 10_000,
      jwksWindowS: 5,
      jwksGraceS: 3,
      firstRequestReps: 30,
      dpopProofs: 5000,
    };

export const ZIPF_S = 1.1;
export const AUDIENCE = 'metrics-api';
export const SUB = 'pref-1234567890-bench';
export const TENANT = 'tenant-1';
export const POLICY = {
  accessPolicyClaim: 'sub',
  accessPolicyRegex: 'pref-([0-9]+)-.*',
  accessPolicies: { '1234567890': { scopes: ['metrics:read'], realms: [{ tenant: TENANT }] } },
};
export const ALGS = ['RS256', 'ES256'];
