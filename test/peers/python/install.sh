#!/usr/bin/env bash
# Python clients as test peers: a venv in test/peers/python/.venv with requirements.txt from PyPI.
# Idempotent: a venv that already holds the pinned versions is kept.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements"
if [ -f "$stamp" ] && cmp -s "$stamp" "$here/requirements.txt"; then exit 0; fi
command -v python3 >/dev/null 2>&1 || { echo "python peer: python3 not found" >&2; exit 1; }
python3 -m venv "$venv"
if ! timeout 600 "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"; then
  echo "python peer: cannot install $here/requirements.txt from PyPI" >&2
  exit 1
fi
cp "$here/requirements.txt" "$stamp"
