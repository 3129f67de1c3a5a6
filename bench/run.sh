#!/usr/bin/env bash
# Runs one named group of JMH benchmarks and prints that group's ratios, the headline last.
#   bench/run.sh NAME [extra JMH options]      NAME: step | reward | alignment | data | policy
#   bench/run.sh --list
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
groups="step reward alignment data policy"
if [ $# -lt 1 ] || [ "$1" = "--list" ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: bench/run.sh NAME [JMH options]; groups: $groups"
  [ $# -ge 1 ] && exit 0 || exit 2
fi
name="$1"
shift
case " $groups " in *" $name "*) ;; *) echo "bench/run.sh: unknown group '$name' (groups: $groups)" >&2; exit 2 ;; esac

# Sleeping OpenMP waiters: spinning ones distort timings on a shared machine (see bin/acodm).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
bin/build >&2
mvn -B -q -f bench/pom.xml package >&2
out="bench/target/results"
mkdir -p "$out"
json="$out/$name.json"
# Forks inherit the working directory (the project root) and get acodm.root for the shared data.
case "$name" in
  step) pattern='org\.acodm\.bench\.engine\.TrainStepBenchmark\..*' ;;
  reward) pattern='org\.acodm\.bench\.engine\.RewardBenchmark\..*' ;;
  alignment) pattern='org\.acodm\.bench\.engine\.AlignmentKernelBenchmark\..*' ;;
  *) pattern="org\\.acodm\\.bench\\.$name\\..*" ;;
esac
java -jar bench/target/benchmarks.jar "$pattern" -rf json -rff "$json" \
  -jvmArgsAppend "-Dacodm.root=$root" "$@" >&2
java -cp bench/target/benchmarks.jar org.acodm.bench.BenchSummary "$name" "$json"
