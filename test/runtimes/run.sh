#!/usr/bin/env bash
# Runs the fetch adapter under Bun and Deno against the built package, as a user would:
# `npm run build` at the repository root first. Installs the pinned runtimes from npm
# (@oven/bun-linux-x64, @deno/linux-x64-glibc) with npm ci, links the repository in as
# node_modules/tenantgate (its package.json exports point into dist/), then runs
# fetch-program.mjs under each runtime: once with the engine tenantgate picks there, once
# with re2js forced. Prints each run's outcome; exits 1 when one fails, 2 when it cannot start.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here" || exit 2

if [ ! -f "$root/dist/index.js" ] || [ ! -f "$root/dist/adapters/fetch.js" ]; then
  echo "runtimes: $root/dist is missing: run npm run build first" >&2
  exit 2
fi
npm ci --no-audit --no-fund --loglevel=error || { echo "runtimes: npm ci failed" >&2; exit 2; }
# The link points back at the repository: removed on exit, so that nothing walking the tree
# afterwards (tsc, vitest, grep) meets a loop.
trap 'rm -f "$here/node_modules/tenantgate"' EXIT
ln -sfn "$root" node_modules/tenantgate

bun="$here/node_modules/@oven/bun-linux-x64/bin/bun"
deno="$here/node_modules/@deno/linux-x64-glibc/deno"
# Deno runs with what the program needs: loopback sockets, reading the package and
# node_modules, and the environment (TENANTGATE_REGEX_ENGINE).
deno_run=("$deno" run --quiet --allow-net=127.0.0.1 --allow-read --allow-env)

failed=0
outcomes=()
attempt() {
  local label="$1"
  shift
  if timeout 120 "$@"; then
    outcomes+=("passed  $label")
  else
    outcomes+=("FAILED  $label")
    failed=1
  fi
}

attempt "bun $("$bun" --version)" "$bun" fetch-program.mjs
attempt "bun, TENANTGATE_REGEX_ENGINE=re2js" env TENANTGATE_REGEX_ENGINE=re2js "$bun" fetch-program.mjs
attempt "deno $("$deno" --version | head -n 1 | cut -d' ' -f2)" "${deno_run[@]}" fetch-program.mjs
attempt "deno, TENANTGATE_REGEX_ENGINE=re2js" env TENANTGATE_REGEX_ENGINE=re2js "${deno_run[@]}" fetch-program.mjs

echo
echo "runtimes:"
for outcome in "${outcomes[@]}"; do echo "  $outcome"; done
exit "$failed"
