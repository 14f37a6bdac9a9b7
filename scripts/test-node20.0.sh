#!/usr/bin/env bash
# `npm run test:node20.0`: the whole suite (scripts/test.mjs) on the oldest Node that
# `engines` claims (>= 20), 20.0.0, or on IOREADY_OLD_NODE (e.g. 20.5.1). That Node comes
# from npm, as the node-linux-<arch> package (a plain tarball with bin/node), unpacked
# once under .tmp/ (gitignored); the system's node and npm stay as they are (the tests
# start their children with process.execPath, so they run on the old Node too).
#
#   npm run test:node20.0
#   npm run test:node20.0 -- test/watch.test.ts
#   IOREADY_OLD_NODE=20.5.1 npm run test:node20.0
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="${IOREADY_OLD_NODE:-20.0.0}"
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  armv7l) arch=armv7l ;;
  *) echo "test-node20.0: no node-linux package for $(uname -m)" >&2; exit 2 ;;
esac
dir="$root/.tmp/node-v$version-linux-$arch"
node_bin="$dir/package/bin/node"
if [[ ! -x "$node_bin" ]]; then
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "node-linux-$arch@$version" >/dev/null && tar xzf "node-linux-$arch-$version.tgz" && rm "node-linux-$arch-$version.tgz")
fi
echo "test-node20.0: $("$node_bin" --version) ($node_bin)"
bash "$root/scripts/setup-system.sh"
cd "$root"
exec "$node_bin" scripts/test.mjs "$@"
