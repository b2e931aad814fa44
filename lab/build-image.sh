#!/usr/bin/env bash
# Build a Debian systemd base image for the lab and the molecule scenarios.
#
#   lab/build-image.sh debian13|debian12
#
# The image is tagged localhost/mailstack-base:<distro>-<recipe hash> and
# localhost/mailstack-base:<distro>. The hash covers this script and the
# distro, so an image is rebuilt only when its recipe changes. No registry is
# involved: debootstrap fetches packages from the Debian archive and
# `podman import` turns the tree into an image.
set -euo pipefail

distro=${1:?usage: $0 debian13|debian12}
case "$distro" in
  debian13) suite=trixie ;;
  debian12) suite=bookworm ;;
  *) echo "build-image: unknown distro '$distro' (expected debian13 or debian12)" >&2; exit 2 ;;
esac

repo_name=localhost/mailstack-base
# What goes into the tree. python3 for Ansible, systemd as PID 1, dbus for
# systemctl, iproute2 for address facts, openssh-server for the lab's
# connection (lab/ssh-proxy: sshd in inetd mode on a `podman exec`, never
# listening on the network).
include=systemd,systemd-sysv,python3,dbus,iproute2,ca-certificates,openssh-server
recipe_hash=$( { cat "$0"; echo "$suite $include ${DEBOOTSTRAP_MIRROR:-}"; } | sha256sum | cut -c1-12)
tag="$repo_name:$distro-$recipe_hash"

if podman image exists "$tag"; then
  podman tag "$tag" "$repo_name:$distro"
  echo "$tag (cached)"
  exit 0
fi

workdir=$(mktemp -d "${TMPDIR:-/var/tmp}/mailstack-image.XXXXXX")
cleanup() { rm -rf --one-file-system "$workdir"; }
trap cleanup EXIT
root="$workdir/root"

echo "build-image: debootstrap $suite into $root" >&2
# shellcheck disable=SC2086 # the mirror is optional: no argument when unset
debootstrap --variant=minbase --include="$include" "$suite" "$root" ${DEBOOTSTRAP_MIRROR:-} >"$workdir/debootstrap.log" 2>&1 || {
  tail -n 40 "$workdir/debootstrap.log" >&2
  exit 1
}

# Units that cannot work in a container and would leave systemd "degraded"
# (run-rpc_pipefs.mount on Debian 13, var-lib-nfs-rpc_pipefs.mount on Debian
# 12, come with nfs-common: no rpc_pipefs in this kernel).
for unit in systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
            sys-kernel-tracing.mount systemd-remount-fs.service getty@tty1.service \
            serial-getty@.service console-getty.service systemd-firstboot.service \
            run-rpc_pipefs.mount var-lib-nfs-rpc_pipefs.mount \
            ssh.service ssh.socket sshd.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# The connection's sshd (ssh.service and ssh.socket are masked above: nothing
# listens on port 22). lab/ssh-proxy runs it as
#   podman exec -i <container> /usr/local/sbin/mailstack-lab-sshd <public key>
# and it speaks SSH on that exec's standard input and output, accepting only
# the key it was given (the checkout's lab/state/ssh key).
install -d "$root/usr/local/sbin"
cat >"$root/usr/local/sbin/mailstack-lab-sshd" <<'SCRIPT'
#!/bin/sh
set -eu
[ $# -ge 1 ] || { echo "usage: $0 <public key>" >&2; exit 2; }
install -d -m 0755 /run/sshd
exec /usr/sbin/sshd -i -o UsePAM=no -o PermitRootLogin=prohibit-password \
  -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
  -o AuthorizedKeysFile=none -o AuthorizedKeysCommandUser=nobody \
  -o "AuthorizedKeysCommand=/bin/echo $*"
SCRIPT
chmod 0700 "$root/usr/local/sbin/mailstack-lab-sshd"
# Downloads through the host's package cache (port 3143) when it answers (lab/apt-cache.sh),
# straight from the archive otherwise: apt runs the script for each host it
# fetches from, and the script prints the proxy or DIRECT.
install -d "$root/usr/local/lib/mailstack-lab"
cat >"$root/usr/local/lib/mailstack-lab/apt-proxy" <<'SCRIPT'
#!/bin/bash
# The lab's package cache on this container's gateway, when it answers.
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
# The container's hostname and resolver come from podman.
rm -f "$root/etc/hostname"
: >"$root/etc/machine-id"
# Keep the image small; roles run `apt-get update` themselves.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb

tar -C "$root" --numeric-owner -c . |
  podman import \
    --change 'CMD ["/sbin/init"]' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change 'ENV container=podman' \
    --quiet --message "listserv.mailstack base image ($suite, recipe $recipe_hash)" \
    - "$tag" >/dev/null
podman tag "$tag" "$repo_name:$distro"
# Drop images of earlier recipes for this distro.
podman images --format '{{.Repository}}:{{.Tag}}' "$repo_name" |
  grep -E "^$repo_name:$distro-" | grep -vxF "$tag" | xargs -r podman rmi >/dev/null 2>&1 || true
echo "$tag"
