#!/usr/bin/env bash
# npm run test:valgrind: the core tests (Epoll, the event-loop watch) with the
# addon under valgrind's memcheck.
#
# The addon is built with -O1 -g in a scratch directory and loaded through
# IOREADY_NATIVE_PATH. Each test file runs in-process (node <file>, not
# node --test, which would run it in a child valgrind does not follow).
#
# Node's own noise: V8's JIT and allocator can make memcheck report errors that
# have nothing to do with ioready. So valgrind writes every error to an XML file,
# and this script counts only the errors whose stack has a frame in ioready.node
# (the addon), and the leaks of blocks the addon itself allocated; those are
# printed with their stacks and fail the run. Errors
# elsewhere are counted and reported as Node's, not failed on. valgrind's own
# --error-exitcode is set to 97 so that "valgrind saw something somewhere" is
# told apart from a test failure; the filtered verdict decides. Leak checking
# covers definite leaks only (Node deliberately leaks at exit), filtered the same way.
#
#   npm run test:valgrind                 # test/epoll.test.ts test/watch.test.ts
#   npm run test:valgrind -- test/x.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/.tmp/valgrind
mkdir -p "$dir"
rm -rf "$dir/build" "$dir/native" "$dir"/*.xml
cp -r binding.gyp native "$dir/"
(cd "$dir" && CFLAGS="-O1 -g -fno-omit-frame-pointer" node-gyp rebuild >/dev/null 2>build.log || {
  cat build.log >&2
  exit 1
})
export IOREADY_NATIVE_PATH="$dir/build/Release/ioready.node"
if [ $# -gt 0 ]; then files=("$@"); else files=(test/epoll.test.ts test/watch.test.ts); fi

status=0
for f in "${files[@]}"; do
  name=$(basename "$f" .ts)
  xml="$dir/$name.xml"
  echo "test:valgrind: $f (addon $IOREADY_NATIVE_PATH)"
  set +e
  valgrind --tool=memcheck --error-exitcode=97 --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --track-origins=no --num-callers=40 \
    --xml=yes --xml-file="$xml" \
    node --import tsx --test-timeout=600000 "$f" > "$dir/$name.out" 2>&1
  rc=$?
  set -e
  grep -E '^# (tests|pass|fail|cancelled|todo|skipped)' "$dir/$name.out" | tr '\n' ' '
  echo
  if [ $rc -ne 0 ] && [ $rc -ne 97 ]; then
    echo "test:valgrind: $f failed (exit $rc); output in $dir/$name.out" >&2
    grep -E '^not ok|^# fail' "$dir/$name.out" >&2 || true
    status=1
  fi
  # The verdict: errors (and definite leaks) with a frame in ioready.node.
  if ! python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ours, theirs = [], []
def in_addon(fr):
    return 'ioready.node' in (fr.findtext('obj') or '')

for err in root.findall('error'):
    frames = err.findall('./stack/frame')
    if (err.findtext('kind') or '').startswith('Leak_'):
        # A leak is ours if the addon itself allocated the block: the first frame
        # past the allocator (valgrind's preload) is in ioready.node. A block Node
        # allocates inside a Node-API call (napi_create_external's finalizer record)
        # is Node's to free: reported below, not counted.
        callers = [fr for fr in frames if 'vgpreload' not in (fr.findtext('obj') or '')]
        mine = bool(callers) and in_addon(callers[0])
    else:
        mine = any(in_addon(fr) for fr in frames)
    if mine:
        ours.append(err)
    else:
        theirs.append(err)
print(f"  valgrind: {len(ours)} error(s) in ioready.node, {len(theirs)} elsewhere (Node/V8, not counted)")
for err in theirs:
    if any(in_addon(fr) for fr in err.findall('./stack/frame')):
        fns = ' <- '.join((fr.findtext('fn') or '?') for fr in err.findall('./stack/frame')[:4])
        print(f"  (not counted) {err.findtext('kind')} in a Node-API call from the addon: {fns}")
for err in ours:
    what = err.findtext('what') or err.findtext('./xwhat/text') or err.findtext('kind')
    print(f"  {err.findtext('kind')}: {what}")
    for fr in err.findall('./stack/frame'):
        fn = fr.findtext('fn') or '?'
        where = f"{fr.findtext('file')}:{fr.findtext('line')}" if fr.findtext('file') else (fr.findtext('obj') or '')
        print(f"      {fn}  {where}")
sys.exit(1 if ours else 0)
PY
  then
    status=1
  fi
done
exit $status
