# Sourced by benchmarks/ab_commits.sh and benchmarks/ab_field.sh: sets $java to the JDK the launcher (./simpletorch)
# would choose (JAVA_HOME if set, else the newest installed JDK 17+) and $jit_options to its JIT options, so that
# an A/B times what a training run runs. $root must be the repository's root.
java=""
best=0
for dir in /usr/lib/jvm/*/ /opt/java/*/; do
  [ -x "${dir}bin/java" ] && [ -x "${dir}bin/javac" ] && [ -f "${dir}release" ] || continue
  v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "${dir}release")"
  if [ -n "$v" ] && [ "$v" -ge 17 ] && [ "$v" -gt "$best" ]; then java="${dir}bin/java"; best="$v"; fi
done
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; fi
[ -n "$java" ] || java="$(command -v java)"
jit_options="--add-modules jdk.incubator.vector -XX:CompileCommand=quiet"
jit_options="$jit_options -XX:CompileCommand=CompileThresholdScaling,simpletorch.kernels.*::*,0.1"
if [ "$(nproc 2>/dev/null || echo 8)" -lt 8 ]; then jit_options="$jit_options -XX:CICompilerCount=6"; fi
jit_options="$jit_options -XX:CompileCommandFile=$root/simpletorch-cli/jit/compile-commands.txt"
jit_options="$jit_options -XX:Tier4BackEdgeThreshold=1000000"
