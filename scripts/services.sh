#!/usr/bin/env bash
# Local test services for connect-go: Apache RocketMQ 5.3.3 (name server + broker)
# and MariaDB (binlog in ROW format with full metadata; TLS offered, not required, with a
# test CA's certificate for 127.0.0.1 and localhost), all on 127.0.0.1.
#
# Usage:
#   eval "$(scripts/services.sh up [rocketmq|mysql|all])"   # default: all
#   (eval masks a failure; in scripts prefer: out=$(scripts/services.sh up all) && eval "$out")
#   scripts/services.sh env                 # exports for whatever is running
#   scripts/services.sh status              # human-readable state, pids, paths
#   scripts/services.sh pid <namesrv|broker|mysql>
#   scripts/services.sh restart <broker|namesrv|rocketmq|mysql|all>
#   scripts/services.sh restart-broker      # = restart broker (same store)
#   scripts/services.sh down [rocketmq|broker|namesrv|mysql|all]
#   scripts/services.sh mqadmin <command> [args]  # RocketMQ admin CLI, -n added (e.g. topicRoute -t T)
#
# stdout carries only `export ...` lines; progress, log paths and errors go to stderr.
# The MariaDB export line carries MYSQL_TLS_CA, the test CA's PEM file, when the server
# offers TLS (one started by an older version of this script does not: restart mysql).
# `up` is idempotent: running servers (pid file + live process + matching command
# line) are reused; dead ones are started again on the SAME state (RocketMQ store,
# MariaDB datadir), so `kill -9 $(scripts/services.sh pid broker); scripts/services.sh up rocketmq`
# is the crash-recovery path.  `down` stops only processes started by this script
# (SIGTERM, up to 30 s, then SIGKILL).
#
# Environment:
#   CONNECT_GO_CACHE  download cache (default $HOME/.cache/connect-go); the RocketMQ jars
#                     go to $CONNECT_GO_CACHE/rocketmq-5.3.3/lib
#   CONNECT_GO_STATE  pid files, logs, RocketMQ store, MariaDB datadir and test certificates
#                     (default /tmp/connect-go-services)
#   MYSQL_PORT        MariaDB TCP port (default 3307; remembered in the state dir)
#   SERVICES_WAIT     readiness timeout in seconds for each wait (default 120)
set -euo pipefail

ROCKETMQ_VERSION=5.3.3
CACHE_ROOT=${CONNECT_GO_CACHE:-$HOME/.cache/connect-go}
STATE=${CONNECT_GO_STATE:-/tmp/connect-go-services}
WAIT=${SERVICES_WAIT:-120}

RMQ_INSTALL=$CACHE_ROOT/rocketmq-$ROCKETMQ_VERSION
RMQ_LIB=$RMQ_INSTALL/lib
RMQ_MARKER=$RMQ_INSTALL/.installed
RMQ_EXT=$RMQ_INSTALL/ext             # connect-go-ha.jar: binds the HA port (listenPort+1) to 127.0.0.1
RMQ_STATE=$STATE/rocketmq
RMQ_HOME=$RMQ_STATE/home            # -Duser.home and ROCKETMQ_HOME; logs in home/logs/rocketmqlogs
RMQ_STORE=$RMQ_STATE/store          # storePathRootDir; survives kill -9 + restart
RMQ_LOGDIR=$RMQ_HOME/logs/rocketmqlogs
NAMESRV_PORT=9876
BROKER_PORT=10911                   # also 10909 (fast remoting, port-2) and 10912 (HA, port+1)
CLUSTER=DefaultCluster
BROKER_NAME=broker-a
READY_TOPIC=connect_go_ready

MY_STATE=$STATE/mysql
MY_DATA=$MY_STATE/data
MY_SOCK=$MY_STATE/mysqld.sock
MY_LOG=$MY_STATE/mysqld.err
MY_TLS=$MY_STATE/tls                # test CA and server certificate, made once by tls_mysql
MY_CA=$MY_TLS/ca.pem
MY_USER=connect
MY_PASS=connect

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
export ROCKETMQ_HOME=$RMQ_HOME
JDK_FLAGS=(
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports=java.base/sun.nio.ch=ALL-UNNAMED
  --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED
  -Djava.net.preferIPv4Stack=true
  -Dfile.encoding=UTF-8
  # lib/ holds every module's logback config and the first found (the broker's) would win for
  # all processes; each process names its own (rmq.<name>.logback.xml, a classpath resource).
  # The Nop listener keeps logback's own start-up chatter out of the .out files.
  -Dlogback.statusListenerClass=org.apache.rocketmq.logging.ch.qos.logback.core.status.NopStatusListener
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

now() { date +%s; }

# ---------------------------------------------------------------- processes

# is_ours NAME PID: the pid is a live (non-zombie) process whose command line carries
# our marker, so a recycled pid is never mistaken for our server.
is_ours() {
  local name=$1 pid=$2 state cmd
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ "$state" != Z ] && [ "$state" != X ] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  case $name in
    namesrv|broker) [[ $cmd == *"-Dconnect-go.service=$name "* ]] ;;
    mysql) [[ $cmd == *"--datadir=$MY_DATA "* ]] ;;
  esac
}

pidfile() {
  case $1 in
    namesrv|broker) echo "$RMQ_STATE/$1.pid" ;;
    mysql) echo "$MY_STATE/mysql.pid" ;;
  esac
}

# running NAME: prints the pid and succeeds if our server NAME is alive.
running() {
  local f pid
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null || true)
  is_ours "$1" "$pid" || return 1
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# port_free PORT NAME: refuse to start when something else already listens there.
port_free() {
  if port_open "$1"; then
    die "127.0.0.1:$1 is already in use by a process this script did not start (needed by $2); stop it or pick another port"
  fi
}

stop_one() {
  local name=$1 pid i
  if ! pid=$(running "$name"); then
    rm -f "$(pidfile "$name")"
    return 0
  fi
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do
    is_ours "$name" "$pid" || break
    sleep 0.1
  done
  if is_ours "$name" "$pid"; then
    log "$name (pid $pid) still alive after 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do is_ours "$name" "$pid" || break; sleep 0.1; done
  fi
  rm -f "$(pidfile "$name")"
}

# spawn NAME OUTFILE CMD...: start CMD detached (own session, no stdin, stdout+stderr to
# OUTFILE, lock fd closed) and record its pid.
spawn() {
  local name=$1 out=$2
  shift 2
  setsid "$@" </dev/null >>"$out" 2>&1 9>&- &
  echo $! >"$(pidfile "$name")"
}

# ---------------------------------------------------------------- RocketMQ

install_rocketmq() {
  [ -f "$RMQ_MARKER" ] && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed to fetch RocketMQ $ROCKETMQ_VERSION from Maven Central)"
  mkdir -p "$CACHE_ROOT"
  exec 8>"$CACHE_ROOT/.rocketmq-$ROCKETMQ_VERSION.lock"
  flock 8
  if [ -f "$RMQ_MARKER" ]; then exec 8>&-; return 0; fi
  local t0 tmp
  t0=$(now)
  log "installing RocketMQ $ROCKETMQ_VERSION jars from Maven Central into $RMQ_LIB"
  tmp=$(mktemp -d "$CACHE_ROOT/.rocketmq-$ROCKETMQ_VERSION.tmp.XXXXXX")
  chmod 755 "$tmp"
  cat >"$tmp/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.openmessaging.connectgo</groupId>
  <artifactId>rocketmq-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.rocketmq</groupId>
      <artifactId>rocketmq-namesrv</artifactId>
      <version>$ROCKETMQ_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.rocketmq</groupId>
      <artifactId>rocketmq-broker</artifactId>
      <version>$ROCKETMQ_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.rocketmq</groupId>
      <artifactId>rocketmq-tools</artifactId>
      <version>$ROCKETMQ_VERSION</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>3.6.1</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
EOF
  if ! (cd "$tmp" && mvn -B -q -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory="$tmp/lib" \
          -DincludeScope=runtime >"$tmp/mvn.log" 2>&1 9>&- 8>&-); then
    tail -n 40 "$tmp/mvn.log" >&2
    rm -rf "$tmp"
    die "maven could not fetch RocketMQ $ROCKETMQ_VERSION"
  fi
  local j
  for j in rocketmq-namesrv rocketmq-broker rocketmq-tools rocketmq-store; do
    ls "$tmp/lib/$j-$ROCKETMQ_VERSION.jar" >/dev/null 2>&1 || { rm -rf "$tmp"; die "$j-$ROCKETMQ_VERSION.jar missing after maven copy"; }
  done
  date -u +%FT%TZ >"$tmp/.installed"
  rm -rf "$RMQ_INSTALL"          # a half-finished older attempt, if any (no marker)
  mv "$tmp" "$RMQ_INSTALL"
  log "RocketMQ installed: $(find "$RMQ_LIB" -name '*.jar' | wc -l) jars, $(du -sh "$RMQ_LIB" | cut -f1), $(($(now) - t0)) s"
  exec 8>&-
}

# RocketMQ 5.3.3 binds the HA listener (listenPort+1, 10912) to the wildcard address and
# has no option for it (bindAddress only covers the remoting ports 10911/10909).  The store
# loads its HAService through META-INF/service/org.apache.rocketmq.store.ha.HAService, so a
# 20-line DefaultHAService subclass that re-points the listen address at 127.0.0.1 fixes it.
build_ha_ext() {
  [ -f "$RMQ_EXT/connect-go-ha.jar" ] && return 0
  exec 8>"$CACHE_ROOT/.rocketmq-$ROCKETMQ_VERSION.lock"
  flock 8
  if [ -f "$RMQ_EXT/connect-go-ha.jar" ]; then exec 8>&-; return 0; fi
  if ! command -v javac >/dev/null 2>&1 || ! command -v jar >/dev/null 2>&1; then
    log "WARNING: javac/jar not found: the broker's HA port $((BROKER_PORT + 1)) will listen on 0.0.0.0"
    exec 8>&-
    return 0
  fi
  local tmp src
  tmp=$(mktemp -d "$RMQ_INSTALL/.ext.tmp.XXXXXX")
  src=$tmp/src/io/openmessaging/connectgo/rocketmq
  mkdir -p "$src" "$tmp/classes/META-INF/service" "$tmp/ext"
  cat >"$src/LoopbackHAService.java" <<'EOF'
package io.openmessaging.connectgo.rocketmq;

import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import org.apache.rocketmq.store.DefaultMessageStore;
import org.apache.rocketmq.store.ha.DefaultHAService;

/** DefaultHAService whose listener binds 127.0.0.1 (or -Dconnectgo.ha.bindAddress) instead of 0.0.0.0. */
public class LoopbackHAService extends DefaultHAService {
    @Override
    public void init(DefaultMessageStore store) throws IOException {
        super.init(store);
        String host = System.getProperty("connectgo.ha.bindAddress", "127.0.0.1");
        try {
            Field f = DefaultHAService.AcceptSocketService.class.getDeclaredField("socketAddressListen");
            f.setAccessible(true);
            f.set(this.acceptSocketService,
                new InetSocketAddress(host, store.getMessageStoreConfig().getHaListenPort()));
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot bind the HA listener to " + host, e);
        }
    }
}
EOF
  echo io.openmessaging.connectgo.rocketmq.LoopbackHAService \
    >"$tmp/classes/META-INF/service/org.apache.rocketmq.store.ha.HAService"
  if javac -nowarn -source 8 -target 8 -cp "$RMQ_LIB/*" -d "$tmp/classes" "$src/LoopbackHAService.java" >"$tmp/javac.log" 2>&1 \
     && jar cf "$tmp/ext/connect-go-ha.jar" -C "$tmp/classes" . >>"$tmp/javac.log" 2>&1; then
    rm -rf "$RMQ_EXT"
    mv "$tmp/ext" "$RMQ_EXT"
    rm -rf "$tmp"
  else
    cat "$tmp/javac.log" >&2
    rm -rf "$tmp"
    log "WARNING: could not build the loopback HA extension: HA port $((BROKER_PORT + 1)) will listen on 0.0.0.0"
  fi
  exec 8>&-
}

write_rocketmq_conf() {
  mkdir -p "$RMQ_HOME" "$RMQ_STORE" "$RMQ_LOGDIR"
  cat >"$RMQ_STATE/namesrv.conf" <<EOF
listenPort=$NAMESRV_PORT
bindAddress=127.0.0.1
EOF
  cat >"$RMQ_STATE/broker.conf" <<EOF
brokerClusterName=$CLUSTER
brokerName=$BROKER_NAME
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
namesrvAddr=127.0.0.1:$NAMESRV_PORT
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$BROKER_PORT
storePathRootDir=$RMQ_STORE
storePathCommitLog=$RMQ_STORE/commitlog
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
# 5.3.3 clamps these: diskMaxUsedSpaceRatio to [10,95]; diskSpaceWarningLevelRatio to at most
# 90 and diskSpaceCleanForciblyRatio to at most 85 (DefaultMessageStore.CleanCommitLogService),
# so above 90% disk use (partition of the store) the broker refuses writes whatever is set here.
diskMaxUsedSpaceRatio=95
diskSpaceWarningLevelRatio=98
diskSpaceCleanForciblyRatio=97
waitTimeMillsInSendQueue=1000
osPageCacheBusyTimeOutMills=5000
# A consumer's n-th retry (ConsumeRetryLater) uses delay level 3+n-1 (1-based), so level 3 is the
# first retry: 1 s here instead of the stock 10 s; then 2 s, 3 s, 5 s, 10 s, 30 s, 1 m ...
messageDelayLevel=1s 1s 1s 2s 3s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m
EOF
}

start_namesrv() {
  port_free "$NAMESRV_PORT" namesrv
  log "starting name server on 127.0.0.1:$NAMESRV_PORT (log: $RMQ_STATE/namesrv.out, $RMQ_LOGDIR/namesrv.log)"
  echo "==== start $(date -u +%FT%TZ)" >>"$RMQ_STATE/namesrv.out"
  ROCKETMQ_HOME=$RMQ_HOME spawn namesrv "$RMQ_STATE/namesrv.out" \
    "$JAVA" -Dconnect-go.service=namesrv -server -Xms128m -Xmx256m -XX:MaxDirectMemorySize=128m \
    "${JDK_FLAGS[@]}" -Duser.home="$RMQ_HOME" -Drocketmq.home.dir="$RMQ_HOME" \
    -Drmq.logback.configurationFile=rmq.namesrv.logback.xml \
    -cp "$RMQ_LIB/*" org.apache.rocketmq.namesrv.NamesrvStartup -c "$RMQ_STATE/namesrv.conf"
}

start_broker() {
  port_free "$BROKER_PORT" broker
  port_free "$((BROKER_PORT - 2))" broker
  port_free "$((BROKER_PORT + 1))" broker
  log "starting broker on 127.0.0.1:$BROKER_PORT, store $RMQ_STORE (log: $RMQ_STATE/broker.out, $RMQ_LOGDIR/broker.log)"
  echo "==== start $(date -u +%FT%TZ)" >>"$RMQ_STATE/broker.out"
  ROCKETMQ_HOME=$RMQ_HOME spawn broker "$RMQ_STATE/broker.out" \
    "$JAVA" -Dconnect-go.service=broker -server -Xms512m -Xmx512m -Xmn256m -XX:MaxDirectMemorySize=512m \
    "${JDK_FLAGS[@]}" -Duser.home="$RMQ_HOME" -Drocketmq.home.dir="$RMQ_HOME" \
    -Drmq.logback.configurationFile=rmq.broker.logback.xml \
    -cp "$RMQ_EXT/*:$RMQ_LIB/*" org.apache.rocketmq.broker.BrokerStartup -c "$RMQ_STATE/broker.conf"
}

# mqadmin ARGS...: run the admin CLI against our name server; output to stdout and appended
# to $RMQ_STATE/mqadmin.log.
mqadmin() {
  local rc=0 out t0
  t0=$(date -u +%FT%TZ)
  out=$(mqadmin_raw "$@") || rc=$?
  printf '==== %s..%s mqadmin %s (rc=%s)\n%s\n' "$t0" "$(date -u +%TZ)" "$*" "$rc" "$out" >>"$RMQ_STATE/mqadmin.log"
  printf '%s\n' "$out"
  return "$rc"
}

mqadmin_raw() {
  ROCKETMQ_HOME=$RMQ_HOME timeout 60 "$JAVA" -Xms64m -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    "${JDK_FLAGS[@]}" -Duser.home="$RMQ_HOME" -Drocketmq.home.dir="$RMQ_HOME" \
    -Drmq.logback.configurationFile=rmq.tools.logback.xml \
    -cp "$RMQ_LIB/*" org.apache.rocketmq.tools.command.MQAdminStartup "$@" -n "127.0.0.1:$NAMESRV_PORT" 9>&- 2>&1
}

rocketmq_logs() {
  local f
  for f in "$RMQ_STATE/namesrv.out" "$RMQ_LOGDIR/namesrv.log" "$RMQ_STATE/broker.out" "$RMQ_LOGDIR/broker.log" "$RMQ_LOGDIR/store.log"; do
    [ -f "$f" ] || continue
    printf '\n----- tail of %s -----\n' "$f" >&2
    tail -n 25 "$f" >&2
  done
}

rocketmq_fail() {
  printf '[services] ERROR: %s\n' "$*" >&2
  rocketmq_logs
  exit 1
}

# wait_rocketmq FULL: FULL=1 after a start: create the ready topic through the cluster (which
# fails until the broker has registered with the name server, i.e. shows in clusterList) and
# read its route back from the name server; FULL=0 when both were already running (route
# lookup only).  Each mqadmin run costs 4-6 s (JVM start + a 3 s client shutdown).
wait_rocketmq() {
  local full=$1 deadline out t0
  t0=$(now)
  deadline=$(($(now) + WAIT))
  while ! port_open "$NAMESRV_PORT"; do
    running namesrv >/dev/null || rocketmq_fail "name server exited"
    [ "$(now)" -lt "$deadline" ] || rocketmq_fail "name server did not listen on 127.0.0.1:$NAMESRV_PORT within ${WAIT}s"
    sleep 0.5
  done
  while ! port_open "$BROKER_PORT"; do
    running broker >/dev/null || rocketmq_fail "broker exited"
    [ "$(now)" -lt "$deadline" ] || rocketmq_fail "broker did not listen on 127.0.0.1:$BROKER_PORT within ${WAIT}s"
    sleep 0.5
  done
  if [ "$full" = 1 ]; then
    until out=$(mqadmin updateTopic -c "$CLUSTER" -t "$READY_TOPIC" -r 4 -w 4) && grep -q success <<<"$out"; do
      running broker >/dev/null || rocketmq_fail "broker exited"
      if [ "$(now)" -ge "$deadline" ]; then
        log "updateTopic: $out"
        log "clusterList: $(mqadmin clusterList || true)"
        rocketmq_fail "broker did not register with the name server / create $READY_TOPIC within ${WAIT}s"
      fi
      sleep 1
    done
  fi
  until out=$(mqadmin topicRoute -t "$READY_TOPIC") && grep -q "127.0.0.1:$BROKER_PORT" <<<"$out"; do
    running broker >/dev/null || rocketmq_fail "broker exited"
    [ "$(now)" -lt "$deadline" ] || { log "topicRoute: $out"; rocketmq_fail "no route for $READY_TOPIC within ${WAIT}s"; }
    sleep 1
  done
  log "RocketMQ ready: topic $READY_TOPIC routes to 127.0.0.1:$BROKER_PORT ($(($(now) - t0)) s)"
}

up_rocketmq() {
  install_rocketmq
  build_ha_ext
  mkdir -p "$RMQ_STATE"
  local started=0 pid
  write_rocketmq_conf
  if pid=$(running namesrv); then log "name server already running (pid $pid)"
  else start_namesrv; started=1; fi
  if pid=$(running broker); then log "broker already running (pid $pid)"
  else start_broker; started=1; fi
  RMQ_STARTED=$started
}

env_rocketmq() {
  echo "export ROCKETMQ_NAMESRV=127.0.0.1:$NAMESRV_PORT"
  echo "export ROCKETMQ_BROKER=127.0.0.1:$BROKER_PORT"
}

# ---------------------------------------------------------------- MariaDB

find_bin() {
  local b d
  for b in "$@"; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
    for d in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
      [ -x "$d/$b" ] && { echo "$d/$b"; return 0; }
    done
  done
  return 1
}

# install_mariadb: mariadb-server and mariadb-client, and openssl for the test certificates
# (tls_mysql), whichever are missing.
install_mariadb() {
  local pkgs=() t0
  if ! { find_bin mariadbd >/dev/null && find_bin mariadb-install-db >/dev/null && find_bin mariadb >/dev/null; }; then
    pkgs+=(mariadb-server mariadb-client)
  fi
  find_bin openssl >/dev/null || pkgs+=(openssl)
  if [ "${#pkgs[@]}" -eq 0 ]; then return 0; fi
  t0=$(now)
  log "installing ${pkgs[*]} from Debian (apt-get; output in $STATE/apt.log)"
  mkdir -p "$STATE"
  as_root apt-get update >"$STATE/apt.log" 2>&1 || { tail -n 30 "$STATE/apt.log" >&2; die "apt-get update failed"; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${pkgs[@]}" \
    >>"$STATE/apt.log" 2>&1 9>&- || { tail -n 30 "$STATE/apt.log" >&2; die "apt-get install ${pkgs[*]} failed"; }
  find_bin mariadbd >/dev/null || die "mariadbd not found after installing mariadb-server"
  find_bin openssl >/dev/null || die "openssl not found after installing openssl"
  log "${pkgs[*]} installed ($(($(now) - t0)) s)"
}

mysql_port() {
  if [ -f "$MY_STATE/port" ]; then
    # the port of a running server wins; MYSQL_PORT only applies when (re)starting
    if running mysql >/dev/null || [ -z "${MYSQL_PORT:-}" ]; then cat "$MY_STATE/port"; return; fi
  fi
  echo "${MYSQL_PORT:-3307}"
}

user_opt() { if [ "$(id -u)" -eq 0 ]; then echo --user=root; fi; }

init_mysql() {
  [ -f "$MY_DATA/.connect-go-initialized" ] && return 0
  local tmp="$MY_STATE/data.tmp"
  rm -rf "$tmp" "$MY_DATA"
  mkdir -p "$tmp"
  log "initialising MariaDB datadir $MY_DATA"
  # shellcheck disable=SC2046
  if ! "$(find_bin mariadb-install-db)" --no-defaults $(user_opt) --datadir="$tmp" \
        --auth-root-authentication-method=normal --skip-test-db >"$MY_STATE/install-db.log" 2>&1 9>&-; then
    tail -n 30 "$MY_STATE/install-db.log" >&2
    die "mariadb-install-db failed (log: $MY_STATE/install-db.log)"
  fi
  touch "$tmp/.connect-go-initialized"
  mv "$tmp" "$MY_DATA"
}

# tls_mysql: a test CA and a server certificate signed by it for IP 127.0.0.1 and DNS
# localhost (subjectAltName), in $MY_TLS; made when missing or expiring within a day.
# Only the CA's certificate is kept of the CA: tests that need another CA make their own.
tls_mysql() {
  local openssl tmp=$MY_STATE/tls.tmp
  openssl=$(find_bin openssl) || die "openssl not found"
  if [ -f "$MY_TLS/server-key.pem" ] \
     && "$openssl" x509 -checkend 86400 -noout -in "$MY_CA" >/dev/null 2>&1 \
     && "$openssl" x509 -checkend 86400 -noout -in "$MY_TLS/server.pem" >/dev/null 2>&1; then
    return 0
  fi
  log "making a test CA and a certificate for 127.0.0.1/localhost in $MY_TLS"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  # Our own configuration, not the system's openssl.cnf, so the extensions are exactly these.
  cat >"$tmp/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = ca_ext
[dn]
CN = connect-go test CA
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  if ! { "$openssl" req -config "$tmp/openssl.cnf" -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
           -keyout "$tmp/ca-key.pem" -out "$tmp/ca.pem" \
         && "$openssl" req -config "$tmp/openssl.cnf" -new -newkey rsa:2048 -nodes -subj /CN=localhost \
           -keyout "$tmp/server-key.pem" -out "$tmp/server.csr" \
         && "$openssl" x509 -req -sha256 -days 3650 -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" \
           -set_serial "0x$("$openssl" rand -hex 16)" -extfile "$tmp/openssl.cnf" -extensions server_ext \
           -out "$tmp/server.pem"; } >"$tmp/openssl.log" 2>&1; then
    cat "$tmp/openssl.log" >&2
    rm -rf "$tmp"
    die "openssl could not make the test certificates"
  fi
  rm -f "$tmp/ca-key.pem" "$tmp/server.csr" "$tmp/openssl.cnf" "$tmp/openssl.log"
  rm -rf "$MY_TLS"
  mv "$tmp" "$MY_TLS"
}

# mysql_tls PID: the server PID was started with our certificates (one started by an older
# version of this script was not).
mysql_tls() {
  local cmd
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmd == *"--ssl-ca=$MY_CA "* ]] && [ -f "$MY_CA" ]
}

start_mysql() {
  local port=$1
  port_free "$port" mysql
  log "starting mariadbd on 127.0.0.1:$port, datadir $MY_DATA, TLS offered with $MY_CA (log: $MY_LOG)"
  echo "$port" >"$MY_STATE/port"
  # shellcheck disable=SC2046
  spawn mysql "$MY_STATE/mysqld.out" "$(find_bin mariadbd)" --no-defaults $(user_opt) \
    --datadir="$MY_DATA" \
    --bind-address=127.0.0.1 --port="$port" --socket="$MY_SOCK" \
    --pid-file="$MY_STATE/mariadbd.pid" --log-error="$MY_LOG" \
    --skip-name-resolve \
    --ssl-ca="$MY_CA" --ssl-cert="$MY_TLS/server.pem" --ssl-key="$MY_TLS/server-key.pem" \
    --server-id=1 --log-bin=mysql-bin --binlog-format=ROW --binlog-row-image=FULL \
    --binlog-row-metadata=FULL --log-slave-updates=ON --gtid-strict-mode=ON \
    --max-allowed-packet=256M --innodb-buffer-pool-size=128M \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --max-connections=300 --performance-schema=OFF
}

mysql_fail() {
  printf '[services] ERROR: %s\n' "$*" >&2
  local f
  for f in "$MY_STATE/mysqld.out" "$MY_LOG"; do
    [ -f "$f" ] || continue
    printf '\n----- tail of %s -----\n' "$f" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}

wait_mysql() {
  local port deadline t0 client
  port=$(mysql_port)
  client=$(find_bin mariadb)
  t0=$(now)
  deadline=$(($(now) + WAIT))
  until "$client" --no-defaults -S "$MY_SOCK" -uroot -e 'SELECT 1' >/dev/null 2>&1; do
    running mysql >/dev/null || mysql_fail "mariadbd exited"
    [ "$(now)" -lt "$deadline" ] || mysql_fail "mariadbd not accepting socket connections within ${WAIT}s"
    sleep 0.3
  done
  # sql_log_bin=0: the account setup stays out of the binlog / GTID history the tests read
  "$client" --no-defaults -S "$MY_SOCK" -uroot <<EOF || mysql_fail "could not create user $MY_USER"
SET SESSION sql_log_bin = 0;
CREATE USER IF NOT EXISTS '$MY_USER'@'%' IDENTIFIED BY '$MY_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$MY_USER'@'%' WITH GRANT OPTION;
GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, LOCK TABLES, SHOW VIEW ON *.* TO '$MY_USER'@'%';
EOF
  until "$client" --no-defaults --protocol=TCP -h127.0.0.1 -P"$port" -u"$MY_USER" -p"$MY_PASS" -e 'SELECT 1' >/dev/null 2>&1; do
    running mysql >/dev/null || mysql_fail "mariadbd exited"
    [ "$(now)" -lt "$deadline" ] || mysql_fail "user $MY_USER cannot log in over TCP 127.0.0.1:$port within ${WAIT}s"
    sleep 0.3
  done
  local pid out
  if pid=$(running mysql) && mysql_tls "$pid"; then
    # what the tests rely on: TLS verified against the CA and the name 127.0.0.1
    out=$("$client" --no-defaults --protocol=TCP -h127.0.0.1 -P"$port" -u"$MY_USER" -p"$MY_PASS" \
      --ssl --ssl-ca="$MY_CA" --ssl-verify-server-cert -N -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'" 2>&1) || true
    if [[ $out != Ssl_cipher*[A-Za-z0-9]* ]]; then
      mysql_fail "no TLS session for $MY_USER on 127.0.0.1:$port verified against $MY_CA: $out"
    fi
  else
    log "WARNING: mariadbd (pid $pid) was started without TLS, so MYSQL_TLS_CA is not exported; run: $0 restart mysql"
  fi
  log "MariaDB ready on 127.0.0.1:$port ($(($(now) - t0)) s)"
}

up_mysql() {
  install_mariadb
  mkdir -p "$MY_STATE"
  local pid
  if pid=$(running mysql); then
    log "mariadbd already running (pid $pid)"
    return 0
  fi
  init_mysql
  tls_mysql
  start_mysql "$(mysql_port)"
}

env_mysql() {
  local pid tls=
  if pid=$(running mysql) && mysql_tls "$pid"; then tls=" MYSQL_TLS_CA=$(printf %q "$MY_CA")"; fi
  echo "export MYSQL_ADDR=127.0.0.1:$(mysql_port) MYSQL_USER=$MY_USER MYSQL_PASSWORD=$MY_PASS$tls"
}

# ---------------------------------------------------------------- commands

lock_state() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock 9
}

cmd_up() {
  local what=${1:-all}
  case $what in rocketmq|mysql|all) ;; *) die "up: unknown service '$what' (rocketmq|mysql|all)" ;; esac
  lock_state
  RMQ_STARTED=0
  # start everything first, then wait, so the JVMs and mariadbd boot in parallel
  if [ "$what" != mysql ]; then up_rocketmq; fi
  if [ "$what" != rocketmq ]; then up_mysql; fi
  if [ "$what" != mysql ]; then wait_rocketmq "$RMQ_STARTED"; fi
  if [ "$what" != rocketmq ]; then wait_mysql; fi
  if [ "$what" != mysql ]; then env_rocketmq; fi
  if [ "$what" != rocketmq ]; then env_mysql; fi
  log "logs: $RMQ_STATE/*.out $RMQ_LOGDIR/ $MY_LOG"
}

cmd_down() {
  local what=${1:-all}
  lock_state
  case $what in
    all) stop_one broker; stop_one namesrv; stop_one mysql ;;
    rocketmq) stop_one broker; stop_one namesrv ;;
    broker|namesrv|mysql) stop_one "$what" ;;
    *) die "down: unknown service '$what' (rocketmq|broker|namesrv|mysql|all)" ;;
  esac
}

cmd_restart() {
  local what=${1:-all}
  case $what in
    broker|namesrv) cmd_down "$what"; exec 9>&-; cmd_up rocketmq ;;
    rocketmq|mysql|all) cmd_down "$what"; exec 9>&-; cmd_up "$what" ;;
    *) die "restart: unknown service '$what' (broker|namesrv|rocketmq|mysql|all)" ;;
  esac
}

cmd_env() {
  running namesrv >/dev/null && echo "export ROCKETMQ_NAMESRV=127.0.0.1:$NAMESRV_PORT"
  running broker >/dev/null && echo "export ROCKETMQ_BROKER=127.0.0.1:$BROKER_PORT"
  running mysql >/dev/null && env_mysql
  return 0
}

cmd_status() {
  local n pid
  for n in namesrv broker mysql; do
    if pid=$(running "$n"); then echo "$n: running (pid $pid)"
    else echo "$n: stopped"; fi
  done
  echo "state: $STATE"
  echo "rocketmq jars: $RMQ_LIB ($( [ -f "$RMQ_MARKER" ] && echo installed || echo not installed))"
  echo "rocketmq store: $RMQ_STORE"
  echo "rocketmq logs: $RMQ_STATE/namesrv.out $RMQ_STATE/broker.out $RMQ_LOGDIR/"
  echo "mysql datadir: $MY_DATA  socket: $MY_SOCK  log: $MY_LOG  TLS CA: $MY_CA"
}

cmd_pid() {
  case ${1:-} in namesrv|broker|mysql) ;; *) die "pid: namesrv|broker|mysql" ;; esac
  running "$1" || die "$1 is not running"
}

usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2; }

case ${1:-} in
  up) cmd_up "${2:-all}" ;;
  down) cmd_down "${2:-all}" ;;
  restart) cmd_restart "${2:-all}" ;;
  restart-broker) cmd_restart broker ;;
  env) cmd_env ;;
  status) cmd_status ;;
  pid) cmd_pid "${2:-}" ;;
  mqadmin) shift; [ -f "$RMQ_MARKER" ] || die "RocketMQ is not installed (run: $0 up rocketmq)"; mkdir -p "$RMQ_STATE"; mqadmin "$@" ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
