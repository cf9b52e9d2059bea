#!/usr/bin/env bash
# `npm run oracles`: re-records every Wireshark run the tests compare podpath with
# (test/helpers/oracle.ts) from the tools installed here. The old records are removed first,
# so what remains is exactly what the tests ask for; each entry keeps the command line, the
# tool's version and the sha256 of its inputs. Commit test/oracles/ afterwards.
# `npm run oracles -- test/x.test.ts …` records only those files' runs and keeps the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in tshark editcap; do
  command -v "$tool" >/dev/null || { echo "npm run oracles needs $tool: apt-get install tshark" >&2; exit 2; }
done
tshark --version | head -1
if [ $# -gt 0 ]; then
  tests=("$@")
else
  find test/oracles -name '*.json' -delete
  mapfile -t tests < <(grep -rlE "helpers/oracle\.ts|tshark-oracle\.ts|'\./tshark\.ts'" test --include='*.test.ts' --include='*.test.tsx' | sort)
fi
# Timing does not matter while recording, and a loaded machine must not cut a test short
# before it has asked tshark everything.
PODPATH_RECORD_ORACLES=1 npx vitest run --testTimeout=600000 "${tests[@]}"
echo "recorded $(find test/oracles -name '*.json' | wc -l) capture records under test/oracles/"
