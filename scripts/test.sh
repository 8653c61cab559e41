#!/usr/bin/env bash
# README command #2: installs what the tests need, builds, and runs every test layer
# (unit, kernel, real VS Code), then prints one "N passed, N failed" line for all of them.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --vscode || { echo "setup failed"; exit 1; }
npm run --silent build || { echo "build failed"; exit 1; }
npx tsc -p . --noEmit || { echo "typecheck failed"; exit 1; }
# Layers (no vscode outside src/extension), import cycles and formatting.
npm run --silent lint || { echo "lint failed (npm run format fixes formatting)"; exit 1; }

mkdir -p test-results
export EBPF_TEST_SUMMARY="$PWD/test-results/summary.jsonl"
rm -f "$EBPF_TEST_SUMMARY"

status=0
run_layer() {
  local name=$1; shift
  echo; echo "=== $name tests"
  if ! "$@"; then
    echo "=== $name tests failed"
    status=1
  fi
  grep -q "\"layer\":\"$name\"" "$EBPF_TEST_SUMMARY" 2>/dev/null || { echo "=== $name tests reported no result"; status=1; }
}

run_layer unit npx mocha --config test/unit/.mocharc.json
run_layer kernel npx mocha --config test/kernel/.mocharc.json
run_layer vscode node test/vscode/run-code-server.mjs

node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
  const sum = (k) => lines.reduce((n, l) => n + l[k], 0);
  for (const l of lines) console.log(`  ${l.layer}: ${l.passed} passed, ${l.failed} failed, ${l.skipped} skipped`);
  console.log(`total: ${sum("passed")} passed, ${sum("failed")} failed, ${sum("skipped")} skipped`);
' "$EBPF_TEST_SUMMARY" || status=1

# Nothing the tests loaded may stay behind: the helper's fds close with it, pins are removed.
leftover=$(ls /sys/fs/bpf 2>/dev/null | grep -i -E 'ebpf-?workbench|^ebpf-test' || true)
if [ -n "$leftover" ]; then echo "tests left pins in /sys/fs/bpf: $leftover"; status=1; fi
exit $status
