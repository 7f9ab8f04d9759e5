#!/usr/bin/env bash
# make lock: every Python environment's lock file, from its short input:
#
#   requirements/controller.in -> controller.txt   .venv (the controller and the tests)
#   requirements/bench.in      -> bench.txt        .venv's benchmark extras (controller.txt's versions)
#   requirements/gates.in      -> gates.txt        .venv-sanity (ansible-test, what its units need,
#                                                  the release tools)
#   examples/*/requirements.in -> requirements.txt the example projects' locks (Python 3.10 to 3.12)
#   roles/seaweedfs/files/requirements.in -> requirements.txt   the seaweedfs role's venv (SeaweedFS's
#                                                  weed binary; the targets' Python 3.10 to 3.12)
#
# Every package, transitive ones included, pinned with its hashes, for every Python the
# environment is made with (uv's universal resolution: markers where they differ). A lock's
# current pins are kept unless its input asks otherwise, so with unchanged inputs the locks are
# written again byte for byte. To update one package:
#   make lock UPGRADE=NAME     (or raise its pin in the .in file, then make lock)
#   bash scripts/lock.sh --check   exits 1, naming the lock, when a lock is not what its input
#                                  resolves to (tests/integration/test_locks.py)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

check=false
if [ "${1:-}" = --check ]; then
  check=true
  shift
fi
uv="${UV:-$here/.venv/bin/uv}"
[ -x "$uv" ] || uv="$(command -v uv || true)"
[ -n "$uv" ] || { echo "uv is needed: make setup-venv (it is in requirements/controller.txt)" >&2; exit 2; }
out_dir="$here"
if "$check"; then
  out_dir="$(mktemp -d)"
  trap 'rm -rf "$out_dir"' EXIT
fi
stale=()

# The pins of a lock, without hashes and comments: what --check compares (a new wheel of a
# pinned release adds a hash without making the lock stale).
pins() { sed -n 's/^\([A-Za-z0-9][^ ]*==[^\\]*[^ \\]\).*/\1/p' "$1"; }

# compile PYTHON LOCK INPUT...: LOCK from the inputs, its current pins kept as preferences.
compile() {
  local python="$1" lock="$2" out
  shift 2
  out="$out_dir/$lock"
  if "$check"; then
    mkdir -p "$(dirname "$out")"
    [ ! -f "$lock" ] || cp "$lock" "$out"
  fi
  # The header names this command, not uv's own (which would carry this machine's paths).
  "$uv" pip compile --quiet --universal --python-version "$python" --generate-hashes \
    --no-strip-markers --custom-compile-command "make lock" --output-file "$out" "$@"
  if "$check" && ! diff <(pins "$lock" 2>/dev/null) <(pins "$out") >/dev/null; then
    echo "$lock is stale against its input; what make lock would change:" >&2
    diff <(pins "$lock" 2>/dev/null) <(pins "$out") | sed -n 's/^[<>] /  &/p' >&2 || true
    stale+=("$lock")
  fi
}

# What `ansible-test units` would otherwise install itself, unhashed and partly unpinned
# (units.txt names mock, pytest, pytest-mock, pytest-xdist without versions).
ansible_test_requirements() {
  local dir
  dir="$("$here/.venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_data", "requirements"))')"
  cat "$dir"/units.txt "$dir"/ansible-test.txt \
    | sed -e 's/[[:space:]]*#.*//' -e '/^[[:space:]]*$/d' | sort -u
}

compile 3.11 requirements/controller.txt requirements/controller.in "$@"
compile 3.11 requirements/bench.txt requirements/bench.in "$@"
# gates.txt: gates.in, controller.in's pins of what both environments share, ansible-test's files.
generated=requirements/gates-generated.in
mkdir -p "$out_dir/requirements"
{
  echo "# Written by make lock: controller.in's pins that .venv-sanity shares, then the requirement"
  echo "# files of ansible-test units, as the ansible-core of controller.in ships them."
  grep -E '^(ansible-core|cryptography|pip)==' requirements/controller.in
  ansible_test_requirements
} > "$out_dir/$generated"
if "$check" && ! cmp -s "$generated" "$out_dir/$generated"; then
  echo "$generated is stale (controller.in's ansible-core or its ansible-test changed)" >&2
  stale+=("$generated")
fi
compile 3.11 requirements/gates.txt requirements/gates.in "$out_dir/$generated" "$@"
for project in examples/demo_project examples/plain_project; do
  compile 3.10 "$project/requirements.txt" "$project/requirements.in" "$@"
done
compile 3.10 roles/seaweedfs/files/requirements.txt roles/seaweedfs/files/requirements.in "$@"
if "$check"; then
  [ "${#stale[@]}" -eq 0 ] || { echo "stale: ${stale[*]} (run make lock)" >&2; exit 1; }
  echo "==> every lock is what its input resolves to"
else
  echo "==> locks written: requirements/*.txt, examples/*/requirements.txt, roles/*/files/requirements.txt"
fi
