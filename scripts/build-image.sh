#!/usr/bin/env bash
# Build the systemd base images the test containers, the demo and the benchmarks run on.
#
#   build-image.sh                 the selected platform's image (WEBSTACK_PLATFORM, see platform.sh)
#   build-image.sh all             every tested platform's image
#   build-image.sh P [P...]        the named platforms' images (ubuntu2404 ubuntu2204 debian12)
#
# Each image is `debootstrap --variant=minbase` of the distribution from its own archive,
# imported with `docker import` as webstack/<platform>-systemd:latest; no registry is needed.
# An image that exists is kept (WEBSTACK_IMAGE_REBUILD=1 rebuilds it). WEBSTACK_IMAGE, when set,
# names the selected platform's image directly; one not made here is only checked for.
#
# Trust: debootstrap verifies the suite's Release signature and every index against the
# archive keyring. Debian's keyring comes with this machine's debootstrap. Ubuntu's is not
# packaged by Debian: it is taken from the ubuntu-keyring package in the Ubuntu archive's pool
# (or WEBSTACK_UBUNTU_KEYRING_DEB) and used only when its keys are exactly the Ubuntu archive
# and CD image signing keys pinned below by fingerprint; only the two archive keys are trusted.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FORCE="${WEBSTACK_IMAGE_REBUILD:-0}"
CACHE="$here/.cache/images"
UBUNTU_KEYRING_DEB_VERSION=2023.11.28.1
# Ubuntu Archive Automatic Signing Keys (2012, 2018): the keys apt and debootstrap may trust.
UBUNTU_ARCHIVE_KEYS=(790BC7277767219C42C86F933B4FE6ACC0B21F32 F6ECB3762474EDA9D21B7022871920D1991BC93C)
# Ubuntu CD Image Automatic Signing Key (2012): in the same keyring, never trusted here.
UBUNTU_CDIMAGE_KEY=843938DF228D22F7B3742BC0D94AA3F0EFE21092
PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,ca-certificates,procps,curl,gnupg,locales

log() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'build-image: %s\n' "$*" >&2
  exit 1
}

# ubuntu_keyring WORKDIR MIRROR: print the path of a keyring holding exactly Ubuntu's two
# archive keys, taken from the ubuntu-keyring package after checking its fingerprints.
ubuntu_keyring() {
  local work="$1" mirror="$2"
  local deb="${WEBSTACK_UBUNTU_KEYRING_DEB:-}"
  if [ -z "$deb" ]; then
    mkdir -p "$CACHE"
    deb="$CACHE/ubuntu-keyring_${UBUNTU_KEYRING_DEB_VERSION}_all.deb"
    if [ ! -s "$deb" ]; then
      log "fetching ubuntu-keyring $UBUNTU_KEYRING_DEB_VERSION from the Ubuntu archive's pool"
      curl -fsS --retry 3 -o "$deb.part.$$" \
        "$mirror/pool/main/u/ubuntu-keyring/ubuntu-keyring_${UBUNTU_KEYRING_DEB_VERSION}_all.deb" ||
        die "could not download ubuntu-keyring from $mirror"
      mv "$deb.part.$$" "$deb"
    fi
  fi
  mkdir -p "$work/keyring-deb" "$work/gnupg"
  chmod 700 "$work/gnupg"
  dpkg-deb -x "$deb" "$work/keyring-deb" 2>/dev/null || die "$deb is not a Debian package"
  local ring="$work/keyring-deb/usr/share/keyrings/ubuntu-archive-keyring.gpg"
  [ -s "$ring" ] || die "$deb holds no usr/share/keyrings/ubuntu-archive-keyring.gpg"
  local found want
  found="$(gpg --homedir "$work/gnupg" --show-keys --with-colons "$ring" 2>/dev/null |
    awk -F: '$1 == "pub" {p = 1; next} $1 == "fpr" && p {print $10; p = 0}' | sort | tr '\n' ' ')"
  want="$(printf '%s\n' "${UBUNTU_ARCHIVE_KEYS[@]}" "$UBUNTU_CDIMAGE_KEY" | sort | tr '\n' ' ')"
  if [ "$found" != "$want" ]; then
    die "the Ubuntu archive keyring in $deb is not the expected one (tampered or another package): it holds the keys [${found% }], expected exactly [${want% }]; refusing to trust it"
  fi
  gpg --homedir "$work/gnupg" --quiet --import "$ring" 2>/dev/null
  gpg --homedir "$work/gnupg" --export "${UBUNTU_ARCHIVE_KEYS[@]}" > "$work/ubuntu-archive-keys.gpg"
  echo "$work/ubuntu-archive-keys.gpg"
}

# write_sources ROOT FAMILY SUITE MIRROR SECURITY COMPONENTS: the image's apt sources, as the
# release lays them out (deb822 on Ubuntu 24.04, one-line elsewhere).
write_sources() {
  local root="$1" family="$2" suite="$3" mirror="$4" security="$5" components="${6//,/ }"
  if [ "$family" = ubuntu ] && [ "$suite" = noble ]; then
    echo '# Ubuntu sources have moved to /etc/apt/sources.list.d/ubuntu.sources' > "$root/etc/apt/sources.list"
    cat > "$root/etc/apt/sources.list.d/ubuntu.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: $components
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: $components
Signed-By: /usr/share/keyrings/ubuntu-archive-keyring.gpg
SOURCES
  else
    cat > "$root/etc/apt/sources.list" <<SOURCES
deb $mirror $suite $components
deb $mirror $suite-updates $components
deb $security $suite-security $components
SOURCES
  fi
}

# build PLATFORM: the platform's image, built by one process at a time: another build of it (make
# test builds the images in the background while the scenarios that need them wait) is waited for.
# The lock is machine-wide, as the images are.
build() {
  (
    flock 9
    build_image "$1"
  ) 9>"${TMPDIR:-/tmp}/webstack-image-$1.lock"
}

build_image() {
  local platform="$1" image
  image="$("$here/scripts/platform.sh" image "$platform")"
  if [ "$FORCE" != 1 ] && docker image inspect "$image" >/dev/null 2>&1; then
    log "image $image is present"
    return 0
  fi
  if [ "$image" != "webstack/$platform-systemd:latest" ]; then
    docker image inspect "$image" >/dev/null 2>&1 ||
      die "image $image (WEBSTACK_IMAGE) is not present; build or load it first"
    return 0
  fi
  local family suite mirror security components
  read -r family suite mirror security components < <("$here/scripts/platform.sh" describe "$platform")

  local work root
  work="$(mktemp -d /var/tmp/webstack-image.XXXXXX)"
  # shellcheck disable=SC2064 # expand now: the trap outlives this function's locals
  trap "rm -rf '$work'" EXIT
  root="$work/rootfs"
  local args=(--variant=minbase "--components=$components")
  local script="$suite" include="$PACKAGES"
  if [ "$family" = ubuntu ]; then
    # This machine's debootstrap may have no script for the suite; gutsy's serves every
    # Ubuntu release since.
    script=/usr/share/debootstrap/scripts/gutsy
    include="$include,ubuntu-keyring"
    args+=("--keyring=$(ubuntu_keyring "$work" "$mirror")")
  else
    args+=(--keyring=/usr/share/keyrings/debian-archive-keyring.gpg)
  fi
  local logfile="$work/debootstrap.log"
  log "debootstrap $platform ($family $suite) from $mirror (a few minutes)"
  if ! debootstrap "${args[@]}" "--include=$include" "$suite" "$root" "$mirror" "$script" >"$logfile" 2>&1; then
    tail -n 20 "$logfile" >&2
    if grep -qiE 'Release signed by unknown key|Invalid Release signature|BADSIG|NO_PUBKEY|not signed|Release file .* signature' "$logfile"; then
      die "the Release file of $suite from $mirror does not verify against the $family archive keyring: refusing to build $image from it"
    fi
    die "debootstrap of $platform failed (see above)"
  fi

  # A well-behaved container: no getty, no hardware units, a machine-id made at boot, docker's
  # DNS left alone, a policy that lets package scripts start services, and the whole release
  # (with -updates and -security) in apt's sources.
  chroot "$root" /bin/sh -eu <<'CHROOT'
rm -f /etc/machine-id /var/lib/dbus/machine-id
touch /etc/machine-id
for u in getty.target console-getty.service systemd-firstboot.service systemd-resolved.service \
         systemd-udevd.service systemd-udev-trigger.service sys-kernel-debug.mount \
         systemd-remount-fs.service systemd-modules-load.service; do
  ln -sf /dev/null "/etc/systemd/system/$u"
done
rm -f /usr/sbin/policy-rc.d
CHROOT
  write_sources "$root" "$family" "$suite" "$mirror" "$security" "$components"
  # Trust the same extra CAs as this machine (e.g. a TLS-inspecting proxy in front of PyPI),
  # so test hosts can install from the package index like the controller can.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null 2>&1
  fi
  # debootstrap installs the release as it shipped; a host is built from the release with its
  # updates, as cloud images are: upgrade from -updates and -security, starting no service.
  log "upgrading $platform from $suite-updates and $suite-security"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  mount -t proc proc "$root/proc"
  # shellcheck disable=SC2064 # expand now: the trap outlives this function's locals
  trap "umount '$root/proc' 2>/dev/null; rm -rf '$work'" EXIT
  if ! { chroot "$root" apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get dist-upgrade -y -qq -o Dpkg::Use-Pty=0; } \
       >"$work/upgrade.log" 2>&1; then
    tail -n 20 "$work/upgrade.log" >&2
    die "upgrading $platform from its updates failed (see above)"
  fi
  umount "$root/proc"
  rm -f "$root/usr/sbin/policy-rc.d"
  if [ "$family" = ubuntu ]; then
    chroot "$root" locale-gen en_US.UTF-8 >/dev/null 2>&1
    chroot "$root" update-locale LANG=en_US.UTF-8
  else
    echo 'en_US.UTF-8 UTF-8' > "$root/etc/locale.gen"
    chroot "$root" locale-gen >/dev/null 2>&1
  fi
  chroot "$root" /bin/sh -eu <<'CHROOT'
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /tmp/* /var/tmp/*
# An emptied list directory must look stale, or `cache_valid_time` would skip the update.
touch -d @0 /var/lib/apt/lists
CHROOT

  log "importing $image"
  tar -C "$root" -c . | docker import \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'ENV container=docker' \
    --message "webstack $platform: debootstrap $suite from $mirror" \
    - "$image" >/dev/null
  rm -rf "$work"
  trap - EXIT
  log "image $image built"
}

platforms=("$@")
if [ "${#platforms[@]}" -eq 0 ]; then
  platforms=("$("$here/scripts/platform.sh" name)")
elif [ "${platforms[0]}" = all ]; then
  read -r -a platforms < <("$here/scripts/platform.sh" list)
fi
for p in "${platforms[@]}"; do
  "$here/scripts/platform.sh" describe "$p" >/dev/null
  build "$p"
done
