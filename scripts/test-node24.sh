#!/usr/bin/env bash
# `npm run test:node24`: the whole suite on Node 24 (the registry's `node` package, installed by
# test/peers/node24/install.sh). Its bin directory goes first in PATH, so vitest, the CLI children
# (process.execPath) and `node` in scripts all run 24. The native addon is Node-API: the build made
# by `npm install` on the machine's node loads on 24 as it is (the addon test checks it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-prereqs.sh
bin="$PWD/test/peers/node24/node_modules/.bin"
export PATH="$bin:$PATH"
version="$(node --version)"
case "$version" in v24.*) ;; *) echo "test:node24: $bin/node is $version, not 24" >&2; exit 1 ;; esac
npx tsup
echo "tests on node $version"
npx vitest run "$@"
