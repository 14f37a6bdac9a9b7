#!/usr/bin/env bash
# Run the smoke suite (test/runtimes/smoke.mjs) against dist/ under Node, Bun
# and Deno. Bun and Deno come from their npm packages, installed on first use
# into a tools prefix outside the project's dependencies:
#   IOREADY_TOOLS_DIR (default: .tmp/runtimes, gitignored)
# A runtime already on PATH is used as it is.
#
#   npm run test:runtimes          # builds dist/ first
#   bash scripts/test-runtimes.sh  # dist/ must be built
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools="${IOREADY_TOOLS_DIR:-$root/.tmp/runtimes}"

if [[ ! -f dist/index.mjs || ! -f dist/compat/epoll.js ]]; then
  echo "test-runtimes: dist/ is not built; run 'npm run build'" >&2
  exit 2
fi

# The runtime's executable: on PATH, or in the tools prefix.
find_runtime() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; else echo "$tools/node_modules/.bin/$1"; fi
}
# Install the missing ones in one go (the prefix gets its own package.json, so
# a later install does not prune an earlier one).
missing=()
for name in bun deno; do
  [[ -x "$(find_runtime "$name")" ]] || missing+=("$name")
done
if [[ ${#missing[@]} -ne 0 ]]; then
  echo "test-runtimes: installing ${missing[*]} from npm into $tools" >&2
  mkdir -p "$tools"
  [[ -f "$tools/package.json" ]] || echo '{ "private": true }' >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund "${missing[@]}" >&2
fi
bun="$(find_runtime bun)"
deno="$(find_runtime deno)"

failed=()
run() {
  local label="$1"
  shift
  echo "== $label: $*"
  # A time limit: a watch that keeps the loop alive after the suite is a failure too.
  if timeout 60 "$@" test/runtimes/smoke.mjs; then
    echo "== $label: ok"
  else
    echo "== $label: FAILED (exit $?)"
    failed+=("$label")
  fi
}

run node node
run "node (thread bridge)" env IOREADY_WATCH=thread node
run bun "$bun"
run deno "$deno" run -A

if [[ ${#failed[@]} -ne 0 ]]; then
  echo "test-runtimes: failed: ${failed[*]}"
  exit 1
fi
echo "test-runtimes: node, bun ($("$bun" --version)), deno ($("$deno" --version | head -1)) all passed"
