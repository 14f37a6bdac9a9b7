#!/usr/bin/env bash
# The package as users get it: `npm pack` (its prepack builds the prebuilt binaries), install
# the tarball into an empty directory with NO compiler or make on PATH, then
#  - require('ioready') and import('ioready') give the same Epoll class, loaded
#    from the tarball's prebuilds/ (no build/ directory appears);
#  - the runtime smoke suite (test/runtimes/smoke.mjs) passes against the
#    installed package: poll() and start() on a pipe, wait(), events(), compat;
#  - require('ioready/compat/epoll') and require('ioready/compat/onoff') work from CommonJS;
#  - a small TypeScript consumer type-checks (tsc --noEmit) against the
#    installed types, as CommonJS (node10 resolution) and as ESM (nodenext).
#
#   npm run test:pack
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ioready-pack.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "== build, pack (prepack: scripts/prebuild.sh makes and checks prebuilds/)"
npm run build --silent
tarball="$(npm pack --silent --pack-destination "$tmp" 2>"$tmp/prebuild.log" | tail -1)" || { cat "$tmp/prebuild.log"; exit 1; }
tarball="$tmp/$tarball"
echo "   $(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB"
tar -tzf "$tarball" >"$tmp/contents"
grep 'package/prebuilds/.*\.node$' "$tmp/contents" | sed 's/^/   /'
for f in linux-x64/node.napi.glibc.node linux-arm64/node.napi.glibc.node linux-arm/node.napi.armv7.glibc.node linux-arm/node.napi.armv6.glibc.node; do
  grep -qx "package/prebuilds/$f" "$tmp/contents" || { echo "no prebuilds/$f in the tarball" >&2; exit 1; }
done

# A PATH with everything the system has, except compilers, assemblers, linkers and make.
bin="$tmp/bin"
source "$root/scripts/no-compiler-path.sh"
no_compiler_path "$bin" || exit 1
echo "== install into an empty directory, PATH without cc/gcc/g++/make"
app="$tmp/app"
mkdir -p "$app"
cd "$app"
echo '{ "name": "ioready-consumer", "version": "1.0.0", "private": true }' >package.json
PATH="$bin" npm install --silent --no-audit --no-fund "$tarball"
[[ ! -d node_modules/ioready/build ]] || { echo "the install compiled the addon (node_modules/ioready/build exists)" >&2; exit 1; }

echo "== require and import"
cat >cjs-esm.cjs <<'EOF'
const assert = require('node:assert/strict');
const path = require('node:path');
const cjs = require('ioready');
const { Epoll: CompatEpoll } = require('ioready/compat/epoll');
const { Gpio } = require('ioready/compat/onoff');
assert.equal(Gpio.HIGH, 1);
assert.equal(typeof Gpio.accessible, 'boolean');
const loaded = require('node-gyp-build').resolve(path.dirname(require.resolve('ioready/package.json')));
assert.match(loaded, /\/node_modules\/ioready\/prebuilds\/linux-x64\/[^/]+\.node$/, 'addon from prebuilds/');
import('ioready').then((esm) => {
  assert.equal(esm.Epoll, cjs.Epoll, 'one Epoll class for import and require');
  assert.equal(esm.default.Epoll, cjs.Epoll);
  assert.equal(typeof CompatEpoll, 'function');
  assert.equal(CompatEpoll.EPOLLPRI, cjs.EPOLLPRI);
  const ep = new cjs.Epoll();
  const [r, w] = cjs.pipe();
  ep.register(r);
  cjs.write(w, Buffer.from('x'));
  assert.deepEqual(ep.poll(1000), [[r, cjs.EPOLLIN]]);
  ep.close();
  cjs.close(r);
  cjs.close(w);
  console.log(`ok - require and import give one Epoll; addon: ${path.relative(process.cwd(), loaded)}`);

  // The ptys, pidfds, fd passing, ioctl and GPIO exports: the same under import and require,
  // and each reaches its system call through the prebuilt binary.
  const added = ['openpty', 'ttyAttributes', 'ttyConfigure', 'pidfdOpen', 'pidfdSendSignal', 'sendFds', 'recvFds',
    'ioctl', 'gpioChips', 'findLine', 'openChip', 'requestLines', 'Chip', 'LineRequest'];
  for (const name of added) {
    assert.equal(typeof cjs[name], 'function', name);
    assert.equal(esm[name], cjs[name], `${name}: one function for import and require`);
  }
  assert.equal(esm.SCM_MAX_FD, cjs.SCM_MAX_FD);
  const [c, t] = cjs.openpty();
  assert.equal(cjs.ttyConfigure(t, { baudRate: 250000, raw: true }).baudRate, 250000, 'termios2 through BOTHER');
  assert.equal(cjs.ttyAttributes(t).baudRate, 250000);
  const pidfd = cjs.pidfdOpen(process.pid);
  cjs.pidfdSendSignal(pidfd, 0);
  const [a, b] = cjs.socketpair();
  const [r2, w2] = cjs.pipe();
  assert.equal(cjs.sendFds(a, Buffer.from('m'), [w2]), 1);
  const got = cjs.recvFds(b, Buffer.alloc(1), 1);
  assert.equal(got.fds.length, 1);
  assert.equal(cjs.ioctl(r2, 0x5451), 0, 'FIOCLEX through the generic ioctl');
  assert.ok(Array.isArray(cjs.gpioChips()));
  for (const fd of [c, t, pidfd, a, b, r2, w2, ...got.fds]) cjs.close(fd);
  console.log(`ok - ${added.length} pty, pidfd, fd-passing, ioctl and GPIO exports load from both; openpty/termios2, pidfd, SCM_RIGHTS and ioctl work`);
});
EOF
PATH="$bin" node cjs-esm.cjs

echo "== smoke suite against the installed package"
sed -e "s#'../../dist/index.mjs'#'ioready'#" -e "s#'../../dist/compat/epoll.js'#'ioready/compat/epoll'#" \
  "$root/test/runtimes/smoke.mjs" >smoke.mjs
grep -q "'../../dist" smoke.mjs && { echo "smoke.mjs still imports dist/" >&2; exit 1; }
PATH="$bin" timeout 60 node smoke.mjs

# Bun and Deno against the installed package too, when test:runtimes has installed them.
for rt in bun "deno run -A"; do
  exe="${rt%% *}"
  exe="$(command -v "$exe" || echo "$root/.tmp/runtimes/node_modules/.bin/$exe")"
  if [[ -x "$exe" ]]; then
    out="$(PATH="$bin" timeout 60 "$exe" ${rt#"${rt%% *}"} smoke.mjs 2>&1)" || { printf '%s\n' "$out"; exit 1; }
    printf '%s\n' "$out" | tail -1
  else
    echo "   (${rt%% *} not installed: run npm run test:runtimes once to include it)"
  fi
done

echo "== an arch with no prebuilt binary (npm_config_arch=riscv64, which node-gyp-build honours)"
# Without a compiler the install fails, saying what to install (scripts/install-check.cjs)...
other="$tmp/other"
mkdir -p "$other"
echo '{ "name": "ioready-consumer", "version": "1.0.0", "private": true }' >"$other/package.json"
if (cd "$other" && PATH="$bin" npm_config_arch=riscv64 npm install --no-audit --no-fund --loglevel=error "$tarball" >"$tmp/riscv.log" 2>&1); then
  echo "the install on riscv64 without a compiler succeeded" >&2; exit 1
fi
grep -q 'ioready: no prebuilt binary for linux-riscv64 (glibc)' "$tmp/riscv.log" &&
  grep -q 'ioready: cannot build from source: a C compiler, make not found' "$tmp/riscv.log" &&
  grep -q 'apt-get install build-essential python3' "$tmp/riscv.log" || { cat "$tmp/riscv.log"; echo "no clear message" >&2; exit 1; }
sed -n 's/^npm error \(ioready: .*\)/   \1/p' "$tmp/riscv.log"
# ...and with one (this machine's), it builds from source and loads that build.
rm -rf "$other/node_modules" "$other/package-lock.json"
(cd "$other" && npm_config_arch=riscv64 npm install --no-audit --no-fund --loglevel=error "$tarball" >"$tmp/riscv.log" 2>&1) || { cat "$tmp/riscv.log"; exit 1; }
[[ -f "$other/node_modules/ioready/build/Release/ioready.node" ]] || { echo "no source build on riscv64" >&2; exit 1; }
(cd "$other" && npm_config_arch=riscv64 node -e "
  const p = require('node-gyp-build').resolve('node_modules/ioready');
  if (!p.endsWith('/build/Release/ioready.node')) throw new Error('loaded ' + p);
  const io = require('ioready'); const ep = new io.Epoll(); ep.close();
  console.log('ok - with a compiler, the install builds from source: ' + require('node:path').relative(process.cwd(), p));")

echo "== TypeScript consumers (tsc --noEmit)"
cat >consumer.ts <<'EOF'
import { Epoll, EPOLLIN, EPOLLOUT, eventNames, pipe, read, write, close, type EpollEvent, type FdLike } from 'ioready';
import { Epoll as CompatEpoll } from 'ioready/compat/epoll';
import { Gpio, type BinaryValue, type ValueCallback } from 'ioready/compat/onoff';

const ep: Epoll = new Epoll({ cloexec: true });
const [r, w]: [number, number] = pipe();
const target: FdLike = { fileno: () => r };
ep.register(target, EPOLLIN | EPOLLOUT);
write(w, Buffer.from('x'));
const ready: EpollEvent[] = ep.poll(0, -1);
const names: string[] = ready.flatMap(([, events]) => eventNames(events));
const n: number | null = read(r, Buffer.alloc(8));
ep.start((fd: number, events: number) => void [fd, events]).unref();
const next: Promise<EpollEvent[]> = ep.wait(10, { signal: AbortSignal.timeout(100) });
const poller = new CompatEpoll((err: Error | null, fd: number, events: number) => void [err, fd, events]);
poller.add(r, CompatEpoll.EPOLLIN | CompatEpoll.EPOLLONESHOT).modify(r, CompatEpoll.EPOLLPRI).remove(r);
const nothing: null = poller.close();
const onEdge: ValueCallback = (err: Error | null | undefined, value: BinaryValue) => void [err, value];
if (Gpio.accessible) new Gpio(17, 'in', 'both', { debounceTimeout: 10 }).watch(onEdge);
// @ts-expect-error register() takes an FdLike, not a string
ep.register('0');
ep.close();
close(r);
close(w);
export { names, n, next, nothing };
EOF
cp consumer.ts consumer.mts
types="$root/node_modules/@types"
"$root/node_modules/.bin/tsc" --noEmit --strict --skipLibCheck false --target es2022 --lib es2022,esnext.disposable \
  --module commonjs --moduleResolution node10 --typeRoots "$types" --types node consumer.ts
echo "ok - CommonJS consumer (moduleResolution node10)"
"$root/node_modules/.bin/tsc" --noEmit --strict --skipLibCheck false --target es2022 --lib es2022,esnext.disposable \
  --module nodenext --moduleResolution nodenext --typeRoots "$types" --types node consumer.mts
echo "ok - ES module consumer (moduleResolution nodenext)"

echo "test-pack: all passed"
