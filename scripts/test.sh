#!/usr/bin/env bash
# The full test suite: unit tests, the offline demo end to end, and the notebooks.
# Ends with a plain "N passed, N failed, N skipped" line (Deno's own summary is not that shape).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh test || exit 1
export PATH="$PATH:$HOME/.local/bin"
log=$(mktemp)
NO_COLOR=1 deno test --allow-all --frozen "$@" tests/ 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| ' "$log" | tail -n 1)
passed=$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$summary")
failed=$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$summary")
skipped=$(sed -nE 's/.* ([0-9]+) ignored.*/\1/p' <<<"$summary")
rm -f "$log"
echo
echo "${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
if [ "$rc" -eq 0 ] && [ "${passed:-0}" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$rc"
