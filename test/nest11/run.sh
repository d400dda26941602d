#!/usr/bin/env bash
# Runs tenantgate/nest in Nest 11 applications (the suite tests Nest 12, the peer range also
# names 11). Nest 11 is installed here from the pinned lock; the built package (`npm run build`
# first) is copied in as node_modules/tenantgate with links to its own runtime dependencies, so
# that `@nestjs/*` resolves to Nest 11 and never to the repository's Nest 12.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
[ -f "$root/dist/adapters/nest.js" ] || { echo "nest11: $root/dist is missing: run npm run build first" >&2; exit 2; }
npm ci --no-audit --no-fund --loglevel=error
rm -rf node_modules/tenantgate
mkdir -p node_modules/tenantgate
cp -r "$root/dist" "$root/package.json" node_modules/tenantgate/
for dependency in jose lru-cache zod re2; do
  [ -e "node_modules/$dependency" ] || ln -s "$root/node_modules/$dependency" "node_modules/$dependency"
done
node app.mjs
node app.cjs
