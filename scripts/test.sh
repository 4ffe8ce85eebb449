#!/usr/bin/env bash
# `npm test`: installs what the tests need (scripts/test-prereqs.sh), then builds dist/ (the CLI
# tests spawn it), type-checks and runs the whole suite on the node first in PATH.
#   npm test                      # everything
#   npm test -- test/cli          # prerequisites, build, type-check, then only these test files
#   npm run test:node24           # the same suite again on Node 24 (test/peers/node24)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-prereqs.sh
npx tsup
npx tsc --noEmit
echo "tests on node $(node --version)"
npx vitest run "$@"
