#!/usr/bin/env bash
# The test VM's one-time build (see docs/development.md, "The test VM"): a Debian kernel,
# the gpio-sim module built out of tree for it (no Debian kernel enables gpio-sim), and an
# initramfs (busybox, the modules, scripts/vm-init.sh) that scripts/vm-run.sh boots.
#
#   bash scripts/vm-setup.sh            # builds what is missing; ~0 s when the cache is done
#   bash scripts/vm-setup.sh --force    # rebuilds (a newer kernel, if the mirror has one)
#
# Everything goes under ${IOREADY_VM_CACHE:-<repo>/.cache/vm} (gitignored), which other
# worktrees or clones may share (point IOREADY_VM_CACHE at one cache): the downloads in
# debs/, each build in a directory named by the hash of this script and vm-init.sh (so
# two versions of these scripts sharing a cache do not rebuild each other's), done when
# its `stamp` exists. The build's kernel is the one it was built with (see its stamp):
# runs are reproducible and need no network; --force builds again with today's kernel.
# Prints the build's directory on stdout (vm-run.sh boots what is there), logs on stderr.
# Needs root for apt-get (CI and the dev machines are).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
CACHE=${IOREADY_VM_CACHE:-$repo/.cache/vm}
force=0
[ "${1:-}" = --force ] && force=1

log() { printf 'vm-setup: %s%s\n' "${started:+[+$(($(date +%s) - started)) s] }" "$*" >&2; }
die() { log "$*"; exit 1; }

# The key of a finished cache: what builds it.
key=$(cat "$here/vm-setup.sh" "$here/vm-init.sh" | sha256sum | cut -c1-16)
out="$CACHE/$key"
if [ $force = 0 ] && [ -f "$out/stamp" ] && command -v qemu-system-x86_64 >/dev/null; then
  echo "$out"
  exit 0
fi

started=$(date +%s)
mkdir -p "$CACHE"
# One build at a time per cache (several vm-run.sh may start on a cold cache at once).
exec 9>"$CACHE/.lock"
flock 9
if [ $force = 0 ] && [ -f "$out/stamp" ] && command -v qemu-system-x86_64 >/dev/null; then
  echo "$out" # built by whoever held the lock
  exit 0
fi

apt_opts=(-y -q -o DPkg::Lock::Timeout=600 --no-install-recommends)
updated=0
apt_update() {
  [ $updated = 1 ] && return 0
  log "apt-get update"
  apt-get update -qq -o DPkg::Lock::Timeout=600 >&2
  updated=1
}

# 1. Host packages: qemu, busybox for the initramfs, a compiler for the module, and the
#    parity tools (libgpiod's v1 tools, python3-evdev) that VM tests run through the chroot.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
# (static: the initramfs has no libc; busybox's cpio: plain cpio is not installed)
[ -x /bin/busybox ] && ! grep -q interpreter < <(readelf -l /bin/busybox 2>/dev/null) \
  && grep -qx cpio < <(/bin/busybox --list) || need+=(busybox-static)
command -v gpioinfo >/dev/null || need+=(gpiod)
/usr/bin/python3 -c 'import evdev' 2>/dev/null || need+=(python3-evdev)
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v xz >/dev/null || need+=(xz-utils)
command -v readelf >/dev/null || need+=(binutils)
command -v flock >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}: run as root (or install them) first"
  log "installing ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${need[@]}" >&2 \
    || { apt_update && DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${need[@]}" >&2; }
fi

# 2. The kernel: the ABI linux-headers-amd64 depends on today, at that package's version.
resolve() {
  version=$(apt-cache show --no-all-versions linux-headers-amd64 2>/dev/null | sed -n 's/^Version: //p' | head -1)
  abi=$(apt-cache depends linux-headers-amd64 2>/dev/null | sed -n 's/.*Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -1)
  [ -n "$version" ] && [ -n "$abi" ]
}
resolve || { apt_update; resolve; } || die "cannot resolve linux-headers-amd64 (no apt lists?)"
kver=$abi-amd64
debs="$CACHE/debs"
pkgs=("linux-image-$kver-unsigned" "linux-headers-$kver" "linux-headers-$abi-common" "linux-kbuild-6.1" "linux-source-6.1")
have_debs() {
  local p
  for p in "${pkgs[@]}"; do compgen -G "$debs/${p}_${version//:/%3a}_*.deb" >/dev/null || return 1; done
}
if ! have_debs; then
  rm -rf "$debs" && mkdir -p "$debs"
  log "downloading kernel $kver ($version): ${pkgs[*]}"
  get() { (cd "$debs" && apt-get download -q "${pkgs[@]/%/=$version}" 2>&1 | grep -v 'unsandboxed' >&2); }
  # Old versions leave the mirror when a security update lands: update and resolve again.
  get && have_debs || { apt_update && resolve && kver=$abi-amd64 \
    && pkgs=("linux-image-$kver-unsigned" "linux-headers-$kver" "linux-headers-$abi-common" "linux-kbuild-6.1" "linux-source-6.1") \
    && rm -f "$debs"/*.deb && get && have_debs; } || die "apt-get download failed"
fi

# 3. Extract the image, headers and kbuild (one tree: the headers' relative symlinks to
#    kbuild's scripts resolve inside it), and the three sources gpio-sim needs.
# The work tree (~90 MB, ~17,000 files) goes in RAM when there is room: on a busy disk,
# writing and deleting it took longer than all the rest.
shm=/dev/shm
if [ -w "$shm" ] && [ "$(df -Pk "$shm" | awk 'NR == 2 { print $4 }')" -gt 1048576 ]; then
  work=$(mktemp -d "$shm/ioready-vm-setup.XXXXXX")
else
  work="$CACHE/work-$key"
fi
trap 'rm -rf "$work"' EXIT
rm -rf "$work" && mkdir -p "$work/root" "$work/src" "$work/gpio-sim"
log "extracting"
# The four source files, from the 1.4 GB source tarball (xz: ~20 s to read through), kept
# with the downloads; meanwhile, the rest.
src="$debs/src-$version"
if [ ! -f "$src/.done" ]; then
  (rm -rf "$src" && mkdir -p "$src" \
    && dpkg-deb --fsys-tarfile "$debs/linux-source-6.1_${version//:/%3a}"_all.deb \
    | tar -xO ./usr/src/linux-source-6.1.tar.xz | xz -dc -T0 \
    | tar -x -C "$src" --strip-components=1 --wildcards \
      '*/drivers/gpio/gpio-sim.c' '*/drivers/gpio/gpiolib.h' '*/kernel/irq/irq_sim.c' '*/scripts/extract-vmlinux' \
    && touch "$src/.done") &
  srcjob=$!
fi
for p in "${pkgs[@]:1:3}"; do dpkg-deb -x "$debs/${p}_${version//:/%3a}"_*.deb "$work/root"; done
# Of the image (~400 MB of modules), the kernel and the module directories used here.
dpkg-deb --fsys-tarfile "$debs/${pkgs[0]}_${version//:/%3a}"_*.deb | tar -x -C "$work/root" --wildcards \
  './boot/*' './lib/modules/*/modules.*' './lib/modules/*/kernel/drivers/virtio/*' \
  './lib/modules/*/kernel/drivers/char/*' './lib/modules/*/kernel/fs/*' './lib/modules/*/kernel/net/9p/*' \
  './lib/modules/*/kernel/drivers/input/*' './lib/modules/*/kernel/drivers/hid/*' './lib/modules/*/kernel/lib/*'
[ -n "${srcjob:-}" ] && { wait "$srcjob" || die "cannot extract the sources from linux-source-6.1"; }
rm -rf "$work/src" && cp -r "$src" "$work/src"
modules="$work/root/lib/modules/$kver"
[ -d "$modules/kernel" ] || die "no modules in linux-image-$kver-unsigned"

# 4. The uncompressed kernel (qemu boots an ELF vmlinux through its PVH entry: faster).
log "vmlinux"
bash "$work/src/scripts/extract-vmlinux" "$work/root/boot/vmlinuz-$kver" >"$work/vmlinux"

# 5. gpio-sim, out of tree, with irq_sim (CONFIG_IRQ_SIM is off too) linked into the same
#    module. irq_to_desc() is not exported to modules: generic_handle_irq() does the same.
grep -q '^CONFIG_IRQ_SIM=y' "$work/root/boot/config-$kver" && irqsim=0 || irqsim=1
cp "$work/src/drivers/gpio/gpio-sim.c" "$work/gpio-sim/gpio-sim-main.c"
cp "$work/src/drivers/gpio/gpiolib.h" "$work/gpio-sim/"
if [ $irqsim = 1 ]; then
  sed 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq(irqnum)/' \
    "$work/src/kernel/irq/irq_sim.c" >"$work/gpio-sim/irq_sim.c"
  grep -q 'generic_handle_irq(irqnum)' "$work/gpio-sim/irq_sim.c" || die "irq_sim.c: the irq_to_desc patch did not apply"
  printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' >"$work/gpio-sim/Kbuild"
else
  printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o\n' >"$work/gpio-sim/Kbuild"
fi
log "building gpio-sim.ko"
# The headers' Makefile includes /usr/src/linux-headers-<abi>-common/Makefile by absolute
# path; -f names the extracted one (its directory becomes the source tree).
make -s -C "$work/root/usr/src/linux-headers-$kver" -f "$work/root/usr/src/linux-headers-$abi-common/Makefile" \
  M="$work/gpio-sim" modules >&2 2> >(grep -v 'Skipping BTF' >&2)
[ -f "$work/gpio-sim/gpio-sim.ko" ] || die "gpio-sim.ko did not build"

# 6. The initramfs: busybox, /init, and the modules with their dependencies, in load order
#    (from each module's own `depends=`: the package has no modules.dep, depmod is absent).
log "initramfs"
ird="$work/initramfs"
mkdir -p "$ird/bin" "$ird/lib/modules" "$ird/dev" "$ird/proc" "$ird/sys" "$ird/newroot" "$ird/vmrun"
cp /bin/busybox "$ird/bin/busybox"
ln -s busybox "$ird/bin/sh"
cp "$here/vm-init.sh" "$ird/init" && chmod 755 "$ird/init"
declare -A path_of=()
while IFS= read -r -d '' f; do
  n=${f##*/} && n=${n%.ko} && path_of[${n//-/_}]=$f # (no fork per module: there are ~4000)
done < <(find "$modules/kernel" -name '*.ko' -print0)
path_of[gpio_sim]="$work/gpio-sim/gpio-sim.ko"
declare -A added=()
order=()
add() { # depth-first: dependencies first
  local n=${1//-/_} f deps d
  [ -n "${added[$n]:-}" ] && return 0
  f=${path_of[$n]:-}
  if [ -z "$f" ]; then
    grep -q "/${1//_/[-_]}.ko$" "$modules/modules.builtin" 2>/dev/null && return 0
    die "module $1: not found (in the directories extracted from the image above) and not built in"
  fi
  added[$n]=1
  deps=$(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | head -1)
  for d in ${deps//,/ }; do add "$d"; done
  cp "$f" "$ird/lib/modules/$n.ko"
  order+=("$n")
}
for m in virtio_pci virtio_console 9pnet_virtio 9p configfs gpio_sim uinput evdev hid uhid hid_generic; do add "$m"; done
printf '%s\n' "${order[@]}" >"$ird/lib/modules/order"
(cd "$ird" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) >"$work/initramfs.cpio"

# 7. Publish: the files vm-run.sh boots, then the stamp.
new="$CACHE/new-$key"
rm -rf "$new" && mkdir -p "$new"
mv "$work/vmlinux" "$work/initramfs.cpio" "$new/"
cp "$work/root/boot/config-$kver" "$new/config"
cp "$work/gpio-sim/gpio-sim.ko" "$new/gpio-sim.ko"
{
  echo "key=$key"
  echo "kernel=$kver"
  echo "version=$version"
  echo "modules=${order[*]}"
  echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$new/stamp"
rm -rf "$out" && mv "$new" "$out"
log "done in $(($(date +%s) - started)) s: kernel $kver ($version), in $out"
echo "$out"
