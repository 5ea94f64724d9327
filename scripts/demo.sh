#!/usr/bin/env bash
# The main job on its embedded default: a private userspace OVS started here,
# example tenants, a few namespaces, and the agent plugging and isolating them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node bin/nsvswitch.js demo "$@"
