#!/usr/bin/env bash
# scripts/vm-run.sh CMD [ARG...]: runs CMD as root inside the test VM and exits with its
# status (docs/development.md, "The test VM"). The VM (qemu, TCG) has gpio-sim, configfs
# at /sys/kernel/config, uinput, evdev, uhid/hidraw; the host's / at the same paths
# (read-only, 9p), with the project tree, the caller's working directory and the
# directories in VM_RW (colon-separated) writable; /dev, /proc, /sys, /tmp, /run its own.
# CMD runs in a chroot into the host's /, so the host's node, python3 and node_modules work;
# the working directory is kept; the environment is PATH, HOME, LANG, TZ, CI,
# NODE_OPTIONS, every IOREADY_* variable and the names listed in VM_ENV, with NO_COLOR=1
# and TERM=dumb. CMD's stdout and stderr arrive on ours (two virtio serial ports: the
# kernel's console never mixes in); its stdin is /dev/null.
#
#   VM_TIMEOUT=1200   seconds before the VM is killed (exit 124): a failsafe
#   VM_MEM=2048       the VM's memory in MiB
#   VM_DEBUG=1        the VM's console (kernel and init messages) on stderr
#   IOREADY_VM_CACHE  where vm-setup.sh's build lives (default <repo>/.cache/vm); built
#                     on first use (vm-setup.sh, ~1-2 min, needs root and the Debian mirror)
#
# Exit status: CMD's; 124 on timeout; 125 when the VM could not run CMD; 141 when our
# stdout or stderr was closed before the end (the VM is stopped, as SIGPIPE would).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
CACHE=${IOREADY_VM_CACHE:-$repo/.cache/vm}
if [ $# = 0 ] || [ "$1" = --help ] || [ "$1" = -h ]; then
  sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  [ $# = 0 ] && exit 2 || exit 0
fi
vm=$(bash "$here/vm-setup.sh") && [ -f "$vm/stamp" ] || { echo "vm-run: vm-setup.sh failed" >&2; exit 125; }

run=$(mktemp -d "${TMPDIR:-/tmp}/ioready-vm.XXXXXX") || exit 125
qpid='' readers=()
cleanup() {
  [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
  # Readers still waiting for qemu to open the fifo: an open for read+write frees them.
  for f in "$run/out" "$run/err" "$run/console"; do
    [ -p "$f" ] && { exec {fd}<>"$f" && exec {fd}>&-; } 2>/dev/null
  done
  [ ${#readers[@]} -gt 0 ] && wait "${readers[@]}" 2>/dev/null
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

q() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # one word for sh

# The writable shares: the project tree, the working directory, VM_RW; none inside another.
cwd=$(pwd -P)
rw=()
add_rw() {
  local d
  d=$(cd "$1" 2>/dev/null && pwd -P) || { echo "vm-run: $1: not a directory" >&2; exit 125; }
  rw+=("$d")
}
add_rw "$repo"
add_rw "$cwd"
IFS=: read -r -a extra <<<"${VM_RW:-}"
for d in "${extra[@]}"; do [ -n "$d" ] && add_rw "$d"; done
mapfile -t rw < <(printf '%s\n' "${rw[@]}" | LC_ALL=C sort -u)
shares=()
for d in "${rw[@]}"; do
  inside=0
  for s in "${shares[@]}"; do [ "$s" = / ] || [[ "$d" == "$s"/* ]] && inside=1; done
  [ $inside = 0 ] && shares+=("$d")
done

# tsx's cache (/tmp/tsx-0, keyed by content) kept from one boot to the next: most of a
# test file's start-up in the VM is compiling TypeScript otherwise.
mkdir -p "$CACHE/tsx-0" 2>/dev/null && hostpath=("${shares[@]}" "$CACHE/tsx-0") && guestpath=("${shares[@]}" /tmp/tsx-0) \
  || { hostpath=("${shares[@]}"); guestpath=("${shares[@]}"); }

mkdir "$run/share"
{
  echo "MSIZE=${VM_MSIZE:-262144}"
  echo "RW_COUNT=${#guestpath[@]}"
  for i in "${!guestpath[@]}"; do echo "RW_$((i + 1))=$(q "${guestpath[$i]}")"; done
} >"$run/share/config"

# The command: cd to the caller's directory, then CMD with a clean, chosen environment.
names=(PATH HOME USER LOGNAME LANG LC_ALL LC_CTYPE TZ CI NODE_OPTIONS)
mapfile -t -O ${#names[@]} names < <(compgen -e | grep '^IOREADY_' || true)
read -r -a more <<<"${VM_ENV:-}"
names+=("${more[@]}")
{
  printf 'cd %s || exit 125\n' "$(q "${PWD:-$cwd}")"
  printf 'exec /usr/bin/env -i NO_COLOR=1 TERM=dumb'
  for n in "${names[@]}"; do
    [ -n "${!n+x}" ] && printf ' %s' "$(q "$n=${!n}")"
  done
  # (env takes a first word with '=' for one more variable: sh runs such a command)
  [[ "$1" == *=* ]] && printf " /bin/sh -c 'exec \"\$@\"' sh"
  for a in "$@"; do printf ' %s' "$(q "$a")"; done
  printf '\n'
} >"$run/share/cmd.sh"

mkfifo "$run/out" "$run/err"
cat "$run/out" &
readers+=($!)
cat "$run/err" >&2 &
readers+=($!)
console=(-serial "file:$run/console.log")
if [ "${VM_DEBUG:-0}" = 1 ]; then
  mkfifo "$run/console"
  cat "$run/console" >&2 &
  readers+=($!)
  console=(-chardev "file,id=con,path=$run/console" -serial chardev:con)
fi

bus=pci
args=(
  -accel tcg -cpu qemu64 -m "${VM_MEM:-2048}" -nodefaults -no-user-config -display none -no-reboot
  -kernel "$vm/vmlinux" -initrd "$vm/initramfs.cpio"
  # acpi=noirq: PCI interrupts from the PIR table; ACPI's link devices took ~1 s of TCG.
  -append "console=ttyS0 $([ "${VM_DEBUG:-0}" = 1 ] || echo quiet) panic=-1 rdinit=/init acpi=noirq mitigations=off ${VM_APPEND:-}"
  "${console[@]}"
  -fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap
  -device "virtio-9p-$bus,fsdev=hostroot,mount_tag=hostroot"
  -fsdev "local,id=vmrun,path=$run/share,security_model=none"
  -device "virtio-9p-$bus,fsdev=vmrun,mount_tag=vmrun"
  -device "virtio-serial-$bus"
  -chardev "file,id=out,path=$run/out" -device virtserialport,chardev=out,name=stdout
  -chardev "file,id=err,path=$run/err" -device virtserialport,chardev=err,name=stderr
)
for i in "${!hostpath[@]}"; do
  args+=(-fsdev "local,id=rw$((i + 1)),path=${hostpath[$i]},security_model=none,multidevs=remap"
    -device "virtio-9p-$bus,fsdev=rw$((i + 1)),mount_tag=rw$((i + 1))")
done

timeout -k 5 "${VM_TIMEOUT:-1200}" qemu-system-x86_64 "${args[@]}" </dev/null >>"$run/console.log" 2>&1 &
qpid=$!
# Until qemu ends. A reader that fails first (our stdout or stderr closed: EPIPE) would
# leave the guest blocked on its port: stop the VM, as SIGPIPE would stop CMD.
broken=0
while :; do
  wait -n -p ended "$qpid" "${readers[@]}"
  st=$?
  [ "${ended:-}" = "$qpid" ] && { qstatus=$st; break; }
  [ -z "${ended:-}" ] && { qstatus=$st; break; } # (nothing left to wait for)
  if [ "$st" != 0 ]; then broken=1; kill "$qpid" 2>/dev/null; fi
  left=()
  for p in "${readers[@]}"; do [ "$p" != "$ended" ] && left+=("$p"); done
  readers=("${left[@]}")
done
qpid=''
# qemu has closed the fifos: the readers see EOF once they have passed everything on.
for f in "$run/out" "$run/err" "$run/console"; do
  [ -p "$f" ] && { exec {fd}<>"$f" && exec {fd}>&-; } 2>/dev/null
done
[ ${#readers[@]} -gt 0 ] && wait "${readers[@]}" 2>/dev/null
readers=()
[ $broken = 1 ] && exit 141

if [ -s "$run/share/status" ]; then
  exit "$(cat "$run/share/status")"
fi
if [ $qstatus = 124 ]; then
  echo "vm-run: timed out after ${VM_TIMEOUT:-1200} s (VM_TIMEOUT)" >&2
  code=124
else
  echo "vm-run: the VM stopped without CMD's exit status (qemu exit $qstatus)" >&2
  code=125
fi
[ -s "$run/console.log" ] && { echo "vm-run: the VM's console, last lines:" >&2; tail -n 30 "$run/console.log" >&2; }
exit $code
