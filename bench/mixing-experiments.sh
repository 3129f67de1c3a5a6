#!/usr/bin/env bash
# The measured experiments of issue 10 (docs/mixing.md reports their results). Outputs go under WORK, never into
# the repository; every step resumes (a rerun skips finished runs), so an interrupted experiment is rerun as is.
#   bench/mixing-experiments.sh noisy WORK [SEEDS]   minipile + Noise (acodm corpus noisy), every demo method, SEEDS seeds (3)
#   bench/mixing-experiments.sh demo WORK [SEEDS]    the demo corpus, every demo method, SEEDS seeds (3)
#   bench/mixing-experiments.sh sweep WORK           temperature 0.07 / 0.15 / 0.3 of the alignment method and the AC-ODM proxy (units of the advantage scores, issue 18)
# Needs ../shared/data/minipile beside the repository for `noisy` and `sweep`. Prints the CPU first: timings are
# only comparable on the same machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 2 ]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
what="$1"
work="$(mkdir -p "$2" && cd "$2" && pwd)"
seeds="${3:-3}"
acodm="$root/bin/acodm"
minipile="$root/../shared/data/minipile"
lscpu | grep 'Model name' || true
echo "nproc: $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"

case "$what" in
  noisy)
    [ -d "$minipile" ] || { echo "bench/mixing-experiments.sh: $minipile not found" >&2; exit 1; }
    [ -d "$work/minipile-noisy" ] || "$acodm" corpus noisy --from "$minipile" --out "$work/minipile-noisy" --seed 1
    "$acodm" demo --data "$work/minipile-noisy" --work "$work/noisy-data" --out "$work/noisy" --seeds "$seeds" \
      --report-arg=--ignore-domains=Noise
    ;;
  demo)
    "$acodm" demo --work "$work/demo-data" --out "$work/demo" --seeds "$seeds"
    ;;
  sweep)
    [ -d "$minipile" ] || { echo "bench/mixing-experiments.sh: $minipile not found" >&2; exit 1; }
    shards="$work/minipile-byte"
    "$acodm" prepare --tokenizer byte --input "$minipile" --out "$shards"
    runs=()
    for tau in 0.07 0.15 0.3; do
      for run in alignment-target acodm-proxy; do
        section=alignment
        [ "$run" = acodm-proxy ] && section=acodm
        dir="$work/sweep/$run-tau$tau"
        runs+=("$dir")
        if [ -f "$dir/run.json" ] && grep -q '"complete" *: *true' "$dir/run.json"; then continue; fi
        resume=()
        [ -d "$dir/checkpoints" ] && resume=(--resume)
        "$acodm" train --config "$root/configs/demo/$run.yaml" --out "$dir" --set "data.path=$shards" \
          --set "run.name=$run-tau$tau" --set "mixing.$section.temperature=$tau" "${resume[@]}"
      done
    done
    "$acodm" report "${runs[@]}" --out "$work/sweep/report"
    ;;
  *)
    echo "bench/mixing-experiments.sh: unknown experiment '$what' (noisy, demo, sweep)" >&2
    exit 2
    ;;
esac
