#!/usr/bin/env node
/**
 * The `tenantgate` command line; its commands arrive with later releases.
 * @packageDocumentation
 */
process.stdout.write('Usage: tenantgate <command>\n\nCommands:\n  demo      (coming soon)\n  inspect   (coming soon)\n');
