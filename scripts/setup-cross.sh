#!/usr/bin/env bash
# Debian packages the release build and the arm tests need, installed only when
# missing (as scripts/setup-system.sh does for the test clients); needs root.
#
#   bash scripts/setup-cross.sh          # cross compilers + binutils (npm pack)
#   bash scripts/setup-cross.sh qemu     # also qemu-user and its binfmt handlers (npm run test:arm)
#
# Without root it prints the one apt-get line to run and exits 1.
set -euo pipefail
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
command -v arm-linux-gnueabihf-gcc >/dev/null || need+=(gcc-arm-linux-gnueabihf)
if [[ "${1:-}" == qemu ]]; then
  command -v qemu-aarch64-static >/dev/null && command -v qemu-arm-static >/dev/null || need+=(qemu-user-static)
  command -v update-binfmts >/dev/null || need+=(binfmt-support)
fi
if [[ ${#need[@]} -gt 0 ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "setup-cross: missing tools; install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "setup-cross: apt-get install ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
[[ "${1:-}" == qemu ]] || exit 0

# qemu's binfmt handlers: the kernel then runs an arm ELF through qemu, so a
# child that a test spawns with process.execPath (node --test, the CLI tests)
# runs under qemu too. Registering is global to the machine (or container) and
# harmless: it only claims arm and aarch64 binaries.
binfmt=/proc/sys/fs/binfmt_misc
if [[ ! -e $binfmt/register ]]; then
  if [[ "$(id -u)" == 0 ]]; then mount -t binfmt_misc binfmt_misc $binfmt 2>/dev/null || true; fi
fi
for arch in aarch64 arm; do
  [[ -e $binfmt/qemu-$arch ]] && continue
  if [[ "$(id -u)" != 0 ]]; then
    echo "setup-cross: qemu-$arch is not registered with binfmt_misc; run as root: update-binfmts --enable qemu-$arch" >&2
    exit 1
  fi
  update-binfmts --enable "qemu-$arch" >/dev/null 2>&1 || {
    # No binfmt-support service (a container): register qemu-user-static's own entry by hand.
    conf=/usr/lib/binfmt.d/qemu-$arch.conf
    [[ -f $conf ]] && cat "$conf" >$binfmt/register
  }
  [[ -e $binfmt/qemu-$arch ]] || { echo "setup-cross: could not register qemu-$arch with binfmt_misc" >&2; exit 1; }
done
