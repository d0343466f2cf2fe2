#!/bin/bash
# Builds class-data archives at image build time, from training runs: one of the agent (run as a
# Pod runs it: the launcher in a second process, a bash echo runtime, a few invocations, SIGTERM)
# and one of the java21 runtime (AWS's runtime interface client serving a few invocations). With
# JDK 24+ they are AOT caches (classes loaded and linked ahead of time), else AppCDS archives. A
# cold start pays for what the JVMs load; at 128 MB (72 millicores) every 100 ms of CPU is 1.4 s.
# Writes the JVM options that use them to /opt/klambda/agent-jvm.options (read by the image's entry
# point) and /opt/klambda/runtimes/java21/runtime-jvm.options (read by the agent's java21 command).
set -euo pipefail
home=/opt/klambda
options=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xmx48m -XX:MaxMetaspaceSize=32m
  -XX:ReservedCodeCacheSize=16m -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError)
# archive FILE: the options that write it at exit (train) and that use it (use)
archive() {
  if java -XX:+UnlockDiagnosticVMOptions -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ' AOTCacheOutput '; then
    train=(-XX:AOTCacheOutput="$1.aot")
    use=(-XX:AOTCache="$1.aot")
  else
    train=(-XX:ArchiveClassesAtExit="$1.jsa")
    use=(-XX:SharedArchiveFile="$1.jsa")
  fi
}
archive "$home/agent"
agent_train=("${train[@]}") agent_use=("${use[@]}")

# exercise PORT: waits until the agent on that port has ended Init, then invokes it 30 times
exercise() {
  local i
  curl -sS --retry 50 --retry-connrefused --retry-delay 1 \
    "http://127.0.0.1:$1/klambda/ready?waitMs=30000" >/dev/null
  for i in $(seq 30); do
    curl -sS -o /dev/null -X POST -H "Klambda-Log-Type: Tail" -d "{\"n\":$i,\"list\":[1,2,3]}" \
      "http://127.0.0.1:$1/klambda/invoke"
  done
}

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
java "${options[@]}" "${agent_train[@]}" -jar "$home/klambda-agent.jar" &
agent=$!
"$home/klambda-launcher" &
exercise 9000
kill -TERM "$agent"
wait "$agent" || true
printf '%s\n' "${options[@]}" "${agent_use[@]}" >"$home/agent-jvm.options"

# The java21 runtime: the command the agent builds (RuntimeCommand: the same JVM options and class
# path, the runtime's jars first so the archive's class path is a prefix of every function's),
# started by a bootstrap so that it can end normally and write its archive. The handler is a JDK
# class the client loads like a user's (java.util.ArrayList::add: a POJO handler, so the client's
# JSON path is trained too); a user's own classes come from its class loader and are never archived.
runtime=$home/runtimes/java21
archive "$runtime/runtime"
jni=$(ls "$runtime"/jni/libaws-lambda-jni.linux-x86_64.so 2>/dev/null || true)
cat >"$work/bootstrap" <<BOOTSTRAP
#!/bin/bash
[[ -e $work/trained ]] && exec sleep 3600
java -XX:MaxHeapSize=512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Djava.net.preferIPv4Stack=true --enable-native-access=ALL-UNNAMED \
  ${jni:+-Dcom.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI=$jni} \
  ${train[*]} -cp "$runtime/*:/var/task:/var/task/*:/var/task/lib/*" \
  com.amazonaws.services.lambda.runtime.api.client.AWSLambda java.util.ArrayList::add &
echo \$! >$work/java.pid
wait
touch $work/trained
exec sleep 3600
BOOTSTRAP
unset KLAMBDA_LAUNCHER_ADDRESS
KLAMBDA_INVOKE_ADDRESS=127.0.0.1:9010 KLAMBDA_RUNTIME_API=127.0.0.1:9011 \
  java "${options[@]}" -jar "$home/klambda-agent.jar" &
agent=$!
exercise 9010
# SIGTERM ends the runtime's JVM normally: it writes its archive before it exits
kill -TERM "$(cat "$work/java.pid")"
for _ in $(seq 120); do [[ -e $work/trained ]] && break; sleep 0.5; done
kill -TERM "$agent"
wait "$agent" || true
test -e "$work/trained"
printf '%s\n' "${use[@]}" >"$runtime/runtime-jvm.options"
rm -rf "$work"
ls -l "$home"/agent.* "$runtime"/runtime.*
