#!/usr/bin/env bash
# Runs one named benchmark group and prints its measurements, the headline ratio last. Every group times its
# operations in lockstep (turns inside one process, ratios per round, median and spread; see
# bench/java/org/acodm/bench/Lockstep.java), so a ratio holds on a machine whose speed drifts.
#   bench/run.sh NAME [--warmup N] [--rounds N] [--turn-ms X]     NAME: step | reward | alignment | data | policy
#   bench/run.sh --list
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
groups="step reward alignment data policy"
if [ $# -lt 1 ] || [ "$1" = "--list" ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: bench/run.sh NAME [--warmup N] [--rounds N] [--turn-ms X]; groups: $groups"
  [ $# -ge 1 ] && exit 0 || exit 2
fi
name="$1"
shift
case " $groups " in *" $name "*) ;; *) echo "bench/run.sh: unknown group '$name' (groups: $groups)" >&2; exit 2 ;; esac

# Sleeping OpenMP waiters: spinning ones distort timings on a shared machine (see bin/acodm).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
bin/build >&2
mvn -B -q -f bench/pom.xml package >&2
java "-Dacodm.root=$root" -jar bench/target/benchmarks.jar "$name" "$@"
