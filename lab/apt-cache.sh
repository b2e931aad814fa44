#!/usr/bin/env bash
# A package cache the lab's and the scenarios' containers share, across
# scenarios and runs: an apt-cacher-ng of the lab's own on the host, port 3143.
#
#   lab/apt-cache.sh start    start it unless it answers already
#   lab/apt-cache.sh status   say whether it answers
#   lab/apt-cache.sh stop     stop it
#
# The base images (lab/build-image.sh) ask for it at every apt run through
# Acquire::http::Proxy-Auto-Detect: a container that reaches port 3143 on its
# network's gateway (this host) downloads through the cache, any other uses
# the archive directly. The roles' apt tasks still run for real; only the
# downloads come from the cache (/var/cache/apt-cacher-ng).
#
# It is not Debian's apt-cacher-ng service (port 3142, which the package may
# start where systemd runs): that one sends deb.debian.org requests to its
# own list of mirrors, and a machine that reaches only deb.debian.org gets
# "503 Host not found". This instance fetches from deb.debian.org itself.
set -euo pipefail

port=${LAB_APT_CACHE_PORT:-3143}
run_dir=/run/mailstack-apt-cache

answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; }

start() {
  if answers; then
    return 0
  fi
  if ! command -v apt-cacher-ng >/dev/null; then
    echo "apt-cache: apt-cacher-ng is not installed (lab/host-setup.sh installs it)" >&2
    exit 1
  fi
  install -d -o apt-cacher-ng -g apt-cacher-ng "$run_dir"
  runuser -u apt-cacher-ng -- /usr/sbin/apt-cacher-ng -c /etc/apt-cacher-ng \
    ForeGround=0 Port="$port" pidfile="$run_dir/pid" SocketPath="$run_dir/socket" \
    "Remap-debrep=file:deb_mirror*.gz /debian ; http://deb.debian.org/debian/"
  for _ in $(seq 1 20); do
    answers && { echo "apt-cache: apt-cacher-ng answers on port $port" >&2; return 0; }
    sleep 0.5
  done
  echo "apt-cache: apt-cacher-ng did not start (port $port); containers download directly" >&2
}

stop() {
  if [ -f "$run_dir/pid" ]; then
    kill "$(cat "$run_dir/pid")" 2>/dev/null || true
    rm -f "$run_dir/pid"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if answers; then echo "apt-cacher-ng answers on port $port"; else echo "apt-cacher-ng is not running"; exit 1; fi ;;
  *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac
