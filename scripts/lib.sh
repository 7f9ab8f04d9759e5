# shellcheck shell=bash
# Sourced by scripts/demo.sh, scripts/bench.sh and scripts/bundle.sh: the checkout's root as $here
# (and the working directory), its virtualenv and collections, the platform and its base image
# (scripts/platform.sh: WEBSTACK_PLATFORM or WEBSTACK_IMAGE), and the helpers below.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here" || exit
export PATH="$here/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$here/.collections"
PLATFORM="$(bash "$here/scripts/platform.sh" name)"
IMAGE="$(bash "$here/scripts/platform.sh" image)"
export WEBSTACK_PLATFORM="$PLATFORM" WEBSTACK_IMAGE="$IMAGE"

log() { printf '==> %s\n' "$*" >&2; }

# start_systemd_container NAME [-p PORTS] [-v VOLUME] [-n NETWORK]...: start NAME (hostname NAME)
# from $IMAGE unless it exists, with the container settings of molecule/resources/create.yml (the
# one place they are written, for molecule and these scripts alike), attached to the docker
# networks named (created when missing), then wait until systemd has booted.
# A new container is a new machine: the facts Ansible cached under its name are dropped.
start_systemd_container() {
  local name="$1"
  shift
  local ports=() volumes=() networks=()
  while [ "$#" -gt 0 ]; do
    case "$1" in
      -p) ports+=("$2") ;;
      -v) volumes+=("$2") ;;
      -n) networks+=("$2") ;;
      *) echo "start_systemd_container: unsupported argument $1" >&2; return 2 ;;
    esac
    shift 2
  done
  docker inspect "$name" >/dev/null 2>&1 || rm -f "$here/.cache/facts/$name"
  local vars
  vars="$(python3 -c '
import json, sys
name, n, v = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rest = sys.argv[4:]
platform = {"name": name, "hostname": name, "labels": {"owner": "webstack-scripts"},
            "published_ports": rest[:n], "volumes": rest[n:n + v]}
if rest[n + v:]:
    platform["networks"] = [{"name": network} for network in rest[n + v:]]
print(json.dumps({"molecule_yml": {"platforms": [platform]}}))
' "$name" "${#ports[@]}" "${#volumes[@]}" "${ports[@]}" "${volumes[@]}" "${networks[@]}")"
  ansible-playbook -i localhost, -c local -e "ansible_python_interpreter=$(command -v python3)" \
    -e "$vars" "$here/molecule/resources/create.yml" >"$here/.cache/start-$name.log" 2>&1 || {
    tail -n 30 "$here/.cache/start-$name.log" >&2
    return 1
  }
}

# write_demo_secrets FILE: generate the demo's secrets (Django SECRET_KEY, broker password,
# Erlang cookie) into FILE, readable by its owner only, unless FILE already has them.
write_demo_secrets() {
  local file="$1"
  if grep -qs demo_broker_password "$file"; then
    return 0
  fi
  mkdir -p "$(dirname "$file")"
  (
    umask 077
    python3 - > "$file" <<'PY'
import secrets
print(f'django_app_secret_key: "{secrets.token_urlsafe(50)}"')
print(f'demo_broker_password: "{secrets.token_urlsafe(24)}"')
print(f'rabbitmq_erlang_cookie: "{secrets.token_hex(20).upper()}"')
PY
  )
}
