#!/usr/bin/env bash
# The working tree's engine against another commit's, in one JVM (benchmarks/ab/CommitAB.java): alternating blocks of
# training steps, so that the machine's drift from minute to minute falls on both builds alike.
#
#   benchmarks/ab_commits.sh BASE [MODEL] [THREADS] [ROUNDS] [STEPS]
#   benchmarks/ab_commits.sh HEAD~1 resnet20 2 16 10      # the defaults after BASE
#   benchmarks/ab_commits.sh . simplenet 2:1 20 100       # the working tree on 2 threads against itself on 1
#
# Builds simpletorch-core of the working tree and of BASE (exported to target/ab/base), on the JDK the launcher would
# choose and with its JIT options. BASE "." is the working tree itself, loaded twice. THREADS is both sides' thread
# count, or NEW:BASE (each side keeps its own workers). Prints the medians and the rounds' base/new ratios (with
# "2:1", two threads' speed-up over one). Needs Maven and git.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base="${1:?usage: benchmarks/ab_commits.sh BASE [MODEL] [THREADS] [ROUNDS] [STEPS]}"
model="${2:-resnet20}" threads="${3:-2}" rounds="${4:-16}" steps="${5:-10}"
work="$root/target/ab"

rm -rf "$work/base" "$work/harness"
mkdir -p "$work/harness"
if [ "$base" = "." ]; then
  base_classes="$root/simpletorch-core/target/classes"
  base_name="the working tree"
else
  rev="$(git -C "$root" rev-parse --verify "$base^{commit}")"
  mkdir -p "$work/base"
  git -C "$root" archive "$rev" | tar -x -C "$work/base"
  (cd "$work/base" && mvn -q -o -B compile -pl simpletorch-core) || (cd "$work/base" && mvn -q -B compile -pl simpletorch-core)
  base_classes="$work/base/simpletorch-core/target/classes"
  base_name="$(git -C "$root" rev-parse --short "$rev")"
fi
(cd "$root" && mvn -q -o -B compile -pl simpletorch-core) || (cd "$root" && mvn -q -B compile -pl simpletorch-core)

# The launcher's JDK and JIT options (./simpletorch)
# shellcheck source=simpletorch-cli/jit/jvm.sh
. "$root/simpletorch-cli/jit/jvm.sh"
java="$(find_java)"
"${java%/java}/javac" -nowarn -d "$work/harness" -cp "$root/simpletorch-core/target/classes" \
  "$root/benchmarks/ab/AbSteps.java" "$root/benchmarks/ab/CommitAB.java"
echo "new: working tree of $(git -C "$root" rev-parse --short HEAD); base: $base_name"
# shellcheck disable=SC2086
"$java" $jvm_options \
  -cp "$work/harness" CommitAB "$root/simpletorch-core/target/classes" "$base_classes" \
  "$work/harness" "$model" "$threads" "$rounds" "$steps" 2>&1 | grep -v '^WARNING: Using incubator'
