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

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f '${db:Status-Status}' "$package" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "host-setup: missing packages ${missing[*]}; run as root to install them" >&2
  exit 1
fi
echo "host-setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
