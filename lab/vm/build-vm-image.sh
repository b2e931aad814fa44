#!/usr/bin/env bash
# Build the disk image, kernel and initramfs of the lab's virtual machines:
# what a stock Debian server has (kernel, systemd, openssh-server, python3),
# for the tests that need a kernel of their own (kernel NFS, autofs mounts,
# DRBD) and so cannot run in the containers.
#
#   lab/vm/build-vm-image.sh debian13|debian12
#
# Writes lab/state/vm/images/<distro>-<recipe hash>/ with
#   disk.raw     ext4 root filesystem, used read-only as the base of each VM's
#                qcow2 overlay (lab/vm/vm.sh)
#   vmlinuz, initrd.img   for QEMU's direct kernel boot
# and prints that directory. The hash covers this script and the distro: an
# image is rebuilt only when its recipe changes, and older ones are removed.
#
# Every service comes from the collection's roles later; the image adds only
# mailstack-vm-setup.service, which at each boot takes the VM's hostname, its
# addresses and the one SSH key that may log in as root from the kernel
# command line (lab/vm/vm.sh puts them there), and regenerates missing SSH
# host keys (the image ships none: every VM gets its own).
set -euo pipefail

distro=${1:?usage: $0 debian13|debian12}
case "$distro" in
  debian13) suite=trixie ;;
  debian12) suite=bookworm ;;
  *) echo "build-vm-image: unknown distro '$distro' (expected debian13 or debian12)" >&2; exit 2 ;;
esac

here="$(cd "$(dirname "$0")" && pwd)"
images="$(cd "$here/.." && pwd)/state/vm/images"
# ifupdown is absent on purpose: the setup unit configures the two links with
# iproute2 from the command line.
include=systemd,systemd-sysv,linux-image-amd64,initramfs-tools,udev,kmod,iproute2,openssh-server,python3,ca-certificates,dbus,e2fsprogs
size=${VM_DISK_SIZE:-4G}
recipe_hash=$( { cat "$0"; echo "$suite $include $size ${DEBOOTSTRAP_MIRROR:-}"; } | sha256sum | cut -c1-12)
out="$images/$distro-$recipe_hash"

if [ -s "$out/disk.raw" ] && [ -s "$out/vmlinuz" ] && [ -s "$out/initrd.img" ]; then
  echo "$out"
  exit 0
fi

for tool in debootstrap mkfs.ext4; do
  command -v "$tool" >/dev/null || { echo "build-vm-image: $tool is not installed (lab/host-setup.sh installs it)" >&2; exit 1; }
done

install -d "$images"
workdir=$(mktemp -d "${TMPDIR:-/var/tmp}/mailstack-vm-image.XXXXXX")
cleanup() {
  umount "$workdir/root/proc" 2>/dev/null || true
  rm -rf --one-file-system "$workdir"
}
trap cleanup EXIT
root="$workdir/root"

echo "build-vm-image: debootstrap $suite into $root" >&2
# shellcheck disable=SC2086 # the mirror is optional: no argument when unset
debootstrap --variant=minbase --include="$include" "$suite" "$root" ${DEBOOTSTRAP_MIRROR:-} >"$workdir/debootstrap.log" 2>&1 || {
  tail -n 40 "$workdir/debootstrap.log" >&2
  exit 1
}

# The virtio disk and network drivers in the initramfs: the root filesystem is
# on /dev/vda.
printf '%s\n' virtio_pci virtio_blk virtio_net ext4 >>"$root/etc/initramfs-tools/modules"
mount -t proc proc "$root/proc"
chroot "$root" update-initramfs -u -k all >"$workdir/initramfs.log" 2>&1 || {
  tail -n 40 "$workdir/initramfs.log" >&2
  exit 1
}
umount "$root/proc"
# QEMU boots the kernel and the initramfs made above from outside the disk
# (direct kernel boot): one rebuilt inside the VM would never be used, and
# under TCG each rebuild (nfs-common, drbd-utils and others trigger one)
# costs minutes. Packages still install their hooks as usual.
sed -i 's/^update_initramfs=.*/update_initramfs=no/' "$root/etc/initramfs-tools/update-initramfs.conf"
grep -qx 'update_initramfs=no' "$root/etc/initramfs-tools/update-initramfs.conf"

echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
: >"$root/etc/machine-id"
rm -f "$root/etc/hostname" "$root"/etc/ssh/ssh_host_*
# Root logs in with the key it is given only (Debian's default
# PermitRootLogin prohibit-password); no password is set.
cat >"$root/etc/ssh/sshd_config.d/mailstack-vm.conf" <<'CONF'
PasswordAuthentication no
KbdInteractiveAuthentication no
CONF

install -d "$root/usr/local/sbin"
cat >"$root/usr/local/sbin/mailstack-vm-setup" <<'SCRIPT'
#!/bin/bash
# Hostname, addresses and root's SSH key from the kernel command line:
#   mailstack.hostname=NAME mailstack.address=ADDR/PREFIX mailstack.key=BASE64
# eth0 is QEMU's user network (10.0.2.15, gateway 10.0.2.2: the host's
# loopback, where the package cache answers); eth1 joins the other VMs.
set -euo pipefail
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^mailstack\.$1=//p" | tail -n 1; }
name=$(arg hostname)
address=$(arg address)
key=$(arg key)
if [ -n "$name" ]; then
  hostname "$name"
  echo "$name" >/etc/hostname
  printf '127.0.1.1 %s %s\n' "$name" "${name%%.*}" >/etc/hosts.mailstack
  { printf '127.0.0.1 localhost\n'; cat /etc/hosts.mailstack; } >/etc/hosts
fi
ip link set lo up
ip link set eth0 up
ip address replace 10.0.2.15/24 dev eth0
ip route replace default via 10.0.2.2
echo 'nameserver 10.0.2.3' >/etc/resolv.conf
if [ -n "$address" ] && ip link show eth1 >/dev/null 2>&1; then
  ip link set eth1 up
  ip address replace "$address" dev eth1
fi
if [ -n "$key" ]; then
  install -d -m 0700 /root/.ssh
  echo "$key" | base64 -d >/root/.ssh/authorized_keys
  chmod 0600 /root/.ssh/authorized_keys
fi
ssh-keygen -A
SCRIPT
chmod 0755 "$root/usr/local/sbin/mailstack-vm-setup"
cat >"$root/etc/systemd/system/mailstack-vm-setup.service" <<'UNIT'
[Unit]
Description=Hostname, addresses and SSH key of this lab VM (kernel command line)
DefaultDependencies=no
After=systemd-udev-settle.service sys-subsystem-net-devices-eth0.device
Wants=sys-subsystem-net-devices-eth0.device
Before=network-online.target ssh.service
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/mailstack-vm-setup

[Install]
WantedBy=multi-user.target
UNIT
install -d "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/mailstack-vm-setup.service "$root/etc/systemd/system/multi-user.target.wants/mailstack-vm-setup.service"
# A console on the serial port only (QEMU runs without a display).
ln -sf /dev/null "$root/etc/systemd/system/getty@tty1.service"

# Downloads through the host's package cache when it answers (as in the
# containers, lab/build-image.sh), straight from the archive otherwise.
install -d "$root/usr/local/lib/mailstack-lab"
cat >"$root/usr/local/lib/mailstack-lab/apt-proxy" <<'SCRIPT'
#!/bin/bash
gateway=$(ip -4 route show default 2>/dev/null | awk '{ print $3; exit }')
if [ -n "$gateway" ] && timeout 1 bash -c "exec 3<>/dev/tcp/$gateway/3143" 2>/dev/null; then
  echo "http://$gateway:3143"
else
  echo DIRECT
fi
SCRIPT
chmod 0755 "$root/usr/local/lib/mailstack-lab/apt-proxy"
echo 'Acquire::http::Proxy-Auto-Detect "/usr/local/lib/mailstack-lab/apt-proxy";' \
  >"$root/etc/apt/apt.conf.d/01mailstack-lab-proxy"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

tmp_out="$out.tmp"
rm -rf "$tmp_out"
install -d "$tmp_out"
cp "$root"/boot/vmlinuz-* "$tmp_out/vmlinuz"
cp "$root"/boot/initrd.img-* "$tmp_out/initrd.img"
mkfs.ext4 -q -L mailstack-vm -d "$root" "$tmp_out/disk.raw" "$size" >/dev/null
rm -rf "$out"
mv "$tmp_out" "$out"
# Drop images of earlier recipes for this distro.
find "$images" -mindepth 1 -maxdepth 1 -name "$distro-*" ! -name "$distro-$recipe_hash" -exec rm -rf {} +
echo "$out"
