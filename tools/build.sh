#!/usr/bin/env bash
# Builds the pinned tools (tools/versions.env) that are missing from the cache, from the Go module proxy, and prints
# the directory to put on PATH. A tool is one directory, <cache>/<tool>-<version>, complete only once its .done stamp
# is written, so an interrupted build is redone and a finished one costs nothing.
#
#   tools/build.sh [tool ...]     tools: pulumi kubernetes etcd kwok actionlint (default: all)
#   ORCHESTRATOR_TOOLS_CACHE      default ~/.cache/orchestrator/tools
#
# Go's module and build caches stay where Go keeps them (outside the clone); a warm rebuild takes a minute or two.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${ORCHESTRATOR_TOOLS_CACHE:-$HOME/.cache/orchestrator/tools}"
bin="$cache/bin"
mkdir -p "$cache" "$bin"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
ldflags_base="-s -w"

log() { printf '[tools] %s\n' "$*" >&2; }
need_go() { command -v go >/dev/null || { echo "tools/build.sh: go is not on PATH (Go 1.26 builds the tools)" >&2; exit 1; }; }

# built <dir>: true when <dir> holds a finished build.
built() { [ -f "$1/.done" ]; }
# link <dir>: expose every binary of <dir> on the shared bin directory.
link() { for f in "$1"/*; do [ -x "$f" ] && [ -f "$f" ] && ln -sf "$f" "$bin/$(basename "$f")"; done; return 0; }
# wrapper <dir> <module> <go.mod body>: a fresh module directory to build from.
wrapper() {
  rm -rf "$1" && mkdir -p "$1"
  printf 'module %s\n\ngo 1.26\n%s\n' "$2" "$3" >"$1/go.mod"
}
# timed <tool> <function> [args]: runs one tool's build under a lock of its own (two builds of one tool would share
# its work directory), and logs whether it was cached or how long it took. Every function returns at once when its
# .done stamp exists, so a warm run is a few file checks.
timed() {
  local name=$1; shift
  local start=$SECONDS lock="$cache/.$name.lock"
  exec {lock_fd}>"$lock"
  if ! flock -n "$lock_fd"; then
    log "$name: another build of it is running; waiting for it"
    flock "$lock_fd"
  fi
  current=$name cached=
  "$@"
  if [ -n "$cached" ]; then
    log "$name: cached"
  else
    log "$name built in $((SECONDS - start)) s"
  fi
  current=
  exec {lock_fd}>&-
}
current=
# A failed step says which tool, so the fix and the rerun (`tools/build.sh <tool>`) are obvious.
trap 'status=$?; [ -n "$current" ] && echo "tools/build.sh: building $current failed (exit $status); fix the cause above and run tools/build.sh $current" >&2' EXIT

build_pulumi() {
  local out="$cache/pulumi-$PULUMI_VERSION-nodejs-$PULUMI_LANGUAGE_NODEJS_SDK-kubernetes-$PULUMI_KUBERNETES_VERSION"
  # A build from before the host learnt RunPlugin lacks the stamp; only the host is rebuilt then.
  if built "$out" && [ -f "$out/.nodejs-run-plugin" ]; then link "$out"; cached=1; return; fi
  need_go
  local work="$cache/.work/pulumi"
  mkdir -p "$out"

  # The CLI: pkg/v3 replaces sdk/v3 with ../sdk, so `go install pkg@v` refuses it; a wrapper requires both at one
  # version and copies pkg's other replace.
  if [ ! -x "$out/pulumi" ]; then
    log "pulumi CLI $PULUMI_VERSION (~17 min cold)"
    wrapper "$work/cli" orchestrator-tools/pulumi "
require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
    (cd "$work/cli" && go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" &&
      go build -trimpath -ldflags "$ldflags_base -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
        -o "$out/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  fi

  # The Node.js language host. The engine uses the one next to the `pulumi` binary. The 3.68 host answers RunPlugin,
  # through which CLI 3.274 starts Node.js policy packs, with "not supported"; its package main is copied into the
  # wrapper with that stub dropped and tools/pulumi-language-nodejs/run_plugin.go added in its place.
  if [ ! -x "$out/pulumi-language-nodejs" ] || [ ! -f "$out/.nodejs-run-plugin" ]; then
    log "pulumi-language-nodejs from sdk/v3@v$PULUMI_LANGUAGE_NODEJS_SDK, with RunPlugin for policy packs (~1 min)"
    wrapper "$work/nodejs" orchestrator-tools/pulumi-language-nodejs "
require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_LANGUAGE_NODEJS_SDK

replace golang.org/x/text => golang.org/x/text v0.3.6"
    local sdk
    sdk="$(cd "$work/nodejs" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_LANGUAGE_NODEJS_SDK" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    for f in "$sdk/nodejs/cmd/pulumi-language-nodejs/"*.go; do
      case "$f" in *_test.go) ;; *) cp "$f" "$work/nodejs/" ;; esac
    done
    chmod u+w "$work/nodejs/"*.go
    awk '/^func \(host \*nodeLanguageHost\) RunPlugin\(/ { skip = 1 } !skip { print } skip && /^}/ { skip = 0 }' \
      "$sdk/nodejs/cmd/pulumi-language-nodejs/main.go" >"$work/nodejs/main.go"
    grep -q 'RunPlugin' "$work/nodejs/main.go" && { echo "tools/build.sh: the host's RunPlugin stub is still in main.go" >&2; return 1; }
    cp "$here/pulumi-language-nodejs/run_plugin.go" "$work/nodejs/"
    (cd "$work/nodejs" && go mod tidy &&
      go build -trimpath -ldflags "$ldflags_base -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_LANGUAGE_NODEJS_SDK" \
        -o "$out/pulumi-language-nodejs.tmp" . && mv "$out/pulumi-language-nodejs.tmp" "$out/pulumi-language-nodejs") || return 1
    touch "$out/.nodejs-run-plugin"
  fi

  # The Kubernetes provider. Its main package embeds files generated from schema.json, so it is copied into the
  # wrapper, generated there, and built; sdk/v4 at the release stands in for the provider's `replace => ../sdk`.
  if [ ! -x "$out/pulumi-resource-kubernetes" ]; then
    log "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION (~26-49 min cold)"
    local provider=github.com/pulumi/pulumi-kubernetes/provider/v4
    wrapper "$work/kubernetes" orchestrator-tools/pulumi-resource-kubernetes "
require (
	$provider $PULUMI_KUBERNETES_PROVIDER_MODULE
	github.com/pulumi/pulumi-kubernetes/sdk/v4 v$PULUMI_KUBERNETES_VERSION
)"
    local src
    src="$(cd "$work/kubernetes" && go mod download -json "$provider@$PULUMI_KUBERNETES_PROVIDER_MODULE" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    cp "$src/cmd/pulumi-resource-kubernetes/"{main.go,generate.go,schema.json,terraform-mapping.json} "$work/kubernetes/"
    chmod u+w "$work/kubernetes/"*
    (cd "$work/kubernetes" && go mod tidy && VERSION="$PULUMI_KUBERNETES_VERSION" go run generate.go &&
      go build -trimpath -ldflags "$ldflags_base -X $provider/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
        -o "$out/pulumi-resource-kubernetes" .)
  fi

  # The shims the Pulumi distribution ships beside the CLI: dynamic providers and policy packs run in Node from the
  # program's own node_modules.
  cat >"$out/pulumi-resource-pulumi-nodejs" <<'SHIM'
#!/bin/sh
exec node ./node_modules/@pulumi/pulumi/cmd/dynamic-provider "$@"
SHIM
  cat >"$out/pulumi-analyzer-policy" <<'SHIM'
#!/bin/sh
exec node ./node_modules/@pulumi/pulumi/cmd/run-policy-pack "$@"
SHIM
  chmod +x "$out/pulumi-resource-pulumi-nodejs" "$out/pulumi-analyzer-policy"
  touch "$out/.done" && link "$out"
}

build_kubernetes() {
  local out="$cache/kubernetes-$KUBERNETES_VERSION"
  if built "$out"; then link "$out"; cached=1; return; fi
  need_go
  local work="$cache/.work/kubernetes"
  log "kube-apiserver, kube-controller-manager, kube-scheduler, kubectl $KUBERNETES_VERSION (12-28 min cold)"
  # k8s.io/kubernetes replaces each staging module with ./staging/…; the same modules are published at v0.<minor>.<patch>.
  local staging replaces
  staging="v0.${KUBERNETES_VERSION#*.}"
  wrapper "$work" orchestrator-tools/kubernetes "require k8s.io/kubernetes v$KUBERNETES_VERSION"
  local gomod
  gomod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  replaces="$(sed -n 's#^\t\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#\1#p' "$gomod" | sed "s#.*#\t& => & $staging#")"
  printf '\nreplace (\n%s\n)\n' "$replaces" >>"$work/go.mod"
  local version_pkg major minor ldflags
  major="${KUBERNETES_VERSION%%.*}"; minor="${KUBERNETES_VERSION#*.}"; minor="${minor%%.*}"
  ldflags="$ldflags_base"
  for version_pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $version_pkg.gitVersion=v$KUBERNETES_VERSION -X $version_pkg.gitMajor=$major -X $version_pkg.gitMinor=$minor"
    ldflags+=" -X $version_pkg.gitTreeState=clean -X $version_pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$out"
  # `go get` per command: each one's imports need their own go.sum entries (the controller-manager pulls in
  # cadvisor, CSI, …, which the apiserver does not). A binary already built is kept.
  (cd "$work" && for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
      [ -x "$out/$cmd" ] && continue
      go get "k8s.io/kubernetes/cmd/$cmd@v$KUBERNETES_VERSION" &&
        go build -trimpath -ldflags "$ldflags" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd" && mv "$out/$cmd.tmp" "$out/$cmd" || exit 1
    done)
  touch "$out/.done" && link "$out"
}

build_etcd() {
  local out="$cache/etcd-$ETCD_VERSION"
  if built "$out"; then link "$out"; cached=1; return; fi
  need_go
  local work="$cache/.work/etcd"
  log "etcd $ETCD_VERSION (~2 min cold)"
  wrapper "$work" orchestrator-tools/etcd ""
  mkdir -p "$out"
  (cd "$work" && go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" &&
    go build -trimpath -ldflags "$ldflags_base" -o "$out/etcd" go.etcd.io/etcd/server/v3)
  touch "$out/.done" && link "$out"
}

build_go_install() { # <name> <version> <package>
  local out="$cache/$1-$2"
  if built "$out"; then link "$out"; cached=1; return; fi
  need_go
  log "$1 $2"
  mkdir -p "$out"
  GOBIN="$out" go install -trimpath -ldflags "$ldflags_base" "$3@v$2"
  touch "$out/.done" && link "$out"
}

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(pulumi kubernetes etcd kwok actionlint)
started=$SECONDS
for tool in "${tools[@]}"; do
  case "$tool" in
    pulumi) timed pulumi build_pulumi ;;
    kubernetes) timed kubernetes build_kubernetes ;;
    etcd) timed etcd build_etcd ;;
    kwok) timed kwok build_go_install kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok ;;
    actionlint) timed actionlint build_go_install actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint ;;
    *) echo "tools/build.sh: unknown tool '$tool' (pulumi kubernetes etcd kwok actionlint)" >&2; exit 2 ;;
  esac
done
log "${tools[*]}: ready in $((SECONDS - started)) s"
echo "$bin"
