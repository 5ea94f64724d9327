#!/usr/bin/env bash
# Installs what nsvswitch needs to build, test and run its embedded demo on a
# fresh Debian machine (as root), skipping whatever is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v ovsdb-server >/dev/null 2>&1 || need+=(openvswitch-switch)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
{ command -v nsenter && command -v setpriv; } >/dev/null 2>&1 || need+=(util-linux)
# Host seal (nftables ingress drop on host veth ends) and the offload fallback.
command -v nft >/dev/null 2>&1 || need+=(nftables)
# Tenant gateways: NAT bindings of a removed tenant are flushed with conntrack -D.
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v ethtool >/dev/null 2>&1 || need+=(ethtool)
command -v sysctl >/dev/null 2>&1 || need+=(procps)
# The native addon is built with the C compiler (the fallback is used without it).
command -v cc >/dev/null 2>&1 || need+=(gcc libc6-dev)
# Test-only tools (scripts/test.sh passes --test): promtool checks the metrics
# exposition, systemd-analyze checks the systemd unit.
if [ "${1:-}" = "--test" ]; then
  command -v promtool >/dev/null 2>&1 || need+=(prometheus)
  command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
  # Attack tests (raw frames), traffic checks and the throughput bench.
  /usr/bin/python3 -c 'import scapy' >/dev/null 2>&1 || need+=(python3-scapy)
  command -v tcpdump >/dev/null 2>&1 || need+=(tcpdump)
  command -v iperf3 >/dev/null 2>&1 || need+=(iperf3)
  # Docker workloads (test/integration/workloads): a real dockerd, and busybox-static for a registry-free image.
  [ -x /usr/sbin/dockerd ] && [ -x /usr/bin/docker ] || need+=(docker.io)
  [ -x /bin/busybox ] || need+=(busybox-static)
  # Kubernetes pods (test/integration/workloads/cri-*, bench/cri.ts): containerd with its CRI plugin, and
  # the CNI plugins (ptp, host-local) that stand in for the cluster's primary network.
  { [ -x /usr/bin/containerd ] && [ -x /usr/bin/ctr ]; } || need+=(containerd)
  { [ -x /usr/lib/cni/ptp ] && [ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/loopback ]; } || need+=(containernetworking-plugins)
  # Tenants across hosts (test/integration/ovn, bench/ovn.ts): OVN's clustered databases, ovn-northd and ovn-controller.
  { command -v ovn-northd && command -v ovsdb-tool; } >/dev/null 2>&1 || need+=(ovn-central)
  { command -v ovn-controller && command -v ovn-trace; } >/dev/null 2>&1 || need+=(ovn-host)
fi
if [ "${#need[@]}" -gt 0 ]; then
  echo "bootstrap: installing ${need[*]}" >&2
  # Packages must not start a system-wide OVS: we run private ones.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
# The native addon (npm ci builds it too; this catches a checkout whose node_modules predates it).
node scripts/build-native.mjs
