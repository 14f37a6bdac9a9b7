#!/usr/bin/env bash
# Where the time goes in ping-pong (issue #12): syscalls per event, user vs
# kernel time, the nested epoll's cost, and instructions per read+write pair.
# Prints one section per measure; numbers are for this machine and this tree.
#
#   bash bench/profile.sh [strace|cpu|nested|callgrind]...   (default: all)
#
# Needs strace and valgrind (apt-get install strace valgrind), cc and python3.
# ioready runs as the bench runs it: tsc's output of src/ and a pinned copy of
# the addon (build/Release, or IOREADY_NATIVE_PATH). callgrind counts
# instructions (user space), deterministic under node --single-threaded, so it
# is the measure to compare variants with on a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/bench/.build/profile
mkdir -p "$out"
cc -O2 -Wall -o "$out/peer-c" bench/c/peer.c
cc -O2 -Wall -o "$out/nested" bench/c/nested.c
node node_modules/typescript/bin/tsc -p tsconfig.json --outDir "$out/dist" --declaration false --sourceMap false
cp "${IOREADY_NATIVE_PATH:-build/Release/ioready.node}" "$out/ioready.node"
export IOREADY_BENCH_DIST=$out/dist/index.js IOREADY_NATIVE_PATH=$out/ioready.node
node_peer=(node --import tsx)
what=("$@")
[[ ${#what[@]} -eq 0 ]] && what=(strace cpu nested callgrind)

# peer command for a name: start (default options), start-rounds1, wait, poll, python, c
peer() {
  case "$1" in
    start) echo "${node_peer[*]} bench/peers/ioready-start.ts" ;;
    start-rounds1) echo "env IOREADY_BENCH_ROUNDS=1 ${node_peer[*]} bench/peers/ioready-start.ts" ;;
    wait) echo "${node_peer[*]} bench/peers/ioready-wait.ts" ;;
    poll) echo "${node_peer[*]} bench/peers/ioready-poll.ts" ;;
    python) echo "python3 bench/py/peer.py" ;;
    c) echo "$out/peer-c" ;;
  esac
}
peers=(${IOREADY_PROFILE_PEERS:-c python poll start-rounds1 start wait})

for w in "${what[@]}"; do
  case "$w" in
  strace)
    echo "== syscalls per ping-pong event (strace -c -f; an event = one read + one write)"
    printf '%-14s %8s %8s %8s %8s %8s %8s\n' peer events epoll_w read write ctl other
    for p in "${peers[@]}"; do
      # warm-up 0, window 4 s under strace; the window's events against all syscalls
      # after start-up (start-up ones are few against ~100k events).
      res=$(strace -f -c -o "$out/strace-$p.txt" $(peer "$p") pingpong 0 4000 1000 | tail -1)
      events=$(node -e "console.log(2 * JSON.parse(process.argv[1]).count)" "$res")
      node -e '
        const fs = require("fs");
        const [file, p, events] = process.argv.slice(1);
        const rows = fs.readFileSync(file, "utf8").split("\n").filter((l) => /^\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+/.test(l));
        const calls = {};
        for (const l of rows) { const f = l.trim().split(/\s+/); if (f[f.length - 1] !== "total") calls[f[f.length - 1]] = Number(f[3]); }
        const get = (...names) => names.reduce((s, n) => s + (calls[n] || 0), 0);
        const ew = get("epoll_wait", "epoll_pwait", "epoll_pwait2"), rd = get("read"), wr = get("write"), ctl = get("epoll_ctl");
        const total = Object.values(calls).reduce((a, b) => a + b, 0);
        const per = (x) => (x / events).toFixed(2);
        console.log(p.padEnd(14), String(events).padStart(8), per(ew).padStart(8), per(rd).padStart(8), per(wr).padStart(8), per(ctl).padStart(8), per(total - ew - rd - wr - ctl).padStart(8));
      ' "$out/strace-$p.txt" "$p" "$events"
    done
    ;;
  cpu)
    echo "== user vs kernel CPU time, ping-pong, 3 s window (from each peer's own rusage)"
    printf '%-14s %12s %10s %10s %8s\n' peer 'trips/s' 'user µs/ev' 'sys µs/ev' 'sys %'
    for p in "${peers[@]}"; do
      res=$($(peer "$p") pingpong 300 3000 1000 | tail -1)
      node -e '
        const [p, json] = process.argv.slice(1);
        const r = JSON.parse(json); const ev = 2 * r.count;
        console.log(p.padEnd(14), (r.count / r.seconds).toFixed(0).padStart(12), (r.userSeconds * 1e6 / ev).toFixed(3).padStart(10),
          (r.systemSeconds * 1e6 / ev).toFixed(3).padStart(10), (100 * r.systemSeconds / (r.userSeconds + r.systemSeconds)).toFixed(0).padStart(8));
      ' "$p" "$res"
    done
    ;;
  nested)
    echo "== the nested epoll, in C (bench/c/nested.c): ns per round trip, median of 5"
    for m in plain nested repoll; do
      for i in 1 2 3 4 5; do "$out/nested" "$m" 300000; done | node -e '
        const rows = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l));
        const ns = rows.map((r) => r.ns_per_trip).sort((a, b) => a - b);
        const r = rows[0];
        const sys = rows.reduce((s, r) => s + r.sys_s, 0), user = rows.reduce((s, r) => s + r.user_s, 0);
        console.log(r.mode.padEnd(8), `${ns[2].toFixed(0)} ns/trip`, `(min ${ns[0].toFixed(0)}, max ${ns[4].toFixed(0)})`, `sys ${(100 * sys / (sys + user)).toFixed(0)}%`);
      '
    done
    ;;
  callgrind)
    echo "== instructions (callgrind, user space only, node --single-threaded)"
    vg=(valgrind --tool=callgrind --smc-check=all-non-file --collect-atstart=no --callgrind-out-file=/dev/null)
    ir() { "${vg[@]}" "$@" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
    node --import tsx bench/profile/pairs.ts api 1 # tsx compiles and caches first
    # One write+read pair, counted inside the setImmediate that runs 100,000 of them.
    for mode in api range range64 binding noop; do
      n=$(ir --toggle-collect='*CheckImmediate*' node --single-threaded --import tsx bench/profile/pairs.ts $mode 100000)
      echo "pair, $mode: $(( n / 100000 )) per $([[ $mode == noop ]] && echo call || echo pair)"
    done
    # Ping-pong: per event, inside the addon's uv callback (delivery and the listener's
    # read + write; not libuv's loop turn), or the setImmediate running poll()'s loop;
    # the difference of 70,000 and 20,000 round trips, so warm-up cancels.
    for mode in start start1 wait poll; do
      fn=on_readable; [[ $mode == poll ]] && fn='*CheckImmediate*'
      a=$(ir --toggle-collect="$fn" node --single-threaded --import tsx bench/profile/pingpong.ts $mode 20000)
      b=$(ir --toggle-collect="$fn" node --single-threaded --import tsx bench/profile/pingpong.ts $mode 70000)
      echo "ping-pong, $mode: $(( (b - a) / 100000 )) per event"
    done
    py=$(python3 -c 'import sys; print(sys.executable)') # the interpreter itself, not a pyenv shim
    a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$py" bench/profile/pairs.py 100000 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$py" bench/profile/pairs.py 600000 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "pair, python os.write+os.read: $(( (b - a) / 500000 )) per pair"
    a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$py" bench/profile/pingpong.py 20000 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$py" bench/profile/pingpong.py 70000 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "ping-pong, python select.epoll: $(( (b - a) / 100000 )) per event"
    ;;
  *) echo "profile: unknown measure $w" >&2; exit 2 ;;
  esac
done
