#!/usr/bin/env bash
# The lab's containers: podman systemd containers on one podman network.
#
#   lab/lab.sh up       create (or start) the network, volumes and nodes
#   lab/lab.sh info     print addresses and how to use the lab
#   lab/lab.sh down     remove the nodes, volumes and network
#
# DISTRO=debian13 (default) or debian12 picks the base image. Run through the
# Makefile (`make lab`, `make lab-destroy`), which also sets CONTAINERS_CONF.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
distro=${DISTRO:-debian13}
prefix=${LAB_PREFIX:-mailstack-lab}
network=$prefix
subnet=${LAB_SUBNET:-10.213.60.0/24}
domain=example.test
image=localhost/mailstack-base:$distro
# node name -> extra podman arguments. Both nodes are privileged: autofs needs
# /dev/autofs on the web node, Pacemaker's IPaddr2 needs NET_ADMIN on the mail
# node. Mailman's data directory on the mail node is a podman volume: it is
# what the NFS server exports, and the user-space NFS server needs a
# filesystem with file handles (the overlay root has none). /srv is one too,
# for data a site adds.
nodes=(mail web)
declare -A node_args=(
  [mail]="--volume $prefix-mail-mailman:/var/lib/mailman3 --volume $prefix-mail-srv:/srv"
  [web]=""
)

log() { printf 'lab: %s\n' "$*" >&2; }

container_of() { printf '%s-%s' "$prefix" "$1"; }

wait_for_systemd() {
  local name=$1 state=""
  for _ in $(seq 1 60); do
    state=$(podman exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$state" in
      running) return 0 ;;
      degraded)
        # Units an earlier, failed or interrupted run left failed (a service
        # that could not start): report them, clear them and go on, so that
        # site.yml configures and starts them again instead of the lab
        # refusing to run until `make lab-destroy`.
        log "$name: systemd is degraded; units left failed by an earlier run:"
        podman exec "$name" systemctl --failed --no-legend --plain >&2 || true
        log "$name: resetting them; site.yml will configure and start them again"
        podman exec "$name" systemctl reset-failed
        return 0 ;;
    esac
    sleep 1
  done
  log "$name: systemd did not finish booting (state: ${state:-unknown})"
  return 1
}

up() {
  "$here/build-image.sh" "$distro" >/dev/null
  if ! podman network exists "$network"; then
    log "creating network $network ($subnet)"
    podman network create --subnet "$subnet" --label "mailstack.lab=1" "$network" >/dev/null
  fi
  local node name running_distro
  for node in "${nodes[@]}"; do
    name=$(container_of "$node")
    if podman container exists "$name"; then
      running_distro=$(podman container inspect --format '{{ index .Config.Labels "mailstack.distro" }}' "$name")
      if [ "$running_distro" != "$distro" ]; then
        log "$name runs $running_distro, not $distro: run 'make lab-destroy' first to switch."
        exit 1
      fi
      if [ "$(podman container inspect --format '{{ .State.Running }}' "$name")" != true ]; then
        log "starting $name"
        podman start "$name" >/dev/null
      fi
    else
      log "creating $name ($distro)"
      # shellcheck disable=SC2086 # node_args holds several arguments
      podman run -d --name "$name" \
        --hostname "$node.$domain" \
        --network "$network" --network-alias "$node" --network-alias "$node.$domain" \
        --label "mailstack.lab=1" --label "mailstack.distro=$distro" \
        --privileged --systemd=always \
        ${node_args[$node]} \
        "$image" > /dev/null 2> >(grep -v 'failed to connect to syslog' >&2)
    fi
  done
  for node in "${nodes[@]}"; do
    name=$(container_of "$node")
    wait_for_systemd "$name"
    # A run interrupted while apt was installing leaves dpkg half-done, and
    # every later apt task would refuse: finish what dpkg started.
    if [ -n "$(podman exec "$name" dpkg --audit 2>/dev/null)" ]; then
      log "$name: an earlier run left packages half-installed; running dpkg --configure -a"
      podman exec --env DEBIAN_FRONTEND=noninteractive "$name" dpkg --configure -a >&2
    fi
    # Ansible reaches the nodes through lab/ssh-proxy, which needs the image's sshd.
    if ! podman exec "$name" test -x /usr/local/sbin/mailstack-lab-sshd; then
      log "$name was created from an older base image without the lab's sshd: run 'make lab-destroy', then 'make lab'."
      exit 1
    fi
  done
  "$here/ssh-proxy" --key >/dev/null
}

address_of() {
  podman container inspect --format "{{ (index .NetworkSettings.Networks \"$network\").IPAddress }}" "$(container_of "$1")"
}

info() {
  local node name
  printf '\nlistserv.mailstack lab (%s) on podman network %s (%s)\n\n' "$distro" "$network" "$subnet"
  printf '  %-6s %-22s %-16s %s\n' node container address hostname
  for node in "${nodes[@]}"; do
    name=$(container_of "$node")
    printf '  %-6s %-22s %-16s %s\n' "$node" "$name" "$(address_of "$node")" "$node.$domain"
  done
  local mail web
  mail=$(container_of mail)
  web=$(container_of web)
  printf '\nShell on a node:      podman exec -it %s bash\n' "$mail"
  printf 'Or as Ansible does:   ssh -F lab/state/ssh/config %s\n' "$mail"
  printf 'Re-run site.yml:      make lab\n'
  printf 'Time sync status:     podman exec %s chronyc -n sources\n' "$web"
  if podman exec "$mail" test -x /usr/sbin/sendmail 2>/dev/null; then
    printf 'Send a test message:  printf "Subject: lab test\\n\\nhello\\n" | podman exec -i %s sendmail user1\n' "$mail"
    printf 'Read the mailbox:     podman exec %s cat /var/mail/user1\n' "$mail"
    printf 'Read the mail log:    podman exec %s journalctl SYSLOG_FACILITY=2 -n 20 --no-pager\n' "$mail"
    printf 'SMTP server:          %s port 25, submission 587 (STARTTLS, then AUTH as user1)\n' "$(address_of mail)"
    printf 'Log health check:     ansible-playbook -i inventories/lab playbooks/logcheck.yml\n'
  else
    printf 'Send a test message:  (no MTA deployed yet: the postfix role adds one)\n'
  fi
  if podman exec "$mail" test -x /usr/bin/mailman 2>/dev/null; then
    printf 'Mailman lists:        podman exec %s runuser -u list -- mailman lists\n' "$mail"
    printf 'Post to a list:       printf "Subject: hello list\\n\\nhi\\n" | podman exec -i %s sendmail -f user1@mail.%s team@lists.%s\n' "$mail" "$domain" "$domain"
  fi
  if podman exec "$web" sh -c 'command -v nginx || command -v apache2' >/dev/null 2>&1; then
    printf 'Web interface:        https://%s/  (self-signed certificate)\n' "$(address_of web)"
  else
    printf 'Web interface:        (not deployed yet: the mailman_web role adds it)\n'
  fi
  printf 'Remove the lab:       make lab-destroy\n\n'
  python3 "$here/probe.py" --missing
}

down() {
  local node name
  for node in "${nodes[@]}"; do
    name=$(container_of "$node")
    if podman container exists "$name"; then
      log "removing $name"
      podman rm -f -t 10 "$name" >/dev/null
    fi
  done
  local volume
  for volume in $(podman volume ls --quiet --filter "name=^$prefix-"); do
    log "removing volume $volume"
    podman volume rm -f "$volume" >/dev/null
  done
  if podman network exists "$network"; then
    log "removing network $network"
    podman network rm -f "$network" >/dev/null
  fi
}

case "${1:-}" in
  up) up ;;
  info) info ;;
  down) down ;;
  *) echo "usage: $0 up|info|down" >&2; exit 2 ;;
esac
