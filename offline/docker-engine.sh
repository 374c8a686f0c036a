#!/usr/bin/env bash
# Make sure a Docker engine answers, starting one of our own when none does.
#
#   offline/docker-engine.sh [start]   engine answering? do nothing. Otherwise install Debian's
#                                      docker.io if dockerd is missing and start dockerd with a
#                                      data root under $KC_CACHE/docker, then wait for it.
#   offline/docker-engine.sh stop      stop dockerd, but only if this script started it.
#   offline/docker-engine.sh status    say which engine answers and whether we started it.
#
# Environment: KC_CLUSTER_CACHE (cache root, default ~/.cache/keycloak-cluster),
# KC_DOCKERD_TIMEOUT (seconds to wait for the engine, default 60).
# No privileged containers are needed or started by anything in this project.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=offline/lib.sh
source "$HERE/lib.sh"

ENGINE_DIR="$KC_CACHE/docker"
DATA_ROOT="$ENGINE_DIR/data"
LOG_FILE="$ENGINE_DIR/dockerd.log"
STATE_FILE="$ENGINE_DIR/started-by-keycloak-cluster"
# Runtime state lives under /run: short paths (containerd's unix sockets must stay under
# 108 characters, which a long KC_CLUSTER_CACHE could break) and cleared on reboot.
RUN_DIR="/run/keycloak-cluster"
EXEC_ROOT="$RUN_DIR/docker-exec"
PID_FILE="$RUN_DIR/dockerd.pid"
SOCKET="/var/run/docker.sock"
TIMEOUT="${KC_DOCKERD_TIMEOUT:-60}"

engine_answers() { docker info >/dev/null 2>&1; }

describe_engine() {
  local where="${DOCKER_HOST:-unix://$SOCKET}"
  docker info --format "{{.Name}}: Docker Engine {{.ServerVersion}} ({{.OperatingSystem}}), data root {{.DockerRootDir}}, storage driver {{.Driver}}, at $where" 2>/dev/null \
    || echo "an engine at $where"
}

# Prints the pid of the dockerd we started, if it is still running; fails otherwise.
our_pid() {
  [[ -f "$STATE_FILE" ]] || return 1
  local pid
  pid="$(sed -n 's/^pid=//p' "$STATE_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == dockerd ]] || return 1
  echo "$pid"
}

install_dockerd() {
  command -v apt-get >/dev/null || die "dockerd is missing and apt-get is not available: install a Docker engine yourself"
  [[ $EUID -eq 0 ]] || die "dockerd is missing; installing docker.io needs root (run: sudo $0 start)"
  step docker "installing Debian's docker.io (dockerd is missing)"
  # Keep the package from starting its own service: we run our own dockerd below.
  local policy=/usr/sbin/policy-rc.d added_policy=""
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
  fi
  local rc=0
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io iptables; } \
    >"$ENGINE_DIR/apt-install.log" 2>&1 || rc=$?
  [[ -n "$added_policy" ]] && rm -f "$policy"
  ((rc == 0)) || die "apt-get install docker.io failed (exit $rc); see $ENGINE_DIR/apt-install.log"
  command -v dockerd >/dev/null || die "docker.io installed but dockerd is not on PATH"
}

start() {
  local pid
  if engine_answers; then
    if pid="$(our_pid)"; then
      step docker "engine already running (started by this script, pid $pid): $(describe_engine)"
    else
      step docker "engine already answering, leaving it alone: $(describe_engine)"
    fi
    return 0
  fi
  if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != "unix://$SOCKET" ]]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer; unset it to let this script run an engine on $SOCKET"
  fi
  mkdir -p "$ENGINE_DIR" "$DATA_ROOT"
  command -v dockerd >/dev/null || install_dockerd
  [[ $EUID -eq 0 ]] || die "starting dockerd needs root (run: sudo $0 start)"

  if pid="$(our_pid)"; then
    step docker "our dockerd (pid $pid) is running but not answering yet; waiting for it"
  else
    # Another process listening on the default socket that does not answer `docker info`
    # is not ours to replace.
    if [[ -S "$SOCKET" ]] && command -v fuser >/dev/null && fuser "$SOCKET" >/dev/null 2>&1; then
      die "$SOCKET is held by another process that does not answer 'docker info'; stop it or set DOCKER_HOST"
    fi
    mkdir -p "$RUN_DIR" "$EXEC_ROOT"
    step docker "starting dockerd (data root $DATA_ROOT, log $LOG_FILE)"
    # setsid: the daemon outlives this script and the caller's process group.
    setsid dockerd \
      --data-root "$DATA_ROOT" \
      --exec-root "$EXEC_ROOT" \
      --pidfile "$PID_FILE" \
      --host "unix://$SOCKET" \
      >>"$LOG_FILE" 2>&1 </dev/null &
    pid=$!
    printf 'pid=%s\nsocket=%s\nstarted=%s\n' "$pid" "$SOCKET" "$(date -u +%FT%TZ)" >"$STATE_FILE"
  fi

  local waited=0
  until engine_answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$STATE_FILE"
      die "dockerd (pid $pid) exited before answering; last lines of $LOG_FILE:
$(tail -n 15 "$LOG_FILE" 2>/dev/null)"
    fi
    if ((waited >= TIMEOUT)); then
      die "dockerd (pid $pid) did not answer 'docker info' within ${TIMEOUT}s; see $LOG_FILE (it is still running: $0 stop)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  step docker "engine ready after ${waited}s: $(describe_engine)"
}

stop() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$STATE_FILE"
    if engine_answers; then
      step docker "the running engine was not started by this script; leaving it alone"
    else
      step docker "no engine started by this script is running"
    fi
    return 0
  fi
  step docker "stopping our dockerd (pid $pid)"
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= 30)); then
      step docker "dockerd still running after 30s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 1
    waited=$((waited + 1))
  done
  rm -f "$STATE_FILE"
  step docker "dockerd stopped"
}

status() {
  local pid ours="no"
  pid="$(our_pid)" && ours="yes (pid $pid)"
  if engine_answers; then
    echo "engine: answering: $(describe_engine)"
  else
    echo "engine: not answering"
  fi
  echo "started by this script: $ours"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (use start, stop or status)" ;;
esac
