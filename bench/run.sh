#!/usr/bin/env bash
# Runs one named benchmark group under JMH and prints its measurements, the headline ratio last. Each group's
# comparison is one JMH benchmark (CLASS.lockstep) that runs its sides in turns per invocation and records each
# side's nanoseconds in @AuxCounters fields; bench/java/org/acodm/bench/Report.java then reads JMH's JSON and prints
# every ratio as the median over iterations of the per-iteration ratios, with its spread, the headline last.
#   bench/run.sh NAME [JMH options]     NAME: step | reward | alignment | data | policy | gpu | ddp
#   bench/run.sh --list
# JMH options go to JMH as they are: -p shape=bench-256:8:256 (one parameter point), -i 5 -wi 1 (iterations),
# -f 2 (forks), -prof gc (allocation per operation). The JSON stays in bench/target/jmh-NAME.json.
# gpu: the fused CUDA Gram kernel against cuBLAS cublasSsyrk through JavaCPP's CUDA presets, against build/cuda's
#      libraries; without a usable GPU it prints one line saying why it skipped. ddp: data-parallel training of the
#      demo target, 2 ranks x 1 thread against 1 rank x 2 threads, whole runs (child processes) per invocation.
# Every benchmark also runs alone, e.g. java -jar bench/target/benchmarks.jar RewardBenchmark.capture -prof gc.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
groups="step reward alignment data policy gpu ddp"
if [ $# -lt 1 ] || [ "$1" = "--list" ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: bench/run.sh NAME [JMH options]; groups: $groups"
  [ $# -ge 1 ] && exit 0 || exit 2
fi
name="$1"
shift
case "$name" in
  step) pattern='org\.acodm\.bench\.engine\.StepBenchmark\.lockstep' ;;
  reward) pattern='org\.acodm\.bench\.engine\.RewardBenchmark\.lockstep' ;;
  alignment) pattern='org\.acodm\.bench\.engine\.AlignmentBenchmark\.lockstep' ;;
  data) pattern='org\.acodm\.bench\.data\.[A-Za-z]+Benchmark\.lockstep' ;;
  policy) pattern='org\.acodm\.bench\.policy\.PolicyBenchmark\.lockstep' ;;
  gpu) pattern='org\.acodm\.bench\.engine\.GpuBenchmark\.lockstep' ;;
  ddp) pattern='org\.acodm\.bench\.dist\.DdpBenchmark\.lockstep' ;;
  *) echo "bench/run.sh: unknown group '$name' (groups: $groups)" >&2; exit 2 ;;
esac

# Sleeping OpenMP waiters: spinning ones distort timings on a shared machine (see bin/acodm).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
if [ "$name" = gpu ]; then bin/build --cuda --native-tests >&2; else bin/build --native-tests >&2; fi
mvn -B -q -f bench/pom.xml package >&2
# JMH's forked JVMs inherit these options.
jvm=("-Dacodm.root=$root")
if [ "$name" = gpu ]; then
  # The CUDA build of libacodm and libacodm_bench (build/cuda) instead of the CPU ones inside the jars: JavaCPP looks
  # on the library path first. The JNI glue is the same for both.
  [ -f build/cuda/libacodm_bench.so ] || { echo "gpu: skipped: no CUDA build of libacodm (nvcc not found by bin/build --cuda)"; exit 0; }
  jvm+=(-Dorg.bytedeco.javacpp.pathsFirst=true "-Djava.library.path=$root/build/cuda")
  rc=0
  java "${jvm[@]}" -cp bench/target/benchmarks.jar org.acodm.bench.engine.GpuProbe || rc=$?
  [ "$rc" = 3 ] && exit 0
  [ "$rc" = 0 ] || exit "$rc"
fi
result="bench/target/jmh-$name.json"
rm -f "$result"
echo "== bench $name: load average (1, 5, 15 min) before: $(cut -d' ' -f1-3 /proc/loadavg)"
java "${jvm[@]}" -jar bench/target/benchmarks.jar "^$pattern\$" -rf json -rff "$result" "$@"
java "${jvm[@]}" -cp bench/target/benchmarks.jar org.acodm.bench.Report "$result"
