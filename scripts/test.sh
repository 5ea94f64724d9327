#!/usr/bin/env bash
# The whole test suite: installs what it needs, then lint, type check, and
# every unit and integration test (real OVS, real namespaces, real packets).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test

echo "== lint" >&2
npx eslint .
echo "== typecheck" >&2
npx tsc --noEmit

echo "== build" >&2
npm run --silent build

echo "== tests" >&2
report=.vitest-report.json
rm -f "$report"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
if [ -f "$report" ]; then
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$report"
else
  echo "0 passed, 1 failed"
  [ "$status" = 0 ] && status=1
fi
exit "$status"
