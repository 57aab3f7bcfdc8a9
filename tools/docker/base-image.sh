#!/usr/bin/env bash
# Makes the services' base image locally, where no registry is reachable: Debian bookworm minbase from mmdebstrap,
# imported, plus this host's Node (tools/docker/node-base.Dockerfile), tagged under the exact name the services'
# Dockerfiles use in `FROM` (node:<version>-bookworm-slim). The name is pinned to a Node version, so the host's Node
# must be that version; on a machine with a registry the same FROM pulls the official image instead.
#
#   tools/docker/base-image.sh        needs a running engine: DOCKER_HOST from `tools/docker/dockerd.sh start`
#   ORCHESTRATOR_IMAGE_CACHE          default ~/.cache/orchestrator/images: the mmdebstrap tarballs (1-3 min to make)
#
# Nothing is redone that has not changed: the tarball is keyed by what goes into it (suite, variant, options, apt
# sources, mmdebstrap's version), the imported rootfs by the same key, and the Node image carries a label with the
# hash of everything copied into it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/tools/docker"
cache="${ORCHESTRATOR_IMAGE_CACHE:-$HOME/.cache/orchestrator/images}"
docker=/usr/bin/docker
export DOCKER_BUILDKIT=1

say() { printf '[base-image] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The one base every Dockerfile names; they must agree, and the host's Node must be its version.
base="$(sed -n 's/^FROM[[:space:]]\{1,\}\(node:[^[:space:]]*\).*/\1/p' "$root"/services/*/Dockerfile | sort -u)"
[ -n "$base" ] || die "no services/*/Dockerfile has a FROM node:… line"
[ "$(wc -l <<<"$base")" = 1 ] || die "the Dockerfiles name different Node bases ($(tr '\n' ' ' <<<"$base")); pin them all to one"
node_version="$(node --version | sed 's/^v//')"
[ "$base" = "node:${node_version}-bookworm-slim" ] ||
  die "the Dockerfiles use $base but this host's Node is $node_version; a local base can only be made from the host's Node"
"$docker" version --format '{{.Server.Version}}' >/dev/null 2>&1 ||
  die "no Docker engine answers at ${DOCKER_HOST:-the default socket}; run: eval \"\$(tools/docker/dockerd.sh start)\""

# --- 1. Debian bookworm minbase, the slow part (mmdebstrap downloads and unpacks ~100 packages) ---------------------
sources=/etc/apt/sources.list.d/debian.sources
# Like the official slim images: no manuals, no docs but the copyright files, no translations, no recommends.
mmdebstrap_opts=(
  --variant=minbase
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
  --aptopt='APT::Install-Recommends "false"'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  # apt lists are 40+ MB and stale by the next build; every Dockerfile runs apt-get update before installing.
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin'
)
rootfs_key="$( { echo bookworm; printf '%s\n' "${mmdebstrap_opts[@]}"; cat "$sources"; mmdebstrap --version; } | sha256sum | cut -c1-16)"
tarball="$cache/bookworm-minbase-$rootfs_key.tar"
rootfs_image="orchestrator-local/bookworm-minbase:$rootfs_key"
if [ ! -f "$tarball" ]; then
  command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (Debian: apt-get install mmdebstrap)"
  mkdir -p "$cache"
  say "making $tarball with mmdebstrap (1-3 min)"
  start=$SECONDS
  if ! mmdebstrap --format=tar "${mmdebstrap_opts[@]}" bookworm "$tarball.partial" "$sources" >"$cache/mmdebstrap.log" 2>&1; then
    tail -n 20 "$cache/mmdebstrap.log" >&2
    rm -f "$tarball.partial"
    die "mmdebstrap failed (whole log: $cache/mmdebstrap.log)"
  fi
  mv "$tarball.partial" "$tarball"
  say "rootfs made in $((SECONDS - start)) s ($(du -h "$tarball" | cut -f1))"
fi
if ! "$docker" image inspect "$rootfs_image" >/dev/null 2>&1; then
  say "importing $rootfs_image"
  "$docker" import "$tarball" "$rootfs_image" >/dev/null
fi

# --- 2. The Node layer, from the host ---------------------------------------------------------------------------------
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)"
headers="$(dirname "$node_bin")/../include/node"
[ -f "$headers/node_version.h" ] || die "no Node headers at $headers (node-gyp in the build stage needs them)"
cafile=/etc/ssl/certs/ca-certificates.crt
# What the image is made of; a change to any of it makes a new image.
node_key="$( {
  echo "$rootfs_key"
  sha256sum "$node_bin" "$cafile" "$here/node-base.Dockerfile"
  "$npm_dir/bin/npm-cli.js" --version
  find "$headers" -type f -printf '%P %s\n' | sort
} | sha256sum | cut -c1-16)"
if [ "$("$docker" image inspect --format '{{index .Config.Labels "org.orchestrator.base-key"}}' "$base" 2>/dev/null)" = "$node_key" ]; then
  say "$base is up to date ($node_key)"
  exit 0
fi
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
cp "$node_bin" "$context/node"
cp -a "$npm_dir" "$context/npm"
cp -aL "$headers" "$context/include"
cp "$cafile" "$context/ca-certificates.crt"
say "building $base from $rootfs_image and Node $node_version"
"$docker" build --quiet --network=none -f "$here/node-base.Dockerfile" \
  --build-arg "ROOTFS=$rootfs_image" --build-arg "NODE_VERSION=$node_version" \
  --label "org.orchestrator.base-key=$node_key" -t "$base" "$context" >/dev/null
say "$base ready ($("$docker" image inspect --format '{{.Size}}' "$base" | awk '{printf "%.0f MB", $1/1e6}'))"
