#!/bin/bash
# Builds the agent's class-data archive at image build time: a training run of the agent as a Pod
# runs it (the launcher in a second process, a bash echo runtime, a few invocations), then SIGTERM.
# With JDK 24+ it is an AOT cache (classes loaded and linked ahead of time), else an AppCDS archive;
# the agent's start (and so every cold start) is then mostly the JVM's own. Writes the JVM options
# that use it to /opt/klambda/agent-jvm.options, read by the image's entry point.
set -euo pipefail
home=/opt/klambda
options=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xmx48m -XX:MaxMetaspaceSize=32m
  -XX:ReservedCodeCacheSize=16m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError)
if java -XX:+UnlockDiagnosticVMOptions -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ' AOTCacheOutput '; then
  archive=$home/agent.aot
  train=(-XX:AOTCacheOutput="$archive")
  use=(-XX:AOTCache="$archive")
else
  archive=$home/agent.jsa
  train=(-XX:ArchiveClassesAtExit="$archive")
  use=(-XX:SharedArchiveFile="$archive")
fi

work=$(mktemp -d)
cat >"$work/bootstrap" <<'BOOTSTRAP'
#!/bin/bash
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
while true; do
  headers=$(mktemp)
  event=$(curl -sS -D "$headers" "$api/next")
  id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | tr -d '\r' | cut -d' ' -f2)
  curl -sS -X POST "$api/$id/response" -d "$event" >/dev/null
done
BOOTSTRAP
chmod 0555 "$work/bootstrap"

export KLAMBDA_RUNTIME=provided KLAMBDA_FUNCTION_NAME=train KLAMBDA_TASK_ROOT="$work" \
  KLAMBDA_INVOKE_ADDRESS=127.0.0.1:9000 KLAMBDA_LAUNCHER_ADDRESS=127.0.0.1:9002
java "${options[@]}" "${train[@]}" -jar "$home/klambda-agent.jar" &
agent=$!
"$home/klambda-launcher" &
curl -sS --retry 50 --retry-connrefused --retry-delay 1 -o /dev/null \
  "http://127.0.0.1:9000/klambda/ready?waitMs=20000"
for i in $(seq 30); do
  curl -sS -o /dev/null -X POST -H "Klambda-Log-Type: Tail" -d "{\"n\":$i}" http://127.0.0.1:9000/klambda/invoke
done
kill -TERM "$agent"
wait "$agent" || true
rm -rf "$work"
test -s "$archive"

printf '%s\n' "${options[@]}" "${use[@]}" >"$home/agent-jvm.options"
echo "agent archive: $archive ($(du -k "$archive" | cut -f1) KB), options: ${use[*]}"
