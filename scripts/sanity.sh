#!/usr/bin/env bash
# The ecosystem's own gates: `ansible-test sanity` and `ansible-test units` on the collection.
#
#   bash scripts/sanity.sh [sanity|units|all|setup]      (make sanity)
#
# ansible-test needs the collection at .../ansible_collections/webstack/django: the checkout's
# tracked and new files are copied to .cache/sanity/ansible_collections/webstack/django. It runs
# in its own virtualenv (.venv-sanity, from requirements/gates.txt: the controller's ansible-core
# and what `ansible-test units` needs, pinned with hashes), so the test tools never touch .venv.
# `ansible-test sanity` makes a virtualenv of its own for each test and installs into it the
# versions its ansible-core pins (--requirements); the pip bootstrap script it would download
# comes from scripts/ansible-test-get-pip.py. `ansible-test units` installs nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

VENV="${WEBSTACK_SANITY_VENV:-$here/.venv-sanity}"
PYTHON="${PYTHON:-python3}"
DEST="$here/.cache/sanity/ansible_collections/webstack/django"

log() { printf '==> %s\n' "$*" >&2; }

setup() {
  bash "$here/scripts/setup.sh" locked-venv "$VENV" requirements/gates.txt
  local version cache
  version="$(sed -n "s/.*pip='\([0-9.]*\)'.*/\1/p" \
    "$("$VENV/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -n 1)"
  [ -n "$version" ] || { echo "cannot read ansible-test's pip version" >&2; exit 2; }
  cache="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
  if [ ! -f "$cache" ]; then
    mkdir -p "$(dirname "$cache")"
    cp scripts/ansible-test-get-pip.py "$cache"
  fi
}

copy() {
  log "copying the collection to $DEST"
  rm -rf "$DEST"
  mkdir -p "$DEST"
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' path; do [ -e "$path" ] || [ -L "$path" ] && printf '%s\0' "$path"; done \
    | tar --null --files-from - --create --file - | tar --extract --file - --directory "$DEST"
  # ansible-test lists files with git when there is a repository: tests/output stays out.
  git -C "$DEST" init --quiet
  git -C "$DEST" add --all
}

python_version() {
  "$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])'
}

run_sanity() {
  log "ansible-test sanity"
  (cd "$DEST" && "$VENV/bin/ansible-test" sanity --python "$(python_version)" --local --requirements --color no)
}

run_units() {
  log "ansible-test units"
  # The demo project's tests run in its own virtualenv, which stays in the checkout (ansible-test
  # passes no environment through, so the copy gets a link to it, kept out of git's listing).
  ln -sfn "$here/.venv-demo" "$DEST/.venv-demo"
  echo "/.venv-demo" >> "$DEST/.git/info/exclude"
  (cd "$DEST" && "$VENV/bin/ansible-test" units --python "$(python_version)" --local --color no)
}

case "${1:-all}" in
  sanity) setup; copy; run_sanity ;;
  units) setup; copy; run_units ;;
  all) setup; copy; run_sanity; run_units ;;
  setup) setup ;;
  *) echo "usage: $0 [sanity|units|all|setup]" >&2; exit 2 ;;
esac
