// Progress goes to stderr, so that stdout holds only the report.
export const log = (...args) => console.error('[bench]', ...args);
