// Time sources shared by the scenarios and the runner.
export const hr = () => process.hrtime.bigint();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
