#!/bin/sh
# pid 1 of the test VM (busybox sh in the initramfs that scripts/vm-setup.sh builds;
# scripts/vm-run.sh boots it). Loads the modules, mounts the host's / read-only over 9p,
# the writable shares over it, /proc /sys /dev /tmp and configfs, runs the command in a
# chroot with its stdout and stderr on two virtio serial ports, writes its exit status to
# the per-run share, unmounts the writable shares and powers off. Its own messages go to
# the serial console (vm-run.sh shows them when something fails, or with VM_DEBUG=1).
/bin/busybox --install -s /bin
export PATH=/bin
say() { echo "vm-init: $*" >/dev/console; }
fail() { say "$*"; poweroff -f; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
  insmod "/lib/modules/$m.ko" 2>/dev/console || say "insmod $m failed"
done </lib/modules/order

mount -t 9p -o trans=virtio,version=9p2000.L vmrun /vmrun || fail "cannot mount the run share"
. /vmrun/config
p9=trans=virtio,version=9p2000.L,msize=${MSIZE:-262144}
mount -t 9p -o "$p9,ro,cache=loose" hostroot /newroot || fail "cannot mount the host's /"
r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t configfs configfs $r/sys/kernel/config || say "no configfs"
mount -t debugfs debugfs $r/sys/kernel/debug || say "no debugfs"
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mount -t tmpfs -o mode=755 tmpfs $r/run
i=1
while [ "$i" -le "$RW_COUNT" ]; do
  eval "d=\$RW_$i"
  mkdir -p "$r$d" && mount -t 9p -o "$p9,cache=mmap" "rw$i" "$r$d" || fail "cannot mount $d"
  i=$((i + 1))
done
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
hostname ioready-vm

port() { # the /dev node of the virtio serial port named $1
  for d in /sys/class/virtio-ports/*; do
    [ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
  done
  return 1
}
out=$(port stdout) && err=$(port stderr) || fail "no virtio serial ports"
mkdir -p $r/run/ioready-vm
cp /vmrun/cmd.sh $r/run/ioready-vm/cmd.sh

chroot $r /bin/sh /run/ioready-vm/cmd.sh </dev/null >"$out" 2>"$err"
status=$?

# Whatever CMD left running goes, so that the writable shares unmount cleanly.
kill -9 -1 2>/dev/null
sync
i=$RW_COUNT
while [ "$i" -ge 1 ]; do
  eval "d=\$RW_$i"
  n=0
  until umount "$r$d" 2>/dev/null; do
    n=$((n + 1))
    [ $n -ge 50 ] && { say "cannot unmount $d"; break; }
    sleep 0.1
  done
  i=$((i - 1))
done
echo "$status" >/vmrun/status
umount /vmrun
poweroff -f
