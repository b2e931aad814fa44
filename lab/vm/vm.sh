#!/usr/bin/env bash
# Start, reach and stop the lab's QEMU virtual machines (lab/vm/build-vm-image.sh
# makes their image).
#
#   lab/vm/vm.sh start NAME INDEX HOSTNAME [DISTRO]
#       boot VM NAME from a fresh qcow2 overlay of the image, in the
#       background: KVM where lab/probe.py finds it usable for a stock kernel,
#       QEMU's software emulation (TCG) otherwise. INDEX (1 or 2) numbers the
#       two VMs of a pair: its SSH port on the host's loopback is
#       VM_SSH_BASE_PORT+INDEX, its address on the pair's own link
#       VM_NETWORK.(10+INDEX)/24. The link is point-to-point UDP between
#       127.0.0.1:VM_LINK_PORT+1 and +2: connectionless, so either VM can
#       reboot or be powered off and on while the other runs. Each VM's
#       network cards get MAC addresses of their own (52:54:00:4d:00:1INDEX
#       and :2INDEX): QEMU would give both VMs the same.
#       A second disk, blank (VM_DATA_SIZE, default 256M), is /dev/vdb:
#       the backing device for DRBD. VM_MEMORY (MB, default 1536), VM_CPUS
#       (default 1) and VM_DISK_CACHE (QEMU cache mode of both disks, default
#       unsafe) size and tune the VM. One CPU each: under TCG, with both VMs
#       busy on a 2-core host, two CPUs each were slower (fork+exec 55 ms
#       against 33 ms, systemctl 240 ms against 150 ms); with KVM, raise it.
#   lab/vm/vm.sh wait NAME [SECONDS]
#       until root logs in over SSH (default 300 s); prints the console's end
#       when it does not
#   lab/vm/vm.sh ssh NAME [COMMAND...]
#       a command (or a shell) on the VM, as root
#   lab/vm/vm.sh power-cycle NAME
#       kill QEMU and boot the same disk again (a crash and a cold start; a
#       clean reboot is `lab/vm/vm.sh ssh NAME systemctl reboot`)
#   lab/vm/vm.sh stop NAME      power off and forget the VM (its overlay too)
#   lab/vm/vm.sh ssh-config NAME
#       print an ssh_config block for the VM (Host NAME): its port, then the
#       lab's client options (lab/state/ssh/config), for Ansible and testinfra
#
# State lives in lab/state/vm/NAME/ (overlay, pid, console log, ports). SSH
# uses the lab's client configuration and key (lab/ssh-proxy --key writes
# both); the VMs' SSH ports listen on 127.0.0.1 only.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
lab="$(cd "$here/.." && pwd)"
state_root="$lab/state/vm"
ssh_base=${VM_SSH_BASE_PORT:-2220}
link_port=${VM_LINK_PORT:-2300}
network=${VM_NETWORK:-192.168.250}
memory=${VM_MEMORY:-1536}
cpus=${VM_CPUS:-1}
# A blank second disk (/dev/vdb) of this size, the backing device of DRBD:
# kept across power cycles, removed by stop.
data_size=${VM_DATA_SIZE:-256M}
# QEMU's host cache mode for both disks. unsafe: the guest's flushes (every
# dpkg unpack does several) return at once and the data reach the overlay
# when QEMU writes them or exits; the disks are throwaway overlays, and
# power-cycle and stop end QEMU with SIGTERM, which writes everything out.
disk_cache=${VM_DISK_CACHE:-unsafe}

die() { echo "vm: $*" >&2; exit 1; }
state_of() { printf '%s/%s' "$state_root" "$1"; }

accel() {
  # KVM only where the probe found it usable for a stock kernel (a kvm_pvm
  # /dev/kvm is not); TCG otherwise, with a bounded translation cache.
  if [ -s "$lab/state/capabilities.json" ] &&
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["capabilities"]["kvm"]["present"] else 1)' \
      "$lab/state/capabilities.json" 2>/dev/null; then
    echo "-accel kvm -cpu host"
  else
    echo "-accel tcg,tb-size=128 -cpu max"
  fi
}

# The lab's ssh configuration (lab/state/ssh/config: user, key, host key
# policy), with the VM's forwarded port instead of the containers' proxy.
ssh_args() {
  local dir
  dir=$(state_of "$1")
  [ -s "$dir/ssh-port" ] || die "$1 is not running (no $dir/ssh-port)"
  "$lab/ssh-proxy" --key >/dev/null
  printf '%s\n' -F "$lab/state/ssh/config" -o ProxyCommand=none -p "$(cat "$dir/ssh-port")" \
    -o ConnectTimeout=5 -o BatchMode=yes 127.0.0.1
}

start() {
  local name=${1:?name} index=${2:?index} hostname=${3:?hostname} distro=${4:-debian13}
  case "$index" in [12]) ;; *) die "index must be 1 or 2, got '$index'" ;; esac
  local dir image key link
  dir=$(state_of "$name")
  if [ -s "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
    die "$name runs already (pid $(cat "$dir/pid")); lab/vm/vm.sh stop $name first"
  fi
  command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is not installed (lab/host-setup.sh installs it)"
  image=$("$here/build-vm-image.sh" "$distro")
  key=$("$lab/ssh-proxy" --key)
  rm -rf "$dir"
  install -d -m 0700 "$dir"
  qemu-img create -q -f qcow2 -b "$image/disk.raw" -F raw "$dir/disk.qcow2"
  qemu-img create -q -f qcow2 "$dir/data.qcow2" "$data_size"
  echo "$((ssh_base + index))" >"$dir/ssh-port"
  echo "$image" >"$dir/image"
  echo "$index $hostname $distro" >"$dir/identity"
  link="socket,id=link,localaddr=127.0.0.1:$((link_port + index)),udp=127.0.0.1:$((link_port + 3 - index))"
  boot "$name" "$link" "$(base64 -w0 <"$key.pub")"
}

boot() {
  local name=$1 link=$2 key64=$3 dir index hostname image
  dir=$(state_of "$name")
  read -r index hostname _ <"$dir/identity"
  image=$(cat "$dir/image")
  echo "$link" >"$dir/link"
  echo "$key64" >"$dir/key"
  # shellcheck disable=SC2046 # accel prints several words on purpose
  qemu-system-x86_64 $(accel) -m "$memory" -smp "$cpus" \
    -name "$name" -display none -daemonize -pidfile "$dir/pid" \
    -serial "file:$dir/console.log" -monitor none \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 mailstack.hostname=$hostname mailstack.address=$network.$((10 + index))/24 mailstack.key=$key64" \
    -drive "file=$dir/disk.qcow2,if=virtio,format=qcow2,cache=$disk_cache" \
    -drive "file=$dir/data.qcow2,if=virtio,format=qcow2,cache=$disk_cache" \
    -netdev "user,id=user,hostfwd=tcp:127.0.0.1:$(cat "$dir/ssh-port")-:22" \
    -device "virtio-net-pci,netdev=user,mac=52:54:00:4d:00:1$index" \
    -netdev "$link" -device "virtio-net-pci,netdev=link,mac=52:54:00:4d:00:2$index"
  echo "vm: $name ($hostname) booting; ssh port $(cat "$dir/ssh-port"), link address $network.$((10 + index))" >&2
}

wait_ssh() {
  local name=${1:?name} limit=${2:-300} dir args
  dir=$(state_of "$name")
  mapfile -t args < <(ssh_args "$name")
  local deadline=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ssh "${args[@]}" true 2>/dev/null; then
      echo "vm: $name answers over SSH after $SECONDS s" >&2
      return 0
    fi
    if ! kill -0 "$(cat "$dir/pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      tail -n 30 "$dir/console.log" >&2 || true
      die "$name: QEMU is not running"
    fi
    sleep 3
  done
  tail -n 30 "$dir/console.log" >&2 || true
  die "$name did not answer over SSH within $limit s"
}

power_off() {
  local dir pid
  dir=$(state_of "$1")
  [ -s "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  wait) shift; wait_ssh "$@" ;;
  ssh)
    shift
    name=${1:?name}; shift
    mapfile -t args < <(ssh_args "$name")
    exec ssh "${args[@]}" "$@"
    ;;
  power-cycle)
    name=${2:?name}; dir=$(state_of "$name")
    [ -s "$dir/identity" ] || die "$name was never started"
    power_off "$name"
    boot "$name" "$(cat "$dir/link")" "$(cat "$dir/key")"
    ;;
  stop)
    name=${2:?name}
    power_off "$name"
    rm -rf "$(state_of "$name")"
    ;;
  ssh-config)
    name=${2:?name}; dir=$(state_of "$name")
    [ -s "$dir/ssh-port" ] || die "$name is not running"
    "$lab/ssh-proxy" --key >/dev/null
    # ssh takes the first value of each option: the VM's own before the lab's.
    printf 'Host %s\n  HostName 127.0.0.1\n  Port %s\n  ProxyCommand none\n  Include "%s"\n' \
      "$name" "$(cat "$dir/ssh-port")" "$lab/state/ssh/config"
    ;;
  *) echo "usage: $0 start NAME INDEX HOSTNAME [DISTRO] | wait NAME [SECONDS] | ssh NAME [COMMAND...] | power-cycle NAME | stop NAME | ssh-config NAME" >&2; exit 2 ;;
esac
