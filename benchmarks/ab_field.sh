#!/usr/bin/env bash
# One build in one JVM with a static field flipped between alternating blocks of training steps
# (benchmarks/ab/FieldAB.java): for a change a field can switch (made a non-final static while measuring).
#
#   benchmarks/ab_field.sh CLASS.FIELD ON OFF [MODEL] [THREADS] [ROUNDS] [STEPS]
#   benchmarks/ab_field.sh simpletorch.autograd.Profiler.enabled true false simplenet 2 30 100   # the profiler's cost
#   benchmarks/ab_field.sh simpletorch.autograd.Profiler.enabled false false   # A/A: the harness's own spread
#
# Compiles the working tree's simpletorch-core and runs on the JDK the launcher would choose, with its JIT options.
# Prints the medians and the rounds' off/on ratios (above 1: ON is faster). Needs Maven.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
field="${1:?usage: benchmarks/ab_field.sh CLASS.FIELD ON OFF [MODEL] [THREADS] [ROUNDS] [STEPS]}"
on="${2:?the ON value}" off="${3:?the OFF value}"
model="${4:-simplenet}" threads="${5:-2}" rounds="${6:-30}" steps="${7:-100}"
work="$root/target/ab"
rm -rf "$work/field"
mkdir -p "$work/field"
(cd "$root" && mvn -q -o -B compile -pl simpletorch-core) || (cd "$root" && mvn -q -B compile -pl simpletorch-core)

# The launcher's JDK and JIT options (./simpletorch)
# shellcheck source=simpletorch-cli/jit/jvm.sh
. "$root/simpletorch-cli/jit/jvm.sh"
java="$(find_java)"
classes="$root/simpletorch-core/target/classes"
"${java%/java}/javac" -nowarn -d "$work/field" -cp "$classes" \
  "$root/benchmarks/ab/AbSteps.java" "$root/benchmarks/ab/FieldAB.java"
echo "working tree of $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' (with changes)')"
# shellcheck disable=SC2086
"$java" $jvm_options \
  -cp "$classes:$work/field" FieldAB "$field" "$on" "$off" "$model" "$threads" "$rounds" "$steps" 2>&1 \
  | grep -v '^WARNING: Using incubator'
