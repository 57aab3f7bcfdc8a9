#!/usr/bin/env bash
# `npm run test:images`: builds every services/*/Dockerfile and runs the images (tests/images/), against a Docker
# engine this script provides, and leaves nothing behind: the run's containers and images are removed, and the
# engine is stopped again if this script started it. Arguments go to jest (e.g. -t allocator).
#
# The engine: DOCKER_HOST if it is set (it must answer), otherwise the project's own dockerd (tools/docker/dockerd.sh),
# started here when it is not already running. The base image: used as it is when the engine has the official one,
# made locally (tools/docker/base-image.sh) when the engine has a local one or none and no registry answers.
#
# Where no engine can be started the run cannot prove anything: with CI=true that fails the run; elsewhere it is
# skipped with a message saying so.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
here="$root/tools/docker"
export ORCHESTRATOR_DOCKER_CLI="${ORCHESTRATOR_DOCKER_CLI:-/usr/bin/docker}"
docker="$ORCHESTRATOR_DOCKER_CLI"
export DOCKER_BUILDKIT=1
export ORCHESTRATOR_TEST_RUN="run$(date +%s)-$$"

say() { printf '[test:images] %s\n' "$*" >&2; }
cannot_run() {
  if [ "${CI:-}" = true ]; then
    printf '\n[test:images] FAILED: %s\n\n' "$1" >&2
    exit 1
  fi
  printf '\n[test:images] ****************************************************************\n' >&2
  printf '[test:images] SKIPPED: %s\n' "$1" >&2
  printf '[test:images] No image was built or tested. (With CI=true this fails the run.)\n' >&2
  printf '[test:images] ****************************************************************\n\n' >&2
  exit 0
}

[ -x "$docker" ] || cannot_run "no Docker CLI at $docker (Debian: apt-get install docker.io)"
started_engine=false
if [ -n "${DOCKER_HOST:-}" ]; then
  "$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1 || cannot_run "DOCKER_HOST=$DOCKER_HOST does not answer"
  say "using the engine at DOCKER_HOST=$DOCKER_HOST"
else
  if ! "$here/dockerd.sh" status >/dev/null; then
    "$here/dockerd.sh" start >/dev/null || cannot_run "dockerd could not be started (see the lines above)"
    started_engine=true
  fi
  eval "$("$here/dockerd.sh" env)"
fi

cleanup() {
  local code=$?
  # What a crashed or interrupted jest left: containers and images carry the run's label.
  local containers images
  containers="$("$docker" ps -aq --filter "label=org.orchestrator.test-run=$ORCHESTRATOR_TEST_RUN" 2>/dev/null || true)"
  [ -z "$containers" ] || "$docker" rm -f -v $containers >/dev/null 2>&1 || true
  images="$("$docker" images -q --filter "label=org.orchestrator.test-run=$ORCHESTRATOR_TEST_RUN" 2>/dev/null | sort -u || true)"
  [ -z "$images" ] || "$docker" rmi -f $images >/dev/null 2>&1 || true
  if [ "$started_engine" = true ]; then "$here/dockerd.sh" stop || true; fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

base="$(sed -n 's/^FROM[[:space:]]\{1,\}\(node:[^[:space:]]*\).*/\1/p' services/*/Dockerfile | sort -u | head -n 1)"
local_key="$("$docker" image inspect --format '{{index .Config.Labels "org.orchestrator.base-key"}}' "$base" 2>/dev/null || echo absent)"
if [ "$local_key" = absent ] && timeout 60 "$docker" pull --quiet "$base" >/dev/null 2>&1; then
  say "pulled $base"
elif [ -n "$local_key" ]; then
  # A local base (or none, and no registry): make or refresh it; it costs a second when nothing changed.
  "$here/base-image.sh" || cannot_run "the base image $base could not be made locally (see the lines above)"
fi

start=$SECONDS
npx jest --config tests/images/jest.config.js "$@"
say "done in $((SECONDS - start)) s (load: $(cut -d' ' -f1-3 /proc/loadavg))"
