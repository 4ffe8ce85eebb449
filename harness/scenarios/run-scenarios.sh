#!/usr/bin/env bash
# Runs the research scenarios into results/ (see results/REPRODUCTION.md). Each is an ordinary
# `strata bench` run of a workload in harness/workloads/scenarios/; the zero-copy one is repeated at
# the article's file sizes, the many-consumers one at 1, 2, 4 and 8 consumers. `same-machine` (not
# in the default list: it needs `npm run build` and the Kafka peer, `npm run peer:kafka`) runs the
# scenarios that apply to a broker against Apache Kafka and strata serve (same-machine.ts).
#   bash harness/scenarios/run-scenarios.sh [DATA_DIR] [which...]
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:-/tmp}"; shift || true
which="${*:-page-cache-vs-fsync batching-curve kafka-2014 codecs zero-copy many-consumers seq-vs-random}"
bench() { node --import tsx cli/main.ts bench --data-dir "$data" --progress plain "$@"; }
for s in $which; do
  case "$s" in
    page-cache-vs-fsync|batching-curve|codecs)
      bench --workload "harness/workloads/scenarios/$s.yaml" --out "results/$s" ;;
    kafka-2014)
      bench --workload harness/workloads/scenarios/kafka-2014.yaml --out results/kafka-2014
      bench --workload harness/workloads/scenarios/kafka-2014.yaml --consumers 3 --out results/kafka-2014-3-consumers ;;
    zero-copy)
      # file sizes of the zero-copy article (MB); 1 KiB records take about 1033 bytes on disk
      for mb in 7 21 63 98 200 350 700 1000; do
        records=$(( mb * 1000000 / 1033 ))
        bench --workload harness/workloads/scenarios/zero-copy.yaml --records "$records" --out "results/zero-copy/${mb}MB"
      done ;;
    many-consumers)
      for c in 1 2 4 8; do
        bench --workload harness/workloads/scenarios/many-consumers.yaml --consumers "$c" --out "results/many-consumers/${c}-consumers"
      done ;;
    same-machine)
      node --import tsx harness/scenarios/same-machine.ts --data-dir "$data" ;;
    seq-vs-random)
      node --import tsx harness/scenarios/seq-vs-random.ts --data-dir "$data" --out results/seq-vs-random --repetitions 3 ;;
    *) echo "unknown scenario $s" >&2; exit 2 ;;
  esac
done
