#!/usr/bin/env bash
# The platforms the collection is tested on, decided here and nowhere else: the Makefile, the
# scripts, molecule's create playbook and the benchmarks ask this script.
#
#   platform.sh list         the tested platforms, the default first
#   platform.sh name         the selected platform: WEBSTACK_PLATFORM, else the default
#   platform.sh of S[:P]     the platform of a test run "scenario[:platform]": P, else the selected
#   platform.sh image [P]    the systemd image of P (default: the selected platform, for which
#                            WEBSTACK_IMAGE, when set, names any image directly)
#   platform.sh other [P]    a tested platform other than P (a host of another OS, for tests)
#   platform.sh describe P   "family suite mirror security-mirror components" of P, one line
set -euo pipefail

PLATFORMS=(ubuntu2404 ubuntu2204 debian12)

describe() {
  case "$1" in
    ubuntu2404) echo "ubuntu noble ${WEBSTACK_UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu} ${WEBSTACK_UBUNTU_SECURITY_MIRROR:-http://security.ubuntu.com/ubuntu} main,restricted,universe,multiverse" ;;
    ubuntu2204) echo "ubuntu jammy ${WEBSTACK_UBUNTU_MIRROR:-http://archive.ubuntu.com/ubuntu} ${WEBSTACK_UBUNTU_SECURITY_MIRROR:-http://security.ubuntu.com/ubuntu} main,restricted,universe,multiverse" ;;
    debian12) echo "debian bookworm ${WEBSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian} ${WEBSTACK_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} main" ;;
    *)
      echo "unknown platform '$1'; the tested platforms are: ${PLATFORMS[*]}" >&2
      return 2
      ;;
  esac
}

selected() {
  local name="${WEBSTACK_PLATFORM:-${PLATFORMS[0]}}"
  describe "$name" >/dev/null
  echo "$name"
}

case "${1:-name}" in
  list) echo "${PLATFORMS[*]}" ;;
  name) selected ;;
  of)
    item="${2:?platform.sh of SCENARIO[:PLATFORM]}"
    if [ "$item" = "${item%%:*}" ]; then
      selected
    else
      WEBSTACK_PLATFORM="${item#*:}" selected
    fi
    ;;
  image)
    platform="${2:-$(selected)}"
    describe "$platform" >/dev/null
    if [ -n "${WEBSTACK_IMAGE:-}" ] && [ "$platform" = "$(selected)" ]; then
      echo "$WEBSTACK_IMAGE"
    else
      echo "webstack/$platform-systemd:latest"
    fi
    ;;
  other)
    platform="${2:-$(selected)}"
    for p in "${PLATFORMS[@]}"; do
      if [ "$p" != "$platform" ]; then
        echo "$p"
        break
      fi
    done
    ;;
  describe) describe "${2:?platform.sh describe PLATFORM}" ;;
  *)
    echo "usage: $0 list|name|of S[:P]|image [P]|other [P]|describe P" >&2
    exit 2
    ;;
esac
