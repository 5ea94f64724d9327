#!/usr/bin/env bash
# Builds the nsvswitch agent image without any registry: a base image made
# from this machine's own binaries (node, iproute2, util-linux, Open vSwitch
# tools, nftables, ethtool, procps, conntrack and every library `ldd` lists
# for them), imported with `docker import`, then `docker build` of
# deploy/container/Containerfile FROM it, with the compiled agent and its
# production dependencies staged from this checkout.
#
#   deploy/container/build.sh [--tag nsvswitch:local] [--base-tag nsvswitch-base:local]
#
# Needs: a Debian-like host with the tools above installed (the ones the agent
# runs on a host: see docs/operations.md), this checkout with `npm ci` done,
# and a Docker engine (DOCKER_HOST is honoured; DOCKER names the CLI to use).
# Nothing outside a temporary directory is written; dist/ is not touched.
set -euo pipefail

tag=nsvswitch:local
base_tag=nsvswitch-base:local
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --base-tag) base_tag=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
docker=${DOCKER:-docker}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/nsvswitch-image.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- the base: host binaries and their libraries ---------------------------
# Programs the agent runs (docs/operations.md, "What it runs"); conntrack is
# only used by tenant gateways and is skipped when absent.
required=(node ip nsenter setpriv ovs-vsctl ovs-ofctl ovs-appctl nft ethtool sysctl)
optional=(conntrack)
rootfs=$work/rootfs
mkdir -p "$rootfs"/{etc,tmp,run,usr/bin,usr/sbin,usr/lib,var,opt/nsvswitch,etc/nsvswitch/tenants.d}
chmod 1777 "$rootfs/tmp"
# Debian's merged /usr: /bin, /sbin and /lib* are links into /usr.
for d in bin sbin lib lib32 lib64 libx32; do
  [ -L "/$d" ] && ln -sfn "usr/$d" "$rootfs/$d"
done
[ -d "$rootfs/usr/lib64" ] || mkdir -p "$rootfs/usr/lib64"
ln -sfn ../run "$rootfs/var/run"

# Copies a file to the same path in the rootfs, resolving symbolic links
# (the link itself and its target both land in the image).
copy_path() {
  local src=$1
  [ -e "$src" ] || return 0
  local dest=$rootfs$src
  [ -e "$dest" ] && return 0
  mkdir -p "$(dirname "$dest")"
  if [ -L "$src" ]; then
    local target
    target=$(readlink -f "$src")
    copy_path "$target"
    ln -sfn "$target" "$dest"
  else
    cp -p "$src" "$dest"
  fi
}

copy_with_libs() {
  local bin=$1
  copy_path "$bin"
  # ldd prints "name => /path (addr)" and the loader as "/path (addr)".
  ldd "$bin" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | while read -r lib; do
    copy_path "$lib"
  done
}

for prog in "${required[@]}" "${optional[@]}"; do
  path=$(command -v "$prog" || true)
  if [ -z "$path" ]; then
    for o in "${optional[@]}"; do [ "$o" = "$prog" ] && continue 2; done
    echo "build.sh: $prog not found on this machine (install it: docs/operations.md)" >&2
    exit 1
  fi
  copy_with_libs "$path"
  # The agent calls programs by name: make each one reachable at the usual place in PATH.
  [ -e "$rootfs/usr/bin/$prog" ] || [ -e "$rootfs/usr/sbin/$prog" ] || ln -s "$(readlink -f "$path")" "$rootfs/usr/bin/$prog"
done
# Name service basics for root, and the ovs tools' data.
printf 'root:x:0:0:root:/root:/nonexistent\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\n' > "$rootfs/etc/group"
printf 'hosts: files\n' > "$rootfs/etc/nsswitch.conf"
[ -d /etc/iproute2 ] && cp -a /etc/iproute2 "$rootfs/etc/"
[ -d /usr/share/iproute2 ] && mkdir -p "$rootfs/usr/share" && cp -a /usr/share/iproute2 "$rootfs/usr/share/"

tar -C "$rootfs" -cf "$work/base.tar" .
"$docker" import "$work/base.tar" "$base_tag" >/dev/null
echo "build.sh: base image $base_tag ($(du -sh "$rootfs" | cut -f1) from this machine's binaries)"

# --- the agent: compiled JavaScript and production dependencies -----------
ctx=$work/context
app=$ctx/app
mkdir -p "$app"
cp "$root/package.json" "$root/package-lock.json" "$app/"
cp -r "$root/bin" "$app/bin"
node "$root/node_modules/typescript/bin/tsc" -p "$root/tsconfig.build.json" --outDir "$app/dist" --declaration false --sourceMap false --incremental false
date -u +%Y-%m-%dT%H:%M:%SZ > "$app/dist/.build-stamp"
if [ -f "$root/build/native/nsvswitch.node" ]; then
  mkdir -p "$app/build/native"
  cp "$root/build/native/nsvswitch.node" "$app/build/native/"
fi
# Production dependencies only, as npm resolved them in this checkout (no network).
mkdir -p "$app/node_modules"
# (npm ls also exits non-zero for extraneous packages; a missing one fails the image's self-check below.)
(cd "$root" && npm ls --omit=dev --all --parseable 2>/dev/null || true) | while read -r dir; do
  rel=${dir#"$root"/node_modules/}
  [ "$rel" = "$dir" ] && continue         # the project itself
  case "$rel" in */node_modules/*) continue ;; esac   # nested: copied with its parent
  mkdir -p "$app/node_modules/$(dirname "$rel")"
  [ -e "$app/node_modules/$rel" ] || cp -a "$dir" "$app/node_modules/$rel"
done
cp "$root/deploy/container/Containerfile" "$ctx/Containerfile"

"$docker" build -q -f "$ctx/Containerfile" --build-arg "BASE=$base_tag" -t "$tag" "$ctx" >/dev/null
# Self-check: the image starts the compiled agent (no network, nothing mounted).
version=$("$docker" run --rm --network none "$tag" --version)
echo "build.sh: image $tag ($version)"
