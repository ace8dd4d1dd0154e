# The JDK and JVM options ./simpletorch runs with; sourced by it and by benchmarks/ab_commits.sh and ab_field.sh, so
# that an A/B times what a training run runs. $root must be the repository's root. Defines java_feature and
# find_java, and sets $jvm_options (a word list: expand it unquoted).
java_feature() { # prints the major version of the JDK at $1, or nothing
  local release="$1/release"
  [ -f "$release" ] || return 0
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
}

find_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    echo "$JAVA_HOME/bin/java"; return
  fi
  local best="" best_version=0 dir v
  for dir in /usr/lib/jvm/*/ /opt/java/*/ "$HOME"/.sdkman/candidates/java/*/; do
    [ -x "${dir}bin/java" ] && [ -x "${dir}bin/javac" ] || continue
    v="$(java_feature "${dir%/}")"
    if [ -n "$v" ] && [ "$v" -ge 17 ] && [ "$v" -gt "$best_version" ]; then
      best="${dir}bin/java"; best_version="$v"
    fi
  done
  if [ -n "$best" ]; then echo "$best"; return; fi
  if command -v java >/dev/null 2>&1; then command -v java; return; fi
  echo "simpletorch: no Java found; install a JDK 17 or later (e.g. apt-get install openjdk-17-jdk)" >&2
  exit 1
}

# The Vector API module makes the kernels several times faster; -Dsimpletorch.vector=false turns it off.
# The kernels (simpletorch.kernels) are compiled by the JIT's optimising compiler ten times sooner than other code:
# Vector API code runs a slow, allocating fallback until C2 has compiled it, and a training step calls some
# kernels only once or twice. Scaling every method's threshold instead made C2 compile far more of the program
# (6.2 s of compiler time against 3.8 s on two cores) and the first epoch slower (docs/BENCHMARKS.md).
# On a machine with few cores the JVM starts one C1 and one C2 compiler thread, and the kernels wait their turn in
# C2's queue well into the first epoch; six threads (two C1, four C2) compile them sooner. 2-core AVX2 machine: four
# against two, 11 alternating pairs, the first 100 batches faster in 10 (medians 1.90 -> 1.50 s); six against four,
# 8 pairs, the first 500 batches' time beyond the steady rate 1.19 -> 0.83 s (medians; less in 7 of 8), the epoch
# 0.96x on average (docs/BENCHMARKS.md).
jit_threads=""
if [ "$(nproc 2>/dev/null || echo 8)" -lt 8 ]; then
  jit_threads="-XX:CICompilerCount=6"
fi
# C2 compiles a long-running first call of a kernel while it runs (on-stack replacement), then the method again once
# it is called often enough: half of its compiler time on the kernels in the first seconds (JFR). With the threshold
# for the first 25x higher (1,000,000 backward branches; 100,000 for the kernels after the scaling above), most are
# compiled once (2-core AVX2 machine, 6 alternating pairs: the warm-up step 2.00 -> 1.81 s on average, 6 of 6
# faster; the whole process 10.82 -> 10.36 s, 5 of 6 faster; the epoch unchanged: docs/BENCHMARKS.md).
# The kernels' per-image methods are compiled on their own and not again inside their drivers (a file of compile
# commands, its reasons inside: 2-core AVX2 machine, 10 alternating pairs, the first 100 batches faster in 8, the
# epoch 0.965x on average, the whole process faster in 6: docs/BENCHMARKS.md).
jit_commands=""
if [ -f "$root/simpletorch-cli/jit/compile-commands.txt" ]; then
  jit_commands="-XX:CompileCommandFile=$root/simpletorch-cli/jit/compile-commands.txt"
fi
jvm_options="--add-modules jdk.incubator.vector -XX:CompileCommand=quiet"
jvm_options="$jvm_options -XX:CompileCommand=CompileThresholdScaling,simpletorch.kernels.*::*,0.1 $jit_threads"
jvm_options="$jvm_options $jit_commands -XX:Tier4BackEdgeThreshold=1000000"
