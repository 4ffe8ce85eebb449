#!/usr/bin/env bash
# Copies Apache Kafka (the version pom.xml pins) and its dependencies into harness/peers/kafka/lib,
# which kafka-peer.ts puts on the JVM's class path. Maven caches the jars in ~/.m2: the first run on
# a fresh machine downloads them, later runs copy from the cache; when lib/ already holds the jars
# of this pom.xml (a stamp file records the pom's hash) nothing runs at all.
# Every Maven run is bounded by `timeout`, so an unreachable registry is one clear line and exit 1,
# never a hang.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib="$here/lib"
stamp="$lib/.pom.sha256"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && ls "$lib"/kafka_2.13-*.jar >/dev/null 2>&1; then
  echo "kafka peer: Apache Kafka $version jars already in $lib"
  exit 0
fi
for tool in java mvn timeout; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "kafka peer: '$tool' not found; install Java 17 and Maven (Debian: apt-get install openjdk-17-jdk-headless maven)" >&2
    exit 1
  fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log="$work/mvn.log"
copy() { # $1: seconds allowed, then extra Maven flags
  local seconds="$1"; shift
  timeout --kill-after=10 "$seconds" mvn -B -q -f "$here/pom.xml" "$@" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies -DoutputDirectory="$work/lib" >"$log" 2>&1
}
# offline first: with a warm ~/.m2 this needs no network and takes a few seconds; online second,
# with Maven's own HTTP timeouts (30 s per connection and read) under an overall bound
if ! copy 180 -o; then
  if ! copy "${KAFKA_PEER_INSTALL_TIMEOUT_S:-900}" -Dmaven.wagon.http.retryHandler.count=2 \
       -Dmaven.wagon.httpconnectionManager.ttlSeconds=30 -Dmaven.wagon.rto=30000 \
       -Daether.connector.connectTimeout=30000 -Daether.connector.requestTimeout=30000; then
    reason="$(grep -m1 -E 'ERROR|Could not|Connect|timed out|UnknownHost' "$log" | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-300 || true)"
    echo "kafka peer: cannot get Apache Kafka $version from Maven Central (mvn dependency:copy-dependencies failed or timed out): ${reason:-no output}" >&2
    exit 1
  fi
fi
# replace lib/ as a whole, the stamp last, so an interrupted run never leaves a half directory
# that passes the check above
rm -rf "$lib.new" && mv "$work/lib" "$lib.new" && rm -rf "$lib" && mv "$lib.new" "$lib"
echo "$want" >"$stamp"
echo "kafka peer: Apache Kafka $version ($(ls "$lib" | grep -c '\.jar$') jars) in $lib"
