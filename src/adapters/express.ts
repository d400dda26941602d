/**
 * The Express adapter.
 *
 * This entry point is reserved: its exports arrive in a later release.
 * @packageDocumentation
 */
export {};
