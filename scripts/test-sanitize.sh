#!/usr/bin/env bash
# Build the addon with AddressSanitizer + UndefinedBehaviorSanitizer in a
# scratch directory and run the test suite against it (npm run test:sanitize).
# Node itself is not instrumented, so the ASan runtime is preloaded; leak
# detection is off because Node deliberately leaks at exit (V8 heap, etc.).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/.tmp/sanitize
rm -rf "$dir" && mkdir -p "$dir"
cp -r binding.gyp native "$dir/"
# node-gyp: npm's own copy (npm run puts it on PATH; found by hand otherwise).
gyp=(node-gyp)
if ! command -v node-gyp >/dev/null; then
  npm_root=$(npm root -g)/npm
  gyp=(node "${npm_config_node_gyp:-$npm_root/node_modules/node-gyp/bin/node-gyp.js}")
  nodedir=$(npm config get nodedir 2>/dev/null || true)
  if [ -n "$nodedir" ] && [ "$nodedir" != undefined ]; then gyp+=("--nodedir=$nodedir"); fi
fi
flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
(cd "$dir" && CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" \
  "${gyp[0]}" "${gyp[@]:1}" rebuild >/dev/null 2>build.log || {
  cat build.log >&2
  exit 1
})
asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
export LD_PRELOAD="$asan:$ubsan"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export IOREADY_NATIVE_PATH="$dir/build/Release/ioready.node"
# Tests that measure memory skip themselves: under ASan the RSS is the sanitizer's.
export IOREADY_SANITIZE="address,undefined"
if ! nm -u "$IOREADY_NATIVE_PATH" | grep __asan >/dev/null; then
  echo "test:sanitize: the addon was not built with ASan" >&2
  exit 1
fi
echo "test:sanitize: running the suite with $IOREADY_NATIVE_PATH (ASan+UBSan)"
if [ $# -gt 0 ]; then files=("$@"); else files=(test/*.test.ts); fi
exec node --import tsx --test --test-timeout=300000 "${files[@]}"
