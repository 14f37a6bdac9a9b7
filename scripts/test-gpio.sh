#!/usr/bin/env bash
# npm run test:gpio [-- FILE...]: the GPIO suites (test/gpio/*.test.ts, or the files
# given) in one boot of the test VM (scripts/vm-run.sh; built once by vm-setup.sh), on a
# real kernel with gpio-sim. Exits with the suites' status.
#
# In the VM the CPU is emulated: IOREADY_TEST_SLOW (default 4) stretches the failsafe
# timeouts (a wait of 30 s becomes 120 s: the slowest step seen there, starting a node
# child, takes ~5-7 s; a larger factor only makes a failing test take minutes), and the files run one at a time (IOREADY_TEST_CONCURRENCY, default 1): they
# share the kernel's global GPIO numbers, which createAtBase() steers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/vm-setup.sh >/dev/null
# dist/ (the package, which some suites load) and the addon are built on the host: the
# VM could, but emulated.
if [ ! -f dist/index.mjs ] || [ -n "$(find src -name '*.ts' -newer dist/index.mjs -print -quit)" ]; then
  npm run build --silent
fi
[ -f build/Release/ioready.node ] || ls prebuilds/linux-x64/*.node >/dev/null 2>&1 \
  || { echo "test:gpio: no addon built: run npm install first" >&2; exit 1; }
if [ $# -gt 0 ]; then files=("$@"); else files=(test/gpio/*.test.ts); fi
[ -t 1 ] && export IOREADY_TEST_REPORTER=${IOREADY_TEST_REPORTER:-spec}
export IOREADY_TEST_SLOW=${IOREADY_TEST_SLOW:-4}
export IOREADY_TEST_CONCURRENCY=${IOREADY_TEST_CONCURRENCY:-1}
export VM_TIMEOUT=${VM_TIMEOUT:-3600}
exec bash scripts/vm-run.sh node scripts/test.mjs "${files[@]}"
