#!/usr/bin/env bash
# A Docker engine of the project's own, for image builds in tests and CI: Debian's dockerd with its own data root,
# exec root, pidfile and socket, and no change to the host's network (no iptables rules, no bridge, no forwarding).
# Containers it runs have no network but the host's (`--network=host`) or none.
#
#   tools/docker/dockerd.sh start    starts it unless it already answers; prints `export DOCKER_HOST=…` for eval
#   tools/docker/dockerd.sh stop     stops the one whose pid is in the pidfile, then unmounts its network namespace
#   tools/docker/dockerd.sh status   exit 0 and the socket when it answers, 1 otherwise
#   tools/docker/dockerd.sh env      prints the export lines without starting anything
#
#   ORCHESTRATOR_DOCKERD_DIR   default ~/.cache/orchestrator/dockerd: data/ (images and build cache, kept between runs
#                              so warm builds stay warm), exec/, dockerd.pid, docker.sock, dockerd.log
#
# Needs root (dockerd does). The CLI to use with it is Debian's /usr/bin/docker with DOCKER_BUILDKIT=1: the newer
# /usr/local/bin/docker on PATH has no buildx, and with BuildKit asked for it fails.
set -euo pipefail

dir="${ORCHESTRATOR_DOCKERD_DIR:-$HOME/.cache/orchestrator/dockerd}"
sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"
log="$dir/dockerd.log"
docker=/usr/bin/docker

say() { printf '[dockerd] %s\n' "$*" >&2; }
exports() { printf 'export DOCKER_HOST=unix://%s DOCKER_BUILDKIT=1\n' "$sock"; }
answers() { [ -S "$sock" ] && DOCKER_HOST="unix://$sock" timeout 5 "$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1; }
running_pid() {
  local pid
  pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}

start() {
  if answers; then
    say "already running (pid $(running_pid || echo '?'), $sock)"
    exports
    return 0
  fi
  if running_pid >/dev/null; then
    say "dockerd pid $(running_pid) holds $dir but does not answer on $sock; stop it first (tools/docker/dockerd.sh stop)"
    return 1
  fi
  [ "$(id -u)" = 0 ] || { say "dockerd needs root (this is uid $(id -u))"; return 1; }
  command -v dockerd >/dev/null || { say "dockerd is not installed (Debian: apt-get install docker.io)"; return 1; }
  mkdir -p "$dir/data" "$dir/exec"
  rm -f "$sock"
  # setsid: the engine outlives the shell that started it, and a ^C in that shell does not reach it.
  setsid dockerd \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$pidfile" -H "unix://$sock" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --bridge=none \
    --storage-driver=overlay2 >"$log" 2>&1 </dev/null &
  local pid=$! waited=0
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "dockerd exited while starting; the end of $log:"
      tail -n 15 "$log" >&2
      return 1
    fi
    if [ "$waited" -ge 60 ]; then
      say "dockerd (pid $pid) did not answer on $sock within 30 s; the end of $log:"
      tail -n 15 "$log" >&2
      return 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  say "started (pid $pid, $sock)"
  exports
}

stop() {
  local pid
  if pid="$(running_pid)"; then
    kill -TERM "$pid"
    # dockerd stops its containers (10 s grace each) and its managed containerd before it exits.
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      say "dockerd pid $pid still running after 60 s; sending SIGKILL"
      kill -KILL "$pid"
    fi
    say "stopped (pid $pid)"
  else
    say "not running"
  fi
  # dockerd bind-mounts its default network namespace and leaves the mount behind when it exits.
  if mountpoint -q "$dir/exec/netns/default" 2>/dev/null; then umount "$dir/exec/netns/default"; fi
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo "$sock"; else exit 1; fi ;;
  env) exports ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
