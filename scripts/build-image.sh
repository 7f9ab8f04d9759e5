#!/usr/bin/env bash
# Build the systemd base image the test containers and the demo run on.
#
# The default, WEBSTACK_IMAGE=webstack/debian12-systemd:latest, is made here with
# debootstrap from Debian's mirror and `docker import`, because no registry is needed
# for that. Any other WEBSTACK_IMAGE (for example an Ubuntu 22.04/24.04 systemd image
# from a registry you can reach) is used as it is and only checked for.
set -euo pipefail

IMAGE="${WEBSTACK_IMAGE:-webstack/debian12-systemd:latest}"
DEFAULT_IMAGE="webstack/debian12-systemd:latest"
SUITE="${WEBSTACK_DEBIAN_SUITE:-bookworm}"
MIRROR="${WEBSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
FORCE="${WEBSTACK_IMAGE_REBUILD:-0}"

log() { printf '==> %s\n' "$*" >&2; }

if [ "$FORCE" != 1 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "image $IMAGE is present"
  exit 0
fi

if [ "$IMAGE" != "$DEFAULT_IMAGE" ]; then
  log "pulling $IMAGE"
  docker pull "$IMAGE" || {
    echo "image $IMAGE is neither present nor pullable; build or load it first" >&2
    exit 1
  }
  exit 0
fi

root="$(mktemp -d /var/tmp/webstack-rootfs.XXXXXX)"
trap 'rm -rf "$root"' EXIT
log "debootstrap $SUITE into $root (a few minutes)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,ca-certificates,procps,curl,gnupg,locales \
  "$SUITE" "$root" "$MIRROR" >/var/tmp/webstack-debootstrap.log 2>&1 || {
  tail -n 40 /var/tmp/webstack-debootstrap.log >&2
  exit 1
}

# Make it a well-behaved container: no getty, no hardware units, a machine-id made at boot,
# apt sources for the whole release, and a policy that lets package scripts start services.
chroot "$root" /bin/sh -eu <<'CHROOT'
rm -f /etc/machine-id /var/lib/dbus/machine-id
touch /etc/machine-id
for u in getty.target console-getty.service systemd-firstboot.service \
         systemd-udevd.service systemd-udev-trigger.service sys-kernel-debug.mount \
         systemd-remount-fs.service systemd-modules-load.service; do
  ln -sf /dev/null "/etc/systemd/system/$u"
done
rm -f /usr/sbin/policy-rc.d
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/* /var/tmp/*
# An emptied list directory must look stale, or `cache_valid_time` would skip the update.
touch -d @0 /var/lib/apt/lists
CHROOT
cat > "$root/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb http://deb.debian.org/debian-security $SUITE-security main
SOURCES
echo 'en_US.UTF-8 UTF-8' > "$root/etc/locale.gen"
# Trust the same extra CAs as this machine (e.g. a TLS-inspecting proxy in front of PyPI),
# so test hosts can install from the package index like the controller can.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
chroot "$root" locale-gen >/dev/null 2>&1 || true

log "importing $IMAGE"
tar -C "$root" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  - "$IMAGE" >/dev/null
log "image $IMAGE built"
