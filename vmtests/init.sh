#!/bin/busybox sh
# /init of the vmtests initramfs (busybox sh, PID 1). Loads the 9p modules listed by
# mkinitramfs.sh, mounts the host root read-only (9p tag "hostroot") and the writable results
# export (tag "vmout"), then runs the command script the host left there inside a chroot of the
# host root, and powers off. It never exits: PID 1 exiting panics the kernel.
/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "vmtest-init: [$(cut -d" " -f1 /proc/uptime)s] $*"; }
halt_now() {
  sync
  # -f: no init to signal, we are init. With ACPI this ends qemu; -no-reboot covers the rest.
  poweroff -f
  sleep 5
  echo o >/proc/sysrq-trigger
  while :; do sleep 60; done
}
fail() { say "BOOT FAILED: $*"; halt_now; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo 4 >/proc/sys/kernel/printk   # keep the console for our own lines

while read -r m; do
  insmod "/modules/$m.ko" || fail "insmod $m"
done </modules/order

# msize: the default 8 KiB makes every read a round trip; cache=loose is safe for a read-only
# export that nothing in the guest can change, and makes exec of ctest and test binaries fast.
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose hostroot /newroot ||
  fail "mount 9p hostroot"
r=/newroot
mount -t tmpfs -o mode=1777 tmpfs $r/tmp || fail "tmpfs /tmp"
mount -t tmpfs -o mode=0755 tmpfs $r/run || fail "tmpfs /run"
mount -t proc proc $r/proc || fail "proc"
mount -t sysfs sysfs $r/sys || fail "sysfs"
mount -t devtmpfs devtmpfs $r/dev || fail "devtmpfs"
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts devpts $r/dev/pts
mount -t tmpfs tmpfs $r/dev/shm
mount -t bpf bpf $r/sys/fs/bpf || fail "bpffs"
mount -t debugfs debugfs $r/sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs $r/sys/kernel/tracing 2>/dev/null
# The kernel's module autoload (ip link add type bridge, 8021q, nf_tables, ...) runs modprobe as
# a usermode helper in THIS root, the initramfs, which has no modules: hand it to the host's
# modprobe inside the shared root.
# The kernel's modules live under xvrrp.modroot (vmtests/fetch-kernels.sh unpacks them into the
# build tree, not /lib/modules): modprobe -d looks there.
modroot=/
for w in $(cat /proc/cmdline); do case $w in xvrrp.modroot=*) modroot=${w#xvrrp.modroot=} ;; esac; done
printf '#!/bin/sh\nexec /bin/chroot %s /sbin/modprobe -d %s "$@"\n' $r "$modroot" >/bin/modprobe-host
chmod 0755 /bin/modprobe-host
echo /bin/modprobe-host >/proc/sys/kernel/modprobe
mkdir -p $r/run/vmtest
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmout $r/run/vmtest ||
  fail "mount 9p vmout (results export)"
[ -f $r/run/vmtest/cmd.sh ] || fail "no cmd.sh in the results export"
# Trees the host root cannot show: a checkout under /tmp or /run, which the guest covers with
# tmpfs above. run.sh exports each as 9p TAG and lists "TAG PATH" in the results export.
if [ -f $r/run/vmtest/mounts ]; then
  while read -r tag path; do
    mkdir -p "$r$path" && mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose "$tag" "$r$path" ||
      fail "mount 9p $tag on $path"
  done <$r/run/vmtest/mounts
fi

say "kernel $(uname -r) up, running the guest command"
chroot $r /bin/sh /run/vmtest/cmd.sh
rc=$?
say "guest command exited $rc"
echo "$rc" >$r/run/vmtest/exit-code
umount $r/run/vmtest
halt_now
