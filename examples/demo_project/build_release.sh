#!/usr/bin/env bash
# Package the demo project as a deterministic release archive:
#
#   ./build_release.sh [VERSION]      ->  dist/demo_project-VERSION.tar.gz
#                                         dist/demo_project-VERSION.tar.gz.sha256
#
# DIST_DIR overrides the output directory (default: dist/ beside this script).
# VERSION defaults to `git describe --tags --always --dirty` for this
# directory, else a UTC timestamp. The archive is flat (members are
# `manage.py`, `demo/...`, `RELEASE`, ...: unpack it into an empty release
# directory) and contains a RELEASE file holding VERSION. Byte-for-byte
# reproducible: sorted names, fixed mtime (SOURCE_DATE_EPOCH, default
# 2000-01-01), owner/group 0, normalised modes, gzip without name/timestamp.
# Left out: __pycache__, *.pyc, SQLite files, dist/, staticfiles/, virtualenvs,
# celerybeat-schedule, any pre-existing RELEASE. Needs GNU tar >= 1.28.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${1:-}"
if [[ -z "$version" ]]; then
    version="$(git -C "$here" describe --tags --always --dirty 2>/dev/null || true)"
fi
if [[ -z "$version" ]]; then
    version="$(date -u +%Y%m%d%H%M%S)"
fi
if [[ ! "$version" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]]; then
    echo "build_release.sh: invalid version '$version' (allowed: A-Z a-z 0-9 . _ + -)" >&2
    exit 2
fi
mtime="${SOURCE_DATE_EPOCH:-946684800}"

dist="${DIST_DIR:-$here/dist}"
name="demo_project-$version"
archive="$dist/$name.tar.gz"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# Copy the project into a staging directory, minus build/runtime debris.
(
    cd "$here"
    find . \
        \( -name .git -o -name __pycache__ -o -name dist -o -name staticfiles \
           -o -name .venv -o -name venv -o -name .pytest_cache -o -name node_modules \) -prune \
        -o -type f \
        ! -name '*.py[co]' ! -name '*.sqlite3' ! -name '*.sqlite3-*' ! -name '*.db' \
        ! -name 'celerybeat-schedule*' ! -name '*.log' ! -name '*.swp' ! -name '*~' \
        ! -path ./RELEASE \
        -print0 \
      | tar --null --no-recursion -T - -cf -
) | tar -C "$stage" -xf -
printf '%s\n' "$version" > "$stage/RELEASE"

mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"; archive="$dist/$name.tar.gz"
tmp="$archive.tmp.$$"
(
    cd "$stage"
    find . -mindepth 1 -printf '%P\n' | sort
) | tar -C "$stage" \
        --format=gnu --sort=name --no-recursion \
        --mtime="@$mtime" --owner=0 --group=0 --numeric-owner \
        --mode='u+rwX,go+rX,go-w' \
        -T - -cf - \
  | gzip -9 -n > "$tmp"
mv -f "$tmp" "$archive"

sum="$(sha256sum "$archive" | cut -d' ' -f1)"
printf '%s  %s\n' "$sum" "$name.tar.gz" > "$archive.sha256"
echo "$archive"
echo "sha256 $sum"
