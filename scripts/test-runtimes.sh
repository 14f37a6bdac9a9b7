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

# The runtime's executable: on PATH, or in the tools prefix (installed there if missing).
find_runtime() {
  local name="$1"
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  if [[ ! -x "$tools/node_modules/.bin/$name" ]]; then
    echo "test-runtimes: installing $name into $tools" >&2
    npm install --prefix "$tools" --no-save --no-audit --no-fund "$name" >&2
  fi
  echo "$tools/node_modules/.bin/$name"
}

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
