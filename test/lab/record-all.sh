#!/usr/bin/env bash
# npm run lab: regenerate every samples/<scenario>/ from a live lab (needs root).
# record.ts tears its namespaces down itself (also on SIGINT/SIGTERM); this trap is the
# backstop for a crash: it stops the processes still running in the lab's own
# namespaces (by pid) and deletes those namespaces — the `pl-<scenario tag>-` ones only.
set -euo pipefail
cd "$(dirname "$0")/../.."

cleanup() {
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^pl-(sf|sc|ff|fd|fr|fh|cb|kn|mo|au|bo|cp|fp)-' || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
  echo "npm run lab: needs root (network namespaces, iptables, tcpdump)" >&2
  exit 2
fi
node bin/run-ts.js test/lab/record.ts --out samples --prefix pl "$@"
