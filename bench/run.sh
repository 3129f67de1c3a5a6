#!/usr/bin/env bash
# Runs one named group of benchmarks and prints that group's ratios, the headline last.
#   bench/run.sh NAME [extra JMH options]      NAME: step | reward | alignment | data | policy | gpu | ddp
#   bench/run.sh --list
# gpu: the fused CUDA Gram kernel against cuBLAS cublasSsyrk (JMH, against build/cuda's libacodm; without a usable
#      GPU it prints one line saying why it skipped). ddp: data-parallel training of the demo target, 2 ranks x 1
#      thread against 1 rank x 2 threads (whole runs, not JMH).
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
case " $groups " in *" $name "*) ;; *) echo "bench/run.sh: unknown group '$name' (groups: $groups)" >&2; exit 2 ;; esac

# Sleeping OpenMP waiters: spinning ones distort timings on a shared machine (see bin/acodm).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
if [ "$name" = gpu ]; then bin/build --cuda >&2; else bin/build >&2; fi
mvn -B -q -f bench/pom.xml package >&2
jar=bench/target/benchmarks.jar
jvm=()
if [ "$name" = gpu ]; then
  # The CUDA build of libacodm (build/cuda) instead of the CPU one inside the jar: JavaCPP looks on the library
  # path first. The JNI glue is the same for both.
  [ -f build/cuda/libacodm.so ] || { echo "gpu: skipped: no CUDA build of libacodm (nvcc not found by bin/build --cuda)"; exit 0; }
  jvm=(-Dorg.bytedeco.javacpp.pathsFirst=true "-Djava.library.path=$root/build/cuda")
  java "${jvm[@]}" -cp "$jar" org.acodm.bench.engine.GpuCheck || exit 0
fi
if [ "$name" = ddp ]; then
  exec java -Dacodm.root="$root" -cp "$jar" org.acodm.bench.dist.DdpBenchmark
fi
out="bench/target/results"
mkdir -p "$out"
json="$out/$name.json"
# Forks inherit the working directory (the project root) and get acodm.root for the shared data.
case "$name" in
  step) pattern='org\.acodm\.bench\.engine\.TrainStepBenchmark\..*' ;;
  reward) pattern='org\.acodm\.bench\.engine\.RewardBenchmark\..*' ;;
  alignment) pattern='org\.acodm\.bench\.engine\.AlignmentKernelBenchmark\..*' ;;
  gpu) pattern='org\.acodm\.bench\.engine\.GpuGramBenchmark\..*' ;;
  *) pattern="org\\.acodm\\.bench\\.$name\\..*" ;;
esac
java -jar "$jar" "$pattern" -rf json -rff "$json" \
  -jvmArgsAppend "-Dacodm.root=$root ${jvm[*]:-}" "$@" >&2
java -cp "$jar" org.acodm.bench.BenchSummary "$name" "$json"
