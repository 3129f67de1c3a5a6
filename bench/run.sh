#!/usr/bin/env bash
# Runs one named benchmark group and prints its measurements, the headline ratio last. Every group times its
# operations in lockstep (turns inside one process, ratios per round, median and spread; see
# bench/java/org/acodm/bench/Lockstep.java), so a ratio holds on a machine whose speed drifts.
#   bench/run.sh NAME [--warmup N] [--rounds N] [--turn-ms X]     NAME: step | reward | alignment | data | policy | gpu | ddp
#   bench/run.sh --list
# gpu: the fused CUDA Gram kernel against cuBLAS cublasSsyrk through JavaCPP's CUDA presets, against build/cuda's
#      libacodm; without a usable GPU it prints one line saying why it skipped. ddp: data-parallel training of the
#      demo target, 2 ranks x 1 thread against 1 rank x 2 threads, whole runs in alternating rounds (--rounds N).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
groups="step reward alignment data policy gpu ddp"
if [ $# -lt 1 ] || [ "$1" = "--list" ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: bench/run.sh NAME [--warmup N] [--rounds N] [--turn-ms X]; groups: $groups"
  [ $# -ge 1 ] && exit 0 || exit 2
fi
name="$1"
shift
case " $groups " in *" $name "*) ;; *) echo "bench/run.sh: unknown group '$name' (groups: $groups)" >&2; exit 2 ;; esac

# Sleeping OpenMP waiters: spinning ones distort timings on a shared machine (see bin/acodm).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
if [ "$name" = gpu ]; then bin/build --cuda --native-tests >&2; else bin/build --native-tests >&2; fi
mvn -B -q -f bench/pom.xml package >&2
jvm=()
if [ "$name" = gpu ]; then
  # The CUDA build of libacodm (build/cuda) instead of the CPU one inside the jar: JavaCPP looks on the library
  # path first. The JNI glue is the same for both.
  [ -f build/cuda/libacodm.so ] || { echo "gpu: skipped: no CUDA build of libacodm (nvcc not found by bin/build --cuda)"; exit 0; }
  jvm=(-Dorg.bytedeco.javacpp.pathsFirst=true "-Djava.library.path=$root/build/cuda")
fi
java "-Dacodm.root=$root" ${jvm[@]+"${jvm[@]}"} -jar bench/target/benchmarks.jar "$name" "$@"
