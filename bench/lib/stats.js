// Statistics over samples, and the rows the table and results.json are made of.
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
export const MiB = (bytes) => bytes / 1024 / 1024;

export function row(scenario, reference, implementation, opsPerSec, extra = {}) {
  return { scenario, reference, implementation, opsPerSec, ...extra };
}

/** Each row's throughput as a multiple of the reference implementation's (null without one). */
export function withRatios(rows, referenceName) {
  const reference = rows.find((r) => r.implementation === referenceName);
  for (const r of rows) r.ratio = reference ? r.opsPerSec / reference.opsPerSec : null;
  return rows;
}
