#!/usr/bin/env bash
# A real single-node KRaft Apache Kafka broker for tests, dev and CI, run from Maven Central
# jars (no Docker, no tarball). See docs/kafka-local.md.
#
# usage: scripts/kafka-local.sh <command>
#   fetch    resolve the broker jars into tools/kafka/lib-<version>/ (only if missing)
#   start    fetch, format storage (only if not yet formatted), start in background, wait until up
#   stop     SIGTERM, then SIGKILL after KAFKA_STOP_TIMEOUT seconds (only our own pid)
#   kill     SIGKILL at once, data kept (fault tests)
#   pause    SIGSTOP            resume   SIGCONT
#   reset    stop and delete the run dir's data and logs
#   release  drop lease KAFKA_LEASE; stop the broker if a lease holder started it and none is left
#   status   prints running|paused|stopped; exit 0 if running or paused, 3 if stopped
#   pid      prints the broker pid; exit 3 if not running
#   logs     prints the last KAFKA_LOG_LINES (200) lines of the broker log; `logs -f` follows
#
# env: KAFKA_VERSION (4.4.0)  KAFKA_PORT (9092)  KAFKA_CONTROLLER_PORT (9093)
#      KAFKA_RUN_DIR (<repo>/.kafka)  KAFKA_HEAP (-Xmx512m)  KAFKA_JVM_OPTS (extra JVM flags)
#      KAFKA_START_TIMEOUT (120)  KAFKA_STOP_TIMEOUT (30)  KAFKA_CLUSTER_ID  KAFKA_CDS (1)
#      KAFKA_SERVER_PROPS (extra broker settings: "key=value key=value", applied on every start)
#      KAFKA_LEASE / KAFKA_LEASE_PID (shared use by several test runs; see release)
#      KAFKA_SSL_PORT       adds an SSL listener on 127.0.0.1:<port> (TLS, no client auth)
#      KAFKA_SASL_SSL_PORT  adds a SASL_SSL listener (TLS + SASL PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)
#      KAFKA_SASL_USERS     "name:password ..." for that listener (default "bridge:bridge-secret");
#                           PLAIN users are read at every start, SCRAM users are written when the
#                           storage is formatted (reset to change them)
#      The TLS listeners use a CA and a broker certificate (SAN 127.0.0.1, localhost) made with
#      openssl under <run dir>/tls/ on first use: clients trust <run dir>/tls/ca.crt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KT="$ROOT/tools/kafka"

VERSION="${KAFKA_VERSION:-4.4.0}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
RUN="${KAFKA_RUN_DIR:-$ROOT/.kafka}"
HEAP="${KAFKA_HEAP:--Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
# 22-character base64 UUID (the value testcontainers uses)
CLUSTER_ID="${KAFKA_CLUSTER_ID:-4L6g3nShT-eMCtK--X86sw}"
CDS="${KAFKA_CDS:-1}"

LIB="$KT/lib-$VERSION"
MAJOR="${VERSION%%.*}"

case "$RUN" in /*) ;; *) RUN="$PWD/$RUN" ;; esac
DATA="$RUN/data"
LOGS="$RUN/logs"
OUT="$LOGS/kafka.out"
PIDFILE="$RUN/kafka.pid"
PROPS="$RUN/server.properties"
TLS="$RUN/tls"
# Marker on the java command line: proves a pid is the broker of this run dir.
MARK="-Dkafka.local.runDir=$RUN"

log() { printf 'kafka-local: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "KAFKA_VERSION must look like 4.4.0, got '$VERSION'"
[[ "$PORT" =~ ^[0-9]+$ && "$CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "ports must be numbers"
[ "$PORT" != "$CONTROLLER_PORT" ] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
SSL_PORT="${KAFKA_SSL_PORT:-}"
SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-}"
SASL_USERS="${KAFKA_SASL_USERS:-bridge:bridge-secret}"
for p in "$SSL_PORT" "$SASL_SSL_PORT"; do
  [ -z "$p" ] || [[ "$p" =~ ^[0-9]+$ ]] || die "ports must be numbers"
done
for user in $SASL_USERS; do
  # written into the broker's JAAS line and the format command: keep them plain
  [[ "$user" =~ ^[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+$ ]] ||
    die "KAFKA_SASL_USERS entries must be name:password ([A-Za-z0-9_.-]), got '$user'"
done

now_ms() { date +%s%3N; }

# --- process helpers -------------------------------------------------------------------------

# pid of our broker if it is alive and really ours, else nothing (and a stale pid file is removed)
our_pid() {
  [ -f "$PIDFILE" ] || return 0
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$MARK"; then
    alive "$pid" && {
      echo "$pid"
      return 0
    }
  fi
  rm -f "$PIDFILE"
}

proc_state() { sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true; }

# A zombie leader thread does not mean the process is gone: the other JVM threads (which hold the
# sockets and files) may still be exiting. Gone = no /proc entry, or a zombie with no other thread.
alive() {
  local st
  st="$(proc_state "$1")"
  [ -n "$st" ] || return 1
  [ "$st" != Z ] && return 0
  [ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -gt 1 ]
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_gone() { # pid timeout_s
  local deadline=$(($(now_ms) + $2 * 1000))
  while alive "$1"; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# serialize mutating commands per run dir; the broker must not inherit the lock fd
LOCKED=0
lock_run_dir() {
  [ "$LOCKED" = 0 ] || return 0
  LOCKED=1
  mkdir -p "$RUN"
  exec 9>"$RUN/.lock"
  flock -w 300 9 || die "could not lock $RUN/.lock"
}

# The archive is only valid for the JVM that wrote it: its name carries the Java version.
JSA=""
init_jsa() {
  [ -z "$JSA" ] || return 0
  local tag
  tag="$(java -version 2>&1 | sed -n '1s/.*"\(.*\)".*/\1/p' || true)"
  JSA="$LIB/kafka-java-${tag:-unknown}.jsa"
}

# After a clean exit of a run that dumped a class-data archive: publish it for later starts.
promote_cds() {
  local dump="$RUN/cds-dump.jsa"
  [ -s "$dump" ] || return 0
  init_jsa
  if [ ! -f "$JSA" ] && [ -d "$LIB" ]; then
    cp "$dump" "$JSA.tmp.$$" && mv -f "$JSA.tmp.$$" "$JSA" &&
      log "class-data archive written: $JSA"
  fi
  rm -f "$dump"
}

# Leases let several test runs share one broker: `start` with KAFKA_LEASE=<id> records the id
# (and the pid KAFKA_LEASE_PID of its holder); `release` drops it and stops the broker only when
# no live holder is left and a lease holder had started it. A broker started without a lease
# (by hand) is never stopped by `release`.
LEASES="$RUN/leases"
take_lease() { # started_now(0|1)
  [ -n "${KAFKA_LEASE:-}" ] || return 0
  [[ "$KAFKA_LEASE" =~ ^[A-Za-z0-9._-]+$ ]] || die "KAFKA_LEASE must match [A-Za-z0-9._-]+"
  mkdir -p "$LEASES"
  echo "${KAFKA_LEASE_PID:-$PPID}" >"$LEASES/$KAFKA_LEASE"
  [ "$1" = 0 ] || touch "$LEASES/.started-by-lease"
}

# --- commands --------------------------------------------------------------------------------

cmd_fetch() {
  if [ -f "$LIB/.complete" ]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  local profile=log4j2
  [ "$MAJOR" -ge 4 ] || profile=reload4j
  log "resolving Apache Kafka $VERSION jars (profile $profile) into $LIB"
  local t0
  t0="$(now_ms)"
  rm -rf "$LIB"
  mkdir -p "$(dirname "$LIB")"
  local mvnlog="$KT/.mvn-$VERSION.log"
  if ! mvn -B -ntp -q -Dstyle.color=never -f "$KT/pom.xml" -P "$profile" "-Dkafka.version=$VERSION" \
    "-Dkafka.lib.dir=$LIB" dependency:copy-dependencies >"$mvnlog" 2>&1 9>&-; then
    cat "$mvnlog" >&2
    rm -f "$mvnlog"
    die "mvn could not resolve org.apache.kafka:kafka_2.13:$VERSION"
  fi
  rm -f "$mvnlog"
  ls "$LIB"/kafka_2.13-"$VERSION".jar >/dev/null 2>&1 || die "kafka_2.13-$VERSION.jar missing in $LIB"
  touch "$LIB/.complete"
  log "fetched $(find "$LIB" -maxdepth 1 -name '*.jar' | wc -l) jars in $(($(now_ms) - t0)) ms"
}

jvm_opts() {
  # Startup on 2 cores: one GC thread (serial GC), C1 only (most startup time is class loading
  # and interpretation), no perf-data mmap, and an AppCDS archive of the broker's classes.
  local heap=() extra=()
  read -r -a heap <<<"$HEAP"
  read -r -a extra <<<"${KAFKA_JVM_OPTS:-}"
  JAVA_OPTS=("${heap[@]}" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData
    -Djava.awt.headless=true "-Dkafka.logs.dir=$LOGS"
    "-Dlog4j.configuration=file:$KT/log4j.properties"
    "-Dlog4j2.configurationFile=$KT/log4j2.properties" "${extra[@]}")
}

# A CA and a broker certificate for the SSL/SASL_SSL listeners, made once per run dir. The
# broker reads a PKCS12 keystore (openssl-made, checked with Java's keytool); clients get ca.crt.
tls_material() {
  [ -n "$SSL_PORT$SASL_SSL_PORT" ] || return 0
  [ -f "$TLS/broker.p12" ] && return 0
  command -v openssl >/dev/null || die "openssl not found (apt-get install -y openssl)"
  mkdir -p "$TLS"
  local t="$TLS/.tmp"
  rm -rf "$t"
  mkdir -p "$t"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kafka-local test CA" \
      -keyout "$t/ca.key" -out "$t/ca.crt" &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$t/broker.key" -out "$t/broker.csr" &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$t/ext" &&
      openssl x509 -req -in "$t/broker.csr" -CA "$t/ca.crt" -CAkey "$t/ca.key" -CAcreateserial \
        -days 3650 -extfile "$t/ext" -out "$t/broker.crt" &&
      openssl pkcs12 -export -name broker -in "$t/broker.crt" -inkey "$t/broker.key" \
        -certfile "$t/ca.crt" -passout pass:kafka-local -out "$t/broker.p12"
  } >"$t/openssl.log" 2>&1 || {
    cat "$t/openssl.log" >&2
    die "could not make the TLS material in $TLS"
  }
  if command -v keytool >/dev/null; then
    keytool -list -storetype PKCS12 -keystore "$t/broker.p12" -storepass kafka-local >/dev/null ||
      die "Java's keytool cannot read $t/broker.p12"
  fi
  mv "$t/ca.crt" "$t/broker.p12" "$TLS/"
  rm -rf "$t"
  log "TLS material in $TLS (clients trust $TLS/ca.crt)"
}

# --add-scram arguments for the storage format: every user, both SCRAM mechanisms
scram_args() {
  SCRAM_ARGS=()
  [ -n "$SASL_SSL_PORT" ] || return 0
  local user
  for user in $SASL_USERS; do
    SCRAM_ARGS+=(--add-scram "SCRAM-SHA-256=[name=${user%%:*},password=${user#*:}]"
      --add-scram "SCRAM-SHA-512=[name=${user%%:*},password=${user#*:}]")
  done
}

# Appended to the properties (the last value of a key wins): the extra listeners.
secure_props() {
  [ -n "$SSL_PORT$SASL_SSL_PORT" ] || return 0
  local listeners="PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$PORT"
  local map="CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
  if [ -n "$SSL_PORT" ]; then
    listeners="$listeners,SSL://127.0.0.1:$SSL_PORT"
    advertised="$advertised,SSL://127.0.0.1:$SSL_PORT"
    map="$map,SSL:SSL"
  fi
  if [ -n "$SASL_SSL_PORT" ]; then
    listeners="$listeners,SASL_SSL://127.0.0.1:$SASL_SSL_PORT"
    advertised="$advertised,SASL_SSL://127.0.0.1:$SASL_SSL_PORT"
    map="$map,SASL_SSL:SASL_SSL"
  fi
  printf '%s\n' "listeners=$listeners" "advertised.listeners=$advertised" \
    "listener.security.protocol.map=$map" \
    'ssl.keystore.type=PKCS12' "ssl.keystore.location=$TLS/broker.p12" \
    'ssl.keystore.password=kafka-local' 'ssl.key.password=kafka-local' 'ssl.client.auth=none'
  if [ -n "$SASL_SSL_PORT" ]; then
    local user plain="org.apache.kafka.common.security.plain.PlainLoginModule required"
    for user in $SASL_USERS; do plain="$plain user_${user%%:*}=\"${user#*:}\""; done
    local scram="org.apache.kafka.common.security.scram.ScramLoginModule required;"
    printf '%s\n' 'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512' \
      "listener.name.sasl_ssl.plain.sasl.jaas.config=$plain;" \
      "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=$scram" \
      "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=$scram"
  fi
}

write_props() {
  sed -e "s#@DATA_DIR@#$DATA#g" -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" \
    "$KT/server.properties" >"$PROPS.tmp"
  if [ "$MAJOR" -ge 4 ]; then
    # internal topic of share groups (4.x only; 3.9 would warn "supplied but not used")
    printf '%s\n' 'share.coordinator.state.topic.replication.factor=1' \
      'share.coordinator.state.topic.min.isr=1' >>"$PROPS.tmp"
  fi
  secure_props >>"$PROPS.tmp"
  if [ -n "${KAFKA_SERVER_PROPS:-}" ]; then
    # extra/overriding broker settings, whitespace-separated key=value (the last value of a key wins)
    local kv extra=()
    read -r -a extra <<<"$KAFKA_SERVER_PROPS"
    for kv in "${extra[@]}"; do
      [[ "$kv" == *=* ]] || die "KAFKA_SERVER_PROPS entries must be key=value, got '$kv'"
      printf '%s\n' "$kv" >>"$PROPS.tmp"
    done
  fi
  mv "$PROPS.tmp" "$PROPS"
}

# `start` interrupted once it has launched the broker: stop that broker (even when it is already
# up: the caller, interrupted too, never learns of it) and exit. The launch is the only background
# job of this script, so $! is the broker even before the pid file is written.
start_interrupted() { # exit_code
  local launched="${!:-}"
  if [ -n "$launched" ]; then
    log "interrupted: stopping the broker this start launched (pid $launched)"
    echo "$launched" >"$PIDFILE"
    cmd_stop
  fi
  exit "$1"
}

cmd_start() {
  lock_run_dir
  local pid
  pid="$(our_pid)"
  if [ -n "$pid" ]; then
    [ "$(proc_state "$pid")" != T ] || die "broker pid $pid in $RUN is paused; run resume"
    local running_version
    running_version="$(cat "$RUN/kafka.version" 2>/dev/null || true)"
    [ -z "$running_version" ] || [ "$running_version" = "$VERSION" ] ||
      die "Kafka $running_version is running in $RUN (pid $pid), not $VERSION: stop it first"
    grep -q "^listeners=PLAINTEXT://127.0.0.1:$PORT," "$PROPS" 2>/dev/null ||
      die "the broker running in $RUN (pid $pid) does not listen on port $PORT: stop it first"
    take_lease 0
    log "already running (pid $pid) on 127.0.0.1:$PORT"
    return 0
  fi
  cmd_fetch
  command -v java >/dev/null || die "java not found (apt-get install -y openjdk-17-jre-headless)"
  local p var
  for var in KAFKA_PORT:"$PORT" KAFKA_CONTROLLER_PORT:"$CONTROLLER_PORT" \
    KAFKA_SSL_PORT:"$SSL_PORT" KAFKA_SASL_SSL_PORT:"$SASL_SSL_PORT"; do
    p="${var#*:}"
    [ -n "$p" ] || continue
    ! port_open "$p" ||
      die "port 127.0.0.1:$p is already in use by another process: set ${var%%:*} to a free port"
  done
  tls_material
  mkdir -p "$DATA" "$LOGS"
  if [ -f "$RUN/kafka.version" ] && [ "$(cat "$RUN/kafka.version")" != "$VERSION" ] &&
    [ -f "$DATA/meta.properties" ]; then
    die "$RUN holds data of Kafka $(cat "$RUN/kafka.version"), not $VERSION: run reset first" \
      "(deletes that data) or use another KAFKA_RUN_DIR, e.g. KAFKA_RUN_DIR=.kafka/$VERSION"
  fi
  write_props
  jvm_opts
  local cp="$LIB/*"
  local cds=() dumping=0
  if [ "$CDS" = 1 ]; then
    init_jsa
    if [ -f "$JSA" ]; then
      cds=("-XX:SharedArchiveFile=$JSA" -Xlog:cds=off -Xlog:cds+dynamic=off)
    else
      rm -f "$RUN/cds-dump.jsa"
      dumping=1
    fi
  fi

  if [ ! -f "$DATA/meta.properties" ]; then
    local t0
    t0="$(now_ms)"
    scram_args
    java "${JAVA_OPTS[@]}" "${cds[@]}" -cp "$cp" kafka.tools.StorageTool format \
      -t "$CLUSTER_ID" -c "$PROPS" --ignore-formatted "${SCRAM_ARGS[@]}" >"$LOGS/format.out" 2>&1 9>&- ||
      {
        cat "$LOGS/format.out" >&2
        die "storage format failed"
      }
    echo "$VERSION" >"$RUN/kafka.version"
    log "formatted $DATA (cluster id $CLUSTER_ID) in $(($(now_ms) - t0)) ms"
  fi

  # Dynamic AppCDS (JDK 13+): the first broker run of a jar set writes an archive of the loaded
  # classes when it exits cleanly (stop); it is then promoted to tools/kafka/lib-<v>/ and mapped
  # by every later start (about 40% faster). KAFKA_CDS=0 turns it off.
  [ "$dumping" = 0 ] || cds=("-XX:ArchiveClassesAtExit=$RUN/cds-dump.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)

  : >"$OUT"
  local t0
  t0="$(now_ms)"
  # own session, no terminal, stdout/stderr to the log file: the caller (e.g. execFile) returns
  # as soon as this script exits, and the broker does not get the caller's Ctrl-C. That Ctrl-C
  # (or a SIGTERM) reaches this script: from here until it returns, the broker is stopped then.
  trap 'start_interrupted 130' INT
  trap 'start_interrupted 143' TERM
  setsid java "${JAVA_OPTS[@]}" "${cds[@]}" "$MARK" -cp "$cp" kafka.Kafka "$PROPS" \
    </dev/null >>"$OUT" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"

  local deadline=$((t0 + START_TIMEOUT * 1000))
  while :; do
    if grep -q 'Kafka Server started' "$OUT" && port_open "$PORT"; then
      local ms=$(($(now_ms) - t0))
      echo "$ms" >"$RUN/last-startup-ms"
      take_lease 1
      log "Kafka $VERSION up on 127.0.0.1:$PORT in $ms ms (pid $pid, run dir $RUN)"
      return 0
    fi
    if ! alive "$pid"; then
      rm -f "$PIDFILE"
      log "broker died during startup; last lines of $OUT:"
      tail -n 60 "$OUT" >&2
      if [ "${#cds[@]}" -gt 0 ] && [ "$dumping" = 0 ]; then
        log "(it used the class-data archive $JSA; if in doubt, retry with KAFKA_CDS=0)"
      fi
      exit 1
    fi
    if [ "$(now_ms)" -ge "$deadline" ]; then
      log "broker not up after ${START_TIMEOUT}s; last lines of $OUT:"
      tail -n 60 "$OUT" >&2
      kill -KILL "$pid" 2>/dev/null || true
      rm -f "$PIDFILE"
      exit 1
    fi
    sleep 0.1
  done
}

cmd_stop() {
  lock_run_dir
  local pid
  pid="$(our_pid)"
  [ -n "$pid" ] || {
    log "not running ($RUN)"
    return 0
  }
  kill -CONT "$pid" 2>/dev/null || true # a paused broker cannot act on SIGTERM
  kill -TERM "$pid" 2>/dev/null || true
  if wait_gone "$pid" "$STOP_TIMEOUT"; then
    promote_cds
  else
    log "pid $pid still alive after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "pid $pid survived SIGKILL"
    rm -f "$RUN/cds-dump.jsa"
  fi
  rm -rf "$PIDFILE" "$LEASES"
  log "stopped (pid $pid)"
}

cmd_release() {
  [ -n "${KAFKA_LEASE:-}" ] || die "release needs KAFKA_LEASE"
  lock_run_dir
  rm -f "$LEASES/$KAFKA_LEASE"
  local f holder live=0
  for f in "$LEASES"/*; do
    [ -f "$f" ] || continue
    holder="$(cat "$f" 2>/dev/null || true)"
    if [[ "$holder" =~ ^[0-9]+$ ]] && alive "$holder"; then
      live=$((live + 1))
    else
      rm -f "$f" # holder is gone (e.g. an interrupted test run)
    fi
  done
  if [ "$live" -gt 0 ]; then
    log "still in use by $live other lease holder(s): left running"
  elif [ -f "$LEASES/.started-by-lease" ]; then
    cmd_stop
  else
    log "not started by a lease holder: left running"
  fi
}

cmd_kill() {
  lock_run_dir
  local pid
  pid="$(our_pid)"
  [ -n "$pid" ] || {
    log "not running ($RUN)"
    return 0
  }
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || die "pid $pid survived SIGKILL"
  rm -rf "$PIDFILE" "$RUN/cds-dump.jsa" "$LEASES"
  log "killed (pid $pid), data kept in $DATA"
}

cmd_signal() { # SIG verb
  local pid
  pid="$(our_pid)"
  [ -n "$pid" ] || die "not running ($RUN)"
  kill "-$1" "$pid"
  log "$2 (pid $pid)"
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA" "$LOGS" "$PROPS" "$RUN/kafka.version" "$RUN/last-startup-ms" "$RUN/cds-dump.jsa"
  log "deleted data and logs in $RUN"
}

cmd_status() {
  local pid
  pid="$(our_pid)"
  if [ -z "$pid" ]; then
    echo stopped
    exit 3
  fi
  if [ "$(proc_state "$pid")" = T ]; then echo paused; else echo running; fi
}

cmd_pid() {
  local pid
  pid="$(our_pid)"
  [ -n "$pid" ] || exit 3
  echo "$pid"
}

cmd_logs() {
  [ -f "$OUT" ] || die "no log yet: $OUT"
  if [ "${1:-}" = -f ]; then exec tail -n "${KAFKA_LOG_LINES:-200}" -F "$OUT"; fi
  tail -n "${KAFKA_LOG_LINES:-200}" "$OUT"
}

# Stopping is bounded (KAFKA_STOP_TIMEOUT, then SIGKILL) and must finish: a Ctrl-C meant for the
# caller (say, a second one to npm run dev while it stops Kafka) reaches this script too, and would
# otherwise leave the broker running, or stopped without its pid file and leases cleaned up.
case "${1:-}" in stop | kill | reset | release) trap '' INT ;; esac

case "${1:-}" in
fetch) cmd_fetch ;;
start) cmd_start ;;
stop) cmd_stop ;;
kill) cmd_kill ;;
pause) cmd_signal STOP paused ;;
resume) cmd_signal CONT resumed ;;
reset) cmd_reset ;;
release) cmd_release ;;
status) cmd_status ;;
pid) cmd_pid ;;
logs) cmd_logs "${2:-}" ;;
*)
  sed -n '5,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
