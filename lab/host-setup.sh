#!/usr/bin/env bash
# Install the host packages the lab and the tests need, on Debian 12 as root.
# Installs only what is missing, so a second run costs a dpkg query.
set -euo pipefail

# podman with netavark/aardvark-dns gives the containers DNS names of each
# other (netavark sets up their networks with iptables); runc replaces crun
# (see lab/containers.conf); debootstrap builds the base images; python3-venv
# builds the controller virtualenv; git and rsync copy the tree for
# ansible-test; shellcheck for its shell sanity test; apt-cacher-ng is the
# package cache the containers share (lab/apt-cache.sh); nftables for the
# capability probe (lab/probe.py); openssh-client for the lab's connection (lab/ssh-proxy).
packages=(podman runc netavark aardvark-dns iptables debootstrap python3-venv git rsync shellcheck ca-certificates
          apt-cacher-ng nftables openssh-client)
# QEMU for the virtual machines of the kernel-level tests (lab/vm/), without
# its recommendations (a display stack the VMs do not use): about 14 MB.
bare_packages=(qemu-system-x86 qemu-utils)

missing_of() {
  local package status
  for package in "$@"; do
    status=$(dpkg-query -W -f '${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || echo "$package"
  done
}
mapfile -t missing < <(missing_of "${packages[@]}")
mapfile -t missing_bare < <(missing_of "${bare_packages[@]}")

if [ ${#missing[@]} -eq 0 ] && [ ${#missing_bare[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "host-setup: missing packages ${missing[*]} ${missing_bare[*]}; run as root to install them" >&2
  exit 1
fi
echo "host-setup: installing ${missing[*]} ${missing_bare[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ${#missing_bare[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing_bare[@]}" >/dev/null
fi
