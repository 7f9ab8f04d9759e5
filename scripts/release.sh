#!/usr/bin/env bash
# Release the collection: set the version, turn the changelog fragments into CHANGELOG.md, build
# the tarball.
#
#   make release VERSION=0.2.0
#
# VERSION goes into galaxy.yml (the only place it is written); antsibull-changelog records the
# release in changelogs/changelog.yaml, regenerates CHANGELOG.md and removes the fragments;
# ansible-galaxy builds dist/webstack-django-VERSION.tar.gz. Commit and tag the result.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

VENV="${WEBSTACK_SANITY_VENV:-$here/.venv-sanity}"
version="${1:-${VERSION:-}}"

if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "VERSION must be x.y.z (got '${version}'): make release VERSION=0.2.0" >&2
  exit 2
fi
current="$(sed -n 's/^version: *//p' galaxy.yml)"
if [ "$(printf '%s\n%s\n' "$current" "$version" | sort -V | head -n 1)" != "$current" ]; then
  echo "VERSION $version is older than galaxy.yml's $current" >&2
  exit 2
fi
if grep -q "^  ${version//./\\.}:" changelogs/changelog.yaml 2>/dev/null; then
  echo "$version is already released (changelogs/changelog.yaml)" >&2
  exit 2
fi

bash scripts/sanity.sh setup
sed -i "s/^version: .*/version: $version/" galaxy.yml
export PATH="$VENV/bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$here/.collections"
antsibull-changelog lint
antsibull-changelog release --version "$version"
mkdir -p dist
ansible-galaxy collection build --force --output-path dist .
echo "==> released $version: galaxy.yml, changelogs/, CHANGELOG.md and dist/webstack-django-$version.tar.gz"
