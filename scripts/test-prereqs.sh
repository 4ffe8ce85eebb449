#!/usr/bin/env bash
# Installs everything the test suite drives for real, and nothing when it is already there (each
# step keeps a stamp or checks the tool), so `npm test` can call it every time:
#   Debian tools (strace, lz4, zstd, kcat, fio, iperf3, iproute2, fuse3 + libfuse3-dev, a C compiler),
#   Java 17 + Maven and Apache Kafka's jars (harness/peers/kafka), the Python clients' venv
#   (test/peers/python), Node 24 + its client peers (test/peers/node24), franz-go's Go modules
#   (test/peers/franz-go), and this package's own node_modules when missing.
# A prerequisite that cannot be installed is one line naming it and how, and exit 1: a test run
# without it would fail later with a less clear message.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "test prerequisites: $*" >&2; exit 1; }

# apt-get as root, or through sudo when it needs no password; otherwise say what to install
apt_install() {
  local runner=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then runner=(sudo -n); else
      fail "missing Debian packages: $* (run: sudo apt-get install $*)"
    fi
  fi
  command -v apt-get >/dev/null 2>&1 || fail "missing packages $* and no apt-get here; install them with the system's package manager"
  "${runner[@]}" apt-get update -qq
  "${runner[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# (command:package) pairs; `ip` comes from iproute2 (the two-host test's network namespaces), fuse3
# and libfuse3-dev for test/crashfs (power cuts), java/mvn for the Kafka peer
need=()
for pair in strace:strace lz4:lz4 zstd:zstd kcat:kcat fio:fio iperf3:iperf3 ip:iproute2 gzip:gzip \
            fusermount3:fuse3 pkg-config:pkg-config make:make cc:gcc c++:g++ python3:python3 \
            java:openjdk-17-jdk-headless mvn:maven; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
pkg-config --exists fuse3 2>/dev/null || need+=(libfuse3-dev)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
if [ "${#need[@]}" -gt 0 ]; then apt_install "${need[@]}"; fi

# this package's dependencies (a fresh clone); `npm ci` keeps the lock as it is
if [ ! -x node_modules/.bin/vitest ]; then
  npm ci --no-audit --no-fund || fail "npm ci failed (package-lock.json)"
fi

# Apache Kafka's jars from Maven Central (cached in ~/.m2), Kafka's Java client and tools
npm run -s peer:kafka
# confluent-kafka and kafka-python from PyPI into a venv
bash test/peers/python/install.sh
# Node 24 (the suite's second pass) and @platformatic/kafka from the npm registry
bash test/peers/node24/install.sh
# franz-go's modules from the Go module proxy, bounded
command -v go >/dev/null 2>&1 || fail "'go' not found: test/peers/franz-go needs Go >= 1.26 (https://go.dev/dl/)"
(cd test/peers/franz-go && timeout 600 go mod download) ||
  fail "cannot download franz-go's modules (test/peers/franz-go/go.mod) from the Go module proxy"
