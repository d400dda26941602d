// The mixed scenario's request stream: ranks drawn with weight 1/k^s from a seeded generator,
// so that every implementation and every run serves the same stream.
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function zipfDraws(distinct, count, s, seed) {
  const cdf = new Float64Array(distinct);
  let total = 0;
  for (let k = 0; k < distinct; k += 1) {
    total += 1 / (k + 1) ** s;
    cdf[k] = total;
  }
  const random = mulberry32(seed);
  const draws = new Uint32Array(count);
  for (let i = 0; i < count; i += 1) {
    const u = random() * total;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    draws[i] = lo;
  }
  return draws;
}
