#!/usr/bin/env bash
# v2-vm.sh - run pyvirt-lxc's cgroup tests on a cgroup v2-only kernel, in a VM.
#
# Why: the CI host is hybrid (v1 memory/cpu/freezer/devices, a cgroup2 mount with no
# controllers), so the driver's v2 memory.max / cpu.max / cpu.weight / cgroup.freeze / device
# BPF paths never meet a v2 kernel there, and cannot: a controller shows up on v2 only when no
# v1 hierarchy holds it.  This boots Debian's kernel (downloaded as a package, unpacked, never
# installed) with the host's / shared read-only over 9p, mounts only cgroup2 at
# /sys/fs/cgroup, and runs the tests there.  Emulated (TCG): slow, about 10 minutes.
#
#   plugins/pyvirt-lxc/tools/v2-vm.sh [WORKDIR] [pytest selection...]
#
# WORKDIR (default /var/tmp/pyvirt-v2-vm) must not be under /tmp or /run: the guest mounts
# tmpfs there.  Exits with pytest's status inside the VM.  Needs root, qemu-system-x86, apt.
set -euo pipefail

WORK="${1:-/var/tmp/pyvirt-v2-vm}"
shift || true
REPO="$(cd "$(dirname "$0")/../../.." && pwd)"
SELECTION=("$@")
if [ "${#SELECTION[@]}" -eq 0 ]; then
    SELECTION=(
        plugins/pyvirt-lxc/tests/test_lxc_cgroups.py
        plugins/pyvirt-lxc/tests/test_lxc_containers.py::test_memory_limit_holds_inside
        plugins/pyvirt-lxc/tests/test_lxc_containers.py::test_suspend_freezes_and_resume_thaws
        plugins/pyvirt-lxc/tests/test_lxc_containers.py::test_destroy_leaves_no_process_and_no_cgroup
        plugins/pyvirt-lxc/tests/test_lxc_containers.py::test_started_paused_its_init_has_run_no_code_until_resumed
        plugins/pyvirt-lxc/tests/test_lxc_bad_input.py
    )
fi
case "$WORK" in /tmp/* | /run/*) echo "WORKDIR must not be under /tmp or /run" >&2; exit 2 ;; esac
mkdir -p "$WORK"
cd "$WORK"

# 1. a kernel: Debian's current linux-image package, unpacked here
if [ ! -d kern ]; then
    pkg="$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')"
    apt-get download "$pkg" >/dev/null
    dpkg -x "$pkg"_*.deb kern
    rm -f "$pkg"_*.deb
fi
vmlinuz="$(ls kern/boot/vmlinuz-*)"
mods="$(ls -d kern/lib/modules/*)/kernel"

# 2. an initramfs: busybox, the 9p and virtio modules (in dependency order) and veth, mount the host's /
order=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p veth)
rm -rf initrd && mkdir -p initrd/bin initrd/lib initrd/proc initrd/sys initrd/dev initrd/newroot
cp /bin/busybox initrd/bin/
for m in "${order[@]}"; do cp "$(find "$mods" -name "$m.ko" | head -1)" initrd/lib/; done
cat >initrd/init <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in ${order[*]}; do insmod /lib/\$m.ko || echo "insmod \$m failed"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /newroot || poweroff -f
umount /proc /sys /dev
exec switch_root /newroot /bin/sh $WORK/guest.sh
EOF
chmod +x initrd/init
(cd initrd && find . | busybox cpio -o -H newc 2>/dev/null | gzip >../initrd.gz)

# 3. what runs in the guest as PID 1: a v2-only cgroup layout, then pytest
cat >guest.sh <<EOF
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp PYTHONDONTWRITEBYTECODE=1 PYVIRT_LXC_TEST_PATIENCE=180
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo "=== kernel \$(uname -r), cgroup2 controllers: \$(cat /sys/fs/cgroup/cgroup.controllers)"
cd $REPO
.venv/bin/python -c "from pyvirt_lxc import cgroups; l = cgroups.detect(); print('=== layout', l.kind, {r: l.backend(r) for r in ('memory', 'cpu', 'cpuacct', 'freezer', 'devices')})"
.venv/bin/python -m pytest -p no:cacheprovider -q -rs --color=no ${SELECTION[*]} 2>&1
echo "=== pytest exit \$?"
echo "=== cgroups left: \$(find /sys/fs/cgroup/pyvirt-lxc -mindepth 1 -type d 2>/dev/null | wc -l)"
poweroff -f
EOF
chmod +x guest.sh

# 4. boot it (KVM here hangs after decompressing the kernel, so emulated)
qemu-system-x86_64 -accel tcg -cpu max -m 3072 -smp 2 -kernel "$vmlinuz" -initrd initrd.gz \
    -append "console=ttyS0 panic=-1 quiet" -nographic -no-reboot -net none \
    -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap | tee console.log
status="$(sed -n 's/^=== pytest exit \([0-9]*\).*/\1/p' console.log | tail -1)"
exit "${status:-1}"
