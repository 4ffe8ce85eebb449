#!/usr/bin/env bash
# Node 24 and the Node-24-only client peers (package.json here) from the npm registry, locked.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
if [ -x node_modules/.bin/node ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then exit 0; fi
npm ci --no-audit --no-fund >/dev/null || { echo "node24 peer: npm ci failed in $here" >&2; exit 1; }
