/**
 * Metrics for prom-client, built from the authenticator's events.
 *
 * This entry point is reserved: its exports arrive in a later release.
 * @packageDocumentation
 */
export {};
