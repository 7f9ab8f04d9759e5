#!/usr/bin/env bash
# Benchmarks of the demo stack in fresh local systemd containers (docs/benchmarks.md):
#   scripts/bench.sh [all|provision|sizing|fleet|plots]
#
#   provision  wall time of a cold converge of playbooks/site.yml, of the idempotent second
#              run (with the project's Ansible settings and with Ansible's defaults), of a
#              new-release playbooks/deploy.yml, and the time per role and the slowest tasks
#              (ansible.posix.profile_roles / profile_tasks), the tasks run and skipped; then
#              the same runs over SSH (the container's own sshd, published on the host's
#              loopback only, a key pair made for the run, an account with sudo)
#   sizing     the passive path (live wrk traffic, calibrate.yml's passive measurement, web.yml
#              resizing), W/C calibration (playbooks/calibrate.yml) of /cpu and /io, then the
#              uWSGI processes x threads sweep with wrk through nginx, against the worker_counts
#              plans and the common static defaults; the same under a CPU-bound Celery load (the
#              all-in-one host); then the Celery concurrency sweep (benchmarks/celery_sweep.py)
#   asgi       the demo's async view served by uvicorn (the ASGI server) and by uWSGI, and the
#              sync view by uWSGI, with wrk through nginx (benchmarks/asgi.py)
#   fleet      site.yml cold and with no change, and deploy.yml, on a core host (lb, db,
#              broker, worker) and 1, 2 and 4 web hosts on one docker network (28 minutes on
#              2 vCPUs; 8 web hosts would add about 20, so they are left to BENCH_FLEET_SIZES)
#   plots      the PNG figures from the JSON reports
#   all        all of them, each in fresh containers (the default)
#
# Environment: BENCH_MODE=full|quick (grid, repetitions, durations, fleet sizes; default full),
# BENCH_FLEET_SIZES (the numbers of web hosts, default "1 2 4", quick "1 2"), BENCH_OUT
# (default dist/bench), BENCH_KEEP=1 keeps the containers afterwards.
# Loads only the project's own containers (webstack-bench*), one set at a time, for a bounded
# time.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
NAME=webstack-bench
SSH_NAME=webstack-bench-ssh
FLEET_NET=webstack-bench-fleet
FLEET_CORE=webstack-bench-core
FLEET_WEB=webstack-bench-web
STATE="$here/.cache/bench"
OUT="${BENCH_OUT:-$here/dist/bench}"
MODE="${BENCH_MODE:-full}"
if [ "$MODE" = quick ]; then
  FLEET_SIZES="${BENCH_FLEET_SIZES:-1 2}"
else
  FLEET_SIZES="${BENCH_FLEET_SIZES:-1 2 4}"
fi
FLEET_MAX="$(tr ' ' '\n' <<<"$FLEET_SIZES" | sort -n | tail -n 1)"

# The demo inventory with the bench container as its one host; group_vars are the demo's.
prepare() {
  mkdir -p "$STATE/inventory" "$OUT"
  write_demo_secrets "$STATE/secrets.yml"
  ln -sfn "$here/inventories/demo/group_vars" "$STATE/inventory/group_vars"
  sed "s/webstack-demo:/$NAME:/" inventories/demo/hosts.yml > "$STATE/inventory/hosts.yml"
  log "building the demo release archives (demo, bench2, bench3)"
  for id in demo bench2 bench3; do
    DIST_DIR="$here/dist" bash examples/demo_project/build_release.sh "$id" >/dev/null
  done
}

fresh_container() {
  docker rm -f "$NAME" >/dev/null 2>&1 || true
  rm -rf "$STATE/facts"
  log "starting a fresh container $NAME from $IMAGE"
  start_systemd_container "$NAME"
}

# The SSH benchmark's host: a fresh container whose own openssh-server (from the platform's
# archive) listens on a port of the host's loopback only, a key pair made for this run and an
# account `deploy` with sudo, as inventories/prod connects. Its inventory is the demo's with
# host_vars for SSH, trusting only the host key read from the container.
ssh_container() {
  docker rm -f "$SSH_NAME" >/dev/null 2>&1 || true
  rm -rf "$STATE/facts" "$STATE/ssh" "$STATE/inventory-ssh"
  mkdir -p "$STATE/ssh" "$STATE/inventory-ssh/host_vars"
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log "starting a fresh container $SSH_NAME from $IMAGE, its sshd on 127.0.0.1:$port"
  start_systemd_container "$SSH_NAME" -p "127.0.0.1:$port:22"
  ssh-keygen -q -t ed25519 -N '' -C "$SSH_NAME" -f "$STATE/ssh/id_ed25519"
  log "installing openssh-server in $SSH_NAME"
  docker exec -i -e KEY="$(cat "$STATE/ssh/id_ed25519.pub")" "$SSH_NAME" sh -eu <<'SH'
lists="$(stat -c %Y /var/lib/apt/lists)"
apt-get update -qq </dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server </dev/null >/dev/null
# The converge finds the package lists as old as the image left them, as on the docker run.
touch -d "@$lists" /var/lib/apt/lists
if [ -e /var/lib/apt/periodic/update-success-stamp ]; then
  touch -d "@$lists" /var/lib/apt/periodic/update-success-stamp
fi
useradd --create-home --shell /bin/bash deploy
install -d -m 700 -o deploy -g deploy /home/deploy/.ssh
printf '%s\n' "$KEY" > /home/deploy/.ssh/authorized_keys
chown deploy:deploy /home/deploy/.ssh/authorized_keys
echo 'deploy ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/deploy
chmod 440 /etc/sudoers.d/deploy
systemctl is-active --quiet ssh.socket || systemctl is-active --quiet ssh.service ||
  systemctl start ssh.service </dev/null
SH
  printf '[127.0.0.1]:%s %s\n' "$port" \
    "$(docker exec "$SSH_NAME" cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)" > "$STATE/ssh/known_hosts"
  ln -sfn "$here/inventories/demo/group_vars" "$STATE/inventory-ssh/group_vars"
  sed "s/webstack-demo:/$SSH_NAME:/" inventories/demo/hosts.yml > "$STATE/inventory-ssh/hosts.yml"
  cat > "$STATE/inventory-ssh/host_vars/$SSH_NAME.yml" <<YAML
---
# Over SSH as inventories/prod connects: an account with sudo; the rest is ansible.cfg's.
ansible_connection: ansible.builtin.ssh
ansible_host: 127.0.0.1
ansible_port: $port
ansible_user: deploy
ansible_become: true
ansible_ssh_private_key_file: $STATE/ssh/id_ed25519
ansible_ssh_common_args: -o UserKnownHostsFile=$STATE/ssh/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes
YAML
  local try
  for try in $(seq 30); do
    if ssh -q -p "$port" -i "$STATE/ssh/id_ed25519" -o BatchMode=yes -o IdentitiesOnly=yes \
      -o UserKnownHostsFile="$STATE/ssh/known_hosts" -o StrictHostKeyChecking=yes \
      deploy@127.0.0.1 sudo -n true; then
      return 0
    fi
    sleep 1
  done
  echo "no SSH login to $SSH_NAME after $try tries" >&2
  return 1
}

# The bench container with the demo stack deployed: the one BENCH_KEEP=1 kept, or a fresh one.
deployed_container() {
  if ! docker exec "$NAME" test -e /srv/demo/current 2>/dev/null; then
    fresh_container
    log "deploying the demo stack"
    ansible-playbook -i "$STATE/inventory" playbooks/site.yml -e "@$STATE/secrets.yml" >/dev/null
  fi
}

provision_ssh() {
  ssh_container
  python benchmarks/provision.py --container "$SSH_NAME" --inventory "$STATE/inventory-ssh" \
    --secrets "$STATE/secrets.yml" --out "$OUT" --mode "$MODE" --transport ssh
  docker rm -f "$SSH_NAME" >/dev/null
}

# The fleet's inventory: the core host in the lb, db, broker and worker groups, web hosts 1..N
# in the web group, with the demo's settings and benchmarks/fleet_vars.yml.
fleet_inventory() {
  local n="$1" dir="$STATE/fleet/inventory" group i
  rm -rf "$dir"
  mkdir -p "$dir/group_vars/all"
  ln -s "$here/inventories/demo/group_vars/all.yml" "$dir/group_vars/all/demo.yml"
  ln -s "$here/benchmarks/fleet_vars.yml" "$dir/group_vars/all/fleet.yml"
  {
    printf -- '---\nall:\n  vars:\n    ansible_connection: community.docker.docker\n'
    printf '    ansible_python_interpreter: /usr/bin/python3\n  children:\n'
    for group in lb db broker worker; do
      printf '    %s:\n      hosts:\n        %s:\n' "$group" "$FLEET_CORE"
    done
    printf '    web:\n      hosts:\n'
    for i in $(seq "$n"); do
      printf '        %s%s:\n' "$FLEET_WEB" "$i"
    done
  } > "$dir/hosts.yml"
}

fleet_down() {
  local names=("$FLEET_CORE") i
  for i in $(seq "$FLEET_MAX"); do
    names+=("$FLEET_WEB$i")
  done
  docker rm -f "${names[@]}" >/dev/null 2>&1 || true
  docker network rm "$FLEET_NET" >/dev/null 2>&1 || true
}

# Fresh containers for a fleet of N web hosts: the core first (it creates the network), then
# the web hosts side by side.
fleet_up() {
  local n="$1" i pid pids=()
  fleet_down
  rm -rf "$STATE/facts"
  log "starting $FLEET_CORE and $n web hosts from $IMAGE on the network $FLEET_NET"
  start_systemd_container "$FLEET_CORE" -n "$FLEET_NET"
  for i in $(seq "$n"); do
    start_systemd_container "$FLEET_WEB$i" -n "$FLEET_NET" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do
    wait "$pid"
  done
}

# Each fleet size on fresh containers, one size at a time; fleet.json gains each size. A size
# whose run fails is noted (fleet_failed) and the next size still runs.
fleet_failed=0
fleet() {
  local n
  mkdir -p "$STATE/fleet"
  write_demo_secrets "$STATE/fleet/secrets.yml"
  grep -qs demo_db_password "$STATE/fleet/secrets.yml" ||
    python3 -c 'import secrets; print(f"demo_db_password: \"{secrets.token_urlsafe(24)}\"")' \
      >> "$STATE/fleet/secrets.yml"
  for n in $FLEET_SIZES; do
    fleet_up "$n"
    fleet_inventory "$n"
    python benchmarks/fleet.py --container "$FLEET_CORE" --inventory "$STATE/fleet/inventory" \
      --secrets "$STATE/fleet/secrets.yml" --out "$OUT" --mode "$MODE" --web-hosts "$n" || fleet_failed=1
    fleet_down
  done
}

cleanup() {
  if [ "${BENCH_KEEP:-0}" != 1 ]; then
    docker rm -f "$NAME" "$SSH_NAME" >/dev/null 2>&1 || true
    fleet_down
  fi
}

bench_args=(--container "$NAME" --inventory "$STATE/inventory" --secrets "$STATE/secrets.yml"
            --out "$OUT" --mode "$MODE")
export ANSIBLE_CACHE_PLUGIN_CONNECTION="$STATE/facts"

case "${1:-all}" in
  all)
    prepare
    trap cleanup EXIT
    fresh_container
    python benchmarks/provision.py "${bench_args[@]}"
    python benchmarks/sizing.py "${bench_args[@]}"
    python benchmarks/celery_sweep.py "${bench_args[@]}"
    python benchmarks/asgi.py "${bench_args[@]}"
    docker rm -f "$NAME" >/dev/null
    provision_ssh
    fleet
    python benchmarks/plots.py --out "$OUT"
    python benchmarks/report.py --out "$OUT"
    ;;
  provision)
    prepare
    trap cleanup EXIT
    fresh_container
    python benchmarks/provision.py "${bench_args[@]}"
    docker rm -f "$NAME" >/dev/null
    provision_ssh
    ;;
  sizing)
    prepare
    trap cleanup EXIT
    deployed_container
    python benchmarks/sizing.py "${bench_args[@]}"
    python benchmarks/celery_sweep.py "${bench_args[@]}"
    python benchmarks/plots.py --out "$OUT"
    python benchmarks/report.py --out "$OUT"
    ;;
  asgi)
    prepare
    trap cleanup EXIT
    deployed_container
    python benchmarks/asgi.py "${bench_args[@]}"
    ;;
  fleet)
    prepare
    trap cleanup EXIT
    fleet
    python benchmarks/plots.py --out "$OUT"
    python benchmarks/report.py --out "$OUT"
    ;;
  plots)
    python benchmarks/plots.py --out "$OUT"
    python benchmarks/report.py --out "$OUT"
    ;;
  *) echo "usage: $0 [all|provision|sizing|asgi|fleet|plots]" >&2; exit 2 ;;
esac
log "reports in $OUT"
if [ "$fleet_failed" != 0 ]; then
  echo "a fleet run failed: see $OUT/fleet-*.log" >&2
  exit 1
fi
