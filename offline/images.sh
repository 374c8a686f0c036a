#!/usr/bin/env bash
# Build this project's container images locally, without any container registry.
#
#   offline/images.sh all                     base, postgres, haproxy and the default Keycloak
#   offline/images.sh base | postgres | haproxy
#   offline/images.sh keycloak [--tag TAG] [--build-options "OPTS"] [--version VERSION]
#   offline/images.sh mirror-check            can a container reach the Debian mirror?
#   add --rebuild to any command to ignore the caches (e.g. to pick up Debian security updates)
#
# Images:
#   keycloak-cluster/base:bookworm            debootstrap --variant=minbase, upgraded
#   keycloak-cluster/base:bookworm-<name>     the same plus one image's Debian packages
#   keycloak-cluster/postgres:15              Debian postgresql-15, official-image behaviour
#   keycloak-cluster/haproxy:<major.minor>    Debian haproxy, official-image behaviour
#   keycloak-cluster/keycloak:<version>       Keycloak server zip from Maven Central
#   TAG (default keycloak-cluster/keycloak:<version>-optimized)
#                                             the above after `kc.sh build OPTS`
# Default OPTS: --db=postgres --health-enabled=true --metrics-enabled=true
#
# How: every Debian package is installed on the host (debootstrap, then apt-get in a chroot
# of the rootfs), never with apt inside a container, so builds need no network from
# containers; each rootfs is cached as a tarball keyed by its recipe and package list and
# turned into an image with `docker import`. Dockerfiles (offline/images/*) only copy files
# in. Every image carries a keycloak-cluster.recipe label; a build is skipped when the image
# exists with the same label (and, for Keycloak, the same keycloak-cluster.build-options).
# Caches: $KC_CACHE/images (KC_CLUSTER_CACHE overrides KC_CACHE's root). Needs root
# (debootstrap, chroot) and a Docker engine (offline/docker-engine.sh starts one).
set -euo pipefail
shopt -s inherit_errexit

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=offline/lib.sh
source "$HERE/lib.sh"

export DOCKER_BUILDKIT=0 # the legacy builder: works with Debian's engine, no BuildKit needed
SUITE=bookworm
KC_DEFAULT_VERSION=26.7.3
KC_DEFAULT_BUILD_OPTIONS="--db=postgres --health-enabled=true --metrics-enabled=true"
MAVEN_REPO="${KC_MAVEN_REPO:-https://repo.maven.apache.org/maven2}"
IMAGES_DIR="$HERE/images"
CACHE="$KC_CACHE/images"
ROOTFS_CACHE="$CACHE/rootfs"   # rootfs tarballs
DEB_CACHE="$CACHE/debs"        # debootstrap's downloaded packages
DL_CACHE="$CACHE/downloads"    # Keycloak zips
CTX_CACHE="$CACHE/context"     # docker build contexts
WORK="$CACHE/work"             # rootfs being built (removed afterwards)
LOGS="$CACHE/logs"
BASE_IMAGE="keycloak-cluster/base:$SUITE"
POSTGRES_IMAGE="keycloak-cluster/postgres:15"
# Bump when the rootfs recipe changes in a way the package lists do not show.
ROOTFS_RECIPE=1

REBUILD=""
SUMMARY=()   # "image|built or cached|seconds"
MOUNTS=()    # mount points to undo on exit
TARBALL=""   # set by base_rootfs / variant_rootfs
BUILT=""     # set when an import or build actually ran
RESULT_TAG="" # the image a build_* function produced

# ---------------------------------------------------------------------------- helpers

cleanup() {
  local m
  for m in "${MOUNTS[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}
trap cleanup EXIT

sha() { sha256sum | cut -c1-16; }

# run LOGNAME CMD...: run a command with its output in $LOGS/LOGNAME.log; on failure, show
# the end of that log and stop.
run() {
  local name="$1"
  shift
  local log="$LOGS/$name.log"
  if ! "$@" >>"$log" 2>&1; then
    printf '%s\n' "--- last lines of $log:" >&2
    tail -n 25 "$log" >&2
    die "$name failed: $*  (full log: $log)"
  fi
}

label_of() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# The Debian mirrors apt uses on this host, from apt's own configuration.
mirror_for() {
  # shellcheck disable=SC2016 # apt's own placeholders
  apt-get indextargets --format '$(RELEASE) $(REPO_URI)' 'Identifier: Packages' 2>/dev/null \
    | awk -v r="$1" '$1 == r { print $2; exit }'
}

require_root() { [[ $EUID -eq 0 ]] || die "$1 needs root (debootstrap and chroot): run as root"; }

require_engine() {
  docker info >/dev/null 2>&1 \
    || die "no Docker engine answers 'docker info': start one with offline/docker-engine.sh"
}

# Refuses to delete a tree with anything still mounted below it (e.g. /proc of a chroot).
remove_tree() {
  local dir="$1"
  [[ -e "$dir" ]] || return 0
  if awk -v d="$(realpath "$dir")/" 'index($2"/", d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    die "not removing $dir: something is still mounted below it (see /proc/mounts)"
  fi
  rm -rf --one-file-system "$dir"
}

# ---------------------------------------------------------------------------- root filesystems

# Packages per image on top of the base rootfs.
declare -A VARIANT_PACKAGES=(
  [keycloak]="openjdk-17-jre-headless"
  [postgres]="postgresql-15"
  [haproxy]="haproxy"
)

# Prepare a chroot for apt: /proc, the host's name resolution and apt sources.
chroot_enter() {
  local root="$1" name major minor
  mount -t proc proc "$root/proc"
  MOUNTS+=("$root/proc")
  # Rootfs tarballs carry no /dev (Docker provides one); apt, gpgv and maintainer scripts
  # need the basic nodes. Device nodes, not a bind mount of the host's /dev.
  local dev
  for dev in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r name major minor <<<"$dev"
    [[ -c "$root/dev/$name" ]] && continue
    rm -f "$root/dev/$name" # e.g. a plain file left by a redirect to /dev/null
    mknod -m 666 "$root/dev/$name" c "$major" "$minor"
  done
  # The host resolves the mirror (possibly through /etc/hosts); let the chroot do the same.
  cp /etc/hosts "$root/etc/hosts"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# Undo chroot_enter; leave neutral files (Docker replaces hosts/resolv.conf at run time).
chroot_leave() {
  local root="$1"
  umount "$root/proc"
  MOUNTS=("${MOUNTS[@]/"$root/proc"/}")
  find "$root/dev" -mindepth 1 -maxdepth 1 -type c -delete
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  : >"$root/etc/resolv.conf"
}

in_chroot() {
  local root="$1"
  shift
  chroot "$root" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
    "$@"
}

apt_in_chroot() {
  local root="$1"
  shift
  in_chroot "$root" apt-get -q -y -o Dpkg::Options::=--force-confold -o APT::Install-Recommends=false "$@"
}

# Remove what an image does not need: apt indexes and caches, logs, a host-made private key.
slim_rootfs() {
  local root="$1"
  apt_in_chroot "$root" clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
    "$root"/var/lib/dpkg/*-old "$root"/tmp/* "$root"/var/tmp/* "$root"/root/.cache
  find "$root/var/log" -type f -delete
  # ssl-cert generates a "snakeoil" key pair at install time; an image must not ship a
  # private key shared by everyone who builds it. Nothing here uses it.
  rm -f "$root"/etc/ssl/private/ssl-cert-snakeoil.key "$root"/etc/ssl/certs/ssl-cert-snakeoil.pem
}

# tar a rootfs into $2 (atomically).
pack_rootfs() {
  local root="$1" out="$2"
  tar --numeric-owner --xattrs -C "$root" -cf "$out.part" \
    --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' --exclude='./run/*' .
  mv "$out.part" "$out"
}

# Hooks around the package installation of one variant (their text is part of the cache key).
variant_pre_install() {
  local name="$1" root="$2"
  case "$name" in
    postgres)
      # The same uid/gid as the official image (999), so volumes move between the two.
      # postgresql-common's postinst reuses an existing postgres user.
      in_chroot "$root" groupadd --system --gid 999 postgres
      in_chroot "$root" useradd --system --uid 999 --gid 999 --home-dir /var/lib/postgresql \
        --shell /bin/bash --comment "PostgreSQL administrator" postgres
      mkdir -p "$root/var/lib/postgresql" && chown 999:999 "$root/var/lib/postgresql"
      ;;
    keycloak)
      # update-alternatives needs the man directories even though man pages are excluded.
      mkdir -p "$root"/usr/share/man/man1
      ;;
  esac
}

variant_post_install() {
  local name="$1" root="$2"
  case "$name" in
    postgres)
      # The package creates a "main" cluster; the image initializes PGDATA at first start.
      if [[ -d "$root/etc/postgresql/15/main" ]]; then
        in_chroot "$root" pg_dropcluster 15 main
      fi
      ;;
  esac
}

# Sets TARBALL to the base rootfs tarball, building it when it is not cached.
base_rootfs() {
  local mirror security key tarball
  mirror="$(mirror_for "$SUITE")"
  security="$(mirror_for "$SUITE-security")"
  [[ -n "$mirror" ]] || die "apt has no source for '$SUITE' (see /etc/apt/sources.list*); debootstrap needs a Debian mirror"
  key="$(printf '%s\n' "$ROOTFS_RECIPE" "$SUITE" "$mirror" "$security" "$(declare -f base_rootfs slim_rootfs)" | sha)"
  tarball="$ROOTFS_CACHE/base-$SUITE-$key.tar"
  TARBALL="$tarball"
  if [[ -f "$tarball" && -z "$REBUILD" ]]; then
    step rootfs "base rootfs cached: $tarball"
    return 0
  fi
  require_root "building a rootfs"
  command -v debootstrap >/dev/null || {
    step rootfs "installing debootstrap"
    run apt-install apt-get install -y -q debootstrap
  }
  local root="$WORK/base-$key"
  remove_tree "$root"
  mkdir -p "$root" "$DEB_CACHE"
  step rootfs "debootstrap --variant=minbase $SUITE from $mirror"
  run "debootstrap-base" debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    --cache-dir="$DEB_CACHE" "$SUITE" "$root" "$mirror"

  # Same sources as the host: the suite, its updates and security updates.
  rm -f "$root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" "$SUITE" "$SUITE"
    if [[ -n "$security" ]]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$security" "$SUITE"
    fi
  } >"$root/etc/apt/sources.list.d/debian.sources"
  # As in Debian's slim images: no documentation, man pages or translations in images.
  cat >"$root/etc/dpkg/dpkg.cfg.d/keycloak-cluster-excludes" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  # Services never start inside image builds.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"

  chroot_enter "$root"
  step rootfs "applying $SUITE-updates and security updates"
  run "apt-base" apt_in_chroot "$root" update
  run "apt-base" apt_in_chroot "$root" dist-upgrade
  # The excludes apply to later installs; drop what debootstrap already unpacked.
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  slim_rootfs "$root"
  chroot_leave "$root"
  mkdir -p "$ROOTFS_CACHE"
  pack_rootfs "$root" "$tarball"
  remove_tree "$root"
  drop_stale_tarballs "$tarball"
  step rootfs "base rootfs: $tarball ($(du -h "$tarball" | cut -f1))"
}

# variant_rootfs NAME: sets TARBALL to the rootfs tarball of one image (base + packages).
variant_rootfs() {
  local name="$1" base key tarball
  local packages="${VARIANT_PACKAGES[$name]}"
  base_rootfs
  base="$TARBALL"
  key="$(printf '%s\n' "$base" "$packages" "$(declare -f variant_pre_install variant_post_install slim_rootfs chroot_enter)" | sha)"
  tarball="$ROOTFS_CACHE/$name-$SUITE-$key.tar"
  TARBALL="$tarball"
  if [[ -f "$tarball" && -z "$REBUILD" ]]; then
    step rootfs "$name rootfs cached: $tarball"
    return 0
  fi
  require_root "building a rootfs"
  local root="$WORK/$name-$key"
  remove_tree "$root"
  mkdir -p "$root"
  tar --numeric-owner --xattrs -C "$root" -xf "$base"
  chroot_enter "$root"
  step rootfs "$name: apt-get install $packages (in a chroot on the host)"
  variant_pre_install "$name" "$root"
  run "apt-$name" apt_in_chroot "$root" update
  # shellcheck disable=SC2086 # a list of package names
  run "apt-$name" apt_in_chroot "$root" install $packages
  variant_post_install "$name" "$root"
  # shellcheck disable=SC2016 # dpkg-query's own placeholders
  in_chroot "$root" dpkg-query -W -f '${Package}=${Version}\n' >"$tarball.packages"
  slim_rootfs "$root"
  chroot_leave "$root"
  pack_rootfs "$root" "$tarball"
  remove_tree "$root"
  drop_stale_tarballs "$tarball"
  step rootfs "$name rootfs: $tarball ($(du -h "$tarball" | cut -f1))"
}

# import_rootfs TARBALL TAG: docker import, skipped when TAG was imported from this tarball.
import_rootfs() {
  local tarball="$1" tag="$2" key
  key="$(basename "$tarball" .tar)"
  if [[ "$(label_of "$tag" keycloak-cluster.recipe)" == "$key" && -z "$REBUILD" ]]; then
    step image "$tag is up to date ($key)"
    return 0
  fi
  step image "docker import $tag"
  BUILT=1
  local old
  old="$(image_id "$tag")"
  run "import-${tag//[:\/]/_}" docker import \
    --change "LABEL keycloak-cluster.recipe=$key" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    - "$tag" <"$tarball"
  drop_if_dangling "$old"
}

# docker_build TAG KEY CONTEXT [docker build args...]: build unless TAG carries KEY.
docker_build() {
  local tag="$1" key="$2" context="$3"
  shift 3
  if [[ "$(label_of "$tag" keycloak-cluster.recipe)" == "$key" && -z "$REBUILD" ]]; then
    step image "$tag is up to date"
    return 0
  fi
  step image "docker build $tag"
  BUILT=1
  local old
  old="$(image_id "$tag")"
  run "build-${tag//[:\/]/_}" docker build --rm --force-rm --label "keycloak-cluster.recipe=$key" -t "$tag" "$@" "$context"
  drop_if_dangling "$old"
}

# drop_if_dangling ID: remove an image this script replaced, once no tag points at it.
drop_if_dangling() {
  local old="$1"
  [[ -n "$old" ]] || return 0
  if [[ "$(docker image inspect -f '{{len .RepoTags}}' "$old" 2>/dev/null)" == 0 ]]; then
    docker rmi "$old" >/dev/null 2>&1 || true # still used by a container or as a parent
  fi
}

# drop_stale_tarballs KEEP: remove this name's rootfs tarballs built from other recipes.
drop_stale_tarballs() {
  local keep="$1" prefix f
  prefix="${keep%-*}-"
  for f in "$prefix"*.tar; do
    [[ -e "$f" && "$f" != "$keep" && "${f#"$prefix"}" =~ ^[0-9a-f]{16}\.tar$ ]] || continue
    rm -f "$f" "$f.packages"
  done
}

# Hash of the files of a build context (Dockerfiles, entrypoints).
dir_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha; }

# timed CMD...: run one build_* function (never in a `||` context: that would switch off
# errexit inside it) and record its image, whether it was built, and how long it took.
timed() {
  local t0=$SECONDS
  BUILT="" RESULT_TAG=""
  "$@"
  local status=cached
  if [[ -n "$BUILT" ]]; then status=built; fi
  SUMMARY+=("$RESULT_TAG|$status|$((SECONDS - t0))")
}

# ---------------------------------------------------------------------------- images

build_base() {
  base_rootfs
  import_rootfs "$TARBALL" "$BASE_IMAGE"
  RESULT_TAG="$BASE_IMAGE"
}

# A Dockerfile image on a variant rootfs; sets RESULT_TAG.
build_variant_image() {
  local name="$1" tarball from version key
  variant_rootfs "$name"
  tarball="$TARBALL"
  from="$BASE_IMAGE-$name"
  import_rootfs "$tarball" "$from"
  version="$(sed -n "s/^${VARIANT_PACKAGES[$name]}=//p" "$tarball.packages")"
  [[ -n "$version" ]] || die "cannot find the version of ${VARIANT_PACKAGES[$name]} in $tarball.packages"
  key="$(printf '%s\n' "$(image_id "$from")" "$(dir_hash "$IMAGES_DIR/$name")" | sha)"
  case "$name" in
    postgres)
      RESULT_TAG="$POSTGRES_IMAGE"
      docker_build "$RESULT_TAG" "$key" "$IMAGES_DIR/postgres" \
        --build-arg "BASE=$from" --build-arg "PG_VERSION=$version"
      ;;
    haproxy)
      # Debian's version (2.6.12-1+deb12u4) -> tags 2.6 and 2.6.12.
      local upstream="${version%%-*}" minor
      minor="$(cut -d. -f1-2 <<<"$upstream")"
      RESULT_TAG="keycloak-cluster/haproxy:$minor"
      docker_build "$RESULT_TAG" "$key" "$IMAGES_DIR/haproxy" \
        --build-arg "BASE=$from" --build-arg "HAPROXY_VERSION=$version" \
        -t "keycloak-cluster/haproxy:$upstream"
      ;;
  esac
}

build_postgres() { build_variant_image postgres; }
build_haproxy() { build_variant_image haproxy; }

# Downloads keycloak-quarkus-dist VERSION (zip) from Maven Central into the cache, verifying
# the .sha1 (and .sha512 when published) next to it. Sets KC_ZIP.
keycloak_zip() {
  local version="$1"
  local path="org/keycloak/keycloak-quarkus-dist/$version/keycloak-quarkus-dist-$version.zip"
  local zip="$DL_CACHE/keycloak-quarkus-dist-$version.zip"
  mkdir -p "$DL_CACHE"
  # $zip.verified records a successful check; hashing 170 MB again on every call is slow.
  if [[ -f "$zip" && -f "$zip.sha1" && -f "$zip.verified" && ! "$zip" -nt "$zip.verified" ]] \
     && [[ "$(cat "$zip.verified")" == "$(cut -c1-40 "$zip.sha1")" ]]; then
    step keycloak "server zip cached: $zip"
    KC_ZIP="$zip"
    return 0
  fi
  step keycloak "downloading $MAVEN_REPO/$path"
  rm -f "$zip.verified"
  curl -fsSL --retry 3 -o "$zip.sha1" "$MAVEN_REPO/$path.sha1" \
    || die "cannot fetch $MAVEN_REPO/$path.sha1 (is $version published on Maven Central? set KC_MAVEN_REPO for another repository)"
  curl -fsSL --retry 3 -o "$zip.part" "$MAVEN_REPO/$path" || die "cannot download $MAVEN_REPO/$path"
  local want got
  want="$(cut -c1-40 "$zip.sha1")"
  got="$(sha1sum <"$zip.part" | cut -d' ' -f1)"
  [[ "$want" == "$got" ]] || { rm -f "$zip.part" "$zip.sha1"; die "checksum mismatch for $path: sha1 $got, Maven Central says $want"; }
  if curl -fsSL -o "$zip.sha512" "$MAVEN_REPO/$path.sha512" 2>/dev/null; then
    want="$(cut -c1-128 "$zip.sha512")"
    got="$(sha512sum <"$zip.part" | cut -d' ' -f1)"
    [[ "$want" == "$got" ]] || { rm -f "$zip.part" "$zip.sha1" "$zip.sha512"; die "checksum mismatch for $path (sha512)"; }
  fi
  mv "$zip.part" "$zip"
  cut -c1-40 "$zip.sha1" >"$zip.verified"
  step keycloak "verified $(basename "$zip") (sha1 $(cut -c1-40 "$zip.sha1"))"
  KC_ZIP="$zip"
}

# The plain Keycloak image (like quay.io/keycloak/keycloak:VERSION). Sets KC_PLAIN_TAG.
build_keycloak_plain() {
  local version="$1" zip from ctx key
  keycloak_zip "$version"
  zip="$KC_ZIP"
  variant_rootfs keycloak
  from="$BASE_IMAGE-keycloak"
  import_rootfs "$TARBALL" "$from"
  KC_PLAIN_TAG="keycloak-cluster/keycloak:$version"
  RESULT_TAG="$KC_PLAIN_TAG"
  key="$(printf '%s\n' "$(image_id "$from")" "$(cut -c1-40 "$zip.sha1")" "$(sha256sum <"$IMAGES_DIR/keycloak/Dockerfile")" | sha)"
  if [[ "$(label_of "$KC_PLAIN_TAG" keycloak-cluster.recipe)" == "$key" && -z "$REBUILD" ]]; then
    step image "$KC_PLAIN_TAG is up to date"
    return 0
  fi
  # The build context: the Dockerfile and the unpacked server, group-writable like upstream's
  # `chmod -R g+rwX` (done here, so the image does not carry the files twice).
  ctx="$CTX_CACHE/keycloak-$version"
  remove_tree "$ctx"
  mkdir -p "$ctx"
  step keycloak "unpacking $(basename "$zip")"
  command -v unzip >/dev/null || run apt-install apt-get install -y -q unzip
  unzip -q "$zip" -d "$ctx/unpacked"
  [[ -x "$ctx/unpacked/keycloak-$version/bin/kc.sh" ]] || die "$zip does not contain keycloak-$version/bin/kc.sh"
  mv "$ctx/unpacked/keycloak-$version" "$ctx/keycloak"
  rmdir "$ctx/unpacked"
  mkdir -p "$ctx/keycloak/data"
  chmod -R g+rwX "$ctx/keycloak"
  cp "$IMAGES_DIR/keycloak/Dockerfile" "$ctx/Dockerfile"
  docker_build "$KC_PLAIN_TAG" "$key" "$ctx" --build-arg "BASE=$from" --build-arg "KC_VERSION=$version"
  remove_tree "$ctx"
}

# Checks build options: only --name or --name=value words (they end up in a RUN line).
normalize_build_options() {
  local word out=()
  for word in $1; do
    [[ "$word" =~ ^--[a-z0-9][a-z0-9-]*(=[A-Za-z0-9_.,:/@+=-]*)?$ ]] \
      || die "invalid Keycloak build option '$word': expected --name=value (letters, digits and _.,:/@+=- only)"
    out+=("$word")
  done
  echo "${out[*]}"
}

# The optimized image: `kc.sh build OPTIONS` on top of the plain image.
build_keycloak_optimized() {
  local tag="$1" options="$2" version="$3" key ctx
  build_keycloak_plain "$version"
  BUILT=""
  RESULT_TAG="$tag"
  key="$(printf '%s\n' "$(image_id "$KC_PLAIN_TAG")" "$options" "$(sha256sum <"$IMAGES_DIR/keycloak/Dockerfile.optimized")" | sha)"
  if [[ "$(label_of "$tag" keycloak-cluster.recipe)" == "$key" \
     && "$(label_of "$tag" keycloak-cluster.build-options)" == "$options" && -z "$REBUILD" ]]; then
    step image "$tag is up to date (build options: $options)"
    return 0
  fi
  ctx="$CTX_CACHE/keycloak-optimized"
  remove_tree "$ctx"
  mkdir -p "$ctx"
  cp "$IMAGES_DIR/keycloak/Dockerfile.optimized" "$ctx/Dockerfile"
  step keycloak "kc.sh build $options"
  docker_build "$tag" "$key" "$ctx" \
    --build-arg "FROM_IMAGE=$KC_PLAIN_TAG" --build-arg "KC_BUILD_OPTIONS=$options" \
    --label "keycloak-cluster.build-options=$options" \
    --label "keycloak-cluster.keycloak-version=$version"
  # The legacy builder keeps the builder stage as an untagged image: drop ours only.
  docker image prune --force --filter "label=keycloak-cluster.stage=builder" >/dev/null
  remove_tree "$ctx"
}

# Can a container reach the Debian mirror (would apt work inside `docker build`)?
mirror_check() {
  require_engine
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 || die "$BASE_IMAGE is missing: run offline/images.sh base first"
  local mirror host
  mirror="$(mirror_for "$SUITE")"
  host="$(sed -E 's#^[a-z]+://([^/:]+).*#\1#' <<<"$mirror")"
  step mirror "trying apt-get update inside a container ($mirror)"
  if docker run --rm "$BASE_IMAGE" timeout 30 apt-get -q -o Acquire::Retries=0 update >"$LOGS/mirror-check.log" 2>&1 \
     && ! grep -qE '^(W|E):' "$LOGS/mirror-check.log"; then
    echo "containers CAN reach the Debian mirror ($host)"
  else
    echo "containers CANNOT reach the Debian mirror ($host); see $LOGS/mirror-check.log"
    echo "(the host resolves it as: $(getent hosts "$host" | head -n1))"
  fi
}

print_summary() {
  ((${#SUMMARY[@]})) || return 0
  echo
  printf '%-48s %-8s %8s %10s\n' IMAGE STATUS SECONDS SIZE
  local row tag status secs size
  for row in "${SUMMARY[@]}"; do
    IFS='|' read -r tag status secs <<<"$row"
    size="$(docker image inspect -f '{{.Size}}' "$tag" 2>/dev/null || echo 0)"
    printf '%-48s %-8s %8s %7s MB\n' "$tag" "$status" "$secs" "$((size / 1000000))"
  done
}

# ---------------------------------------------------------------------------- main

main() {
  local command="${1:-all}"
  [[ $# -gt 0 ]] && shift
  if [[ "$command" == -h || "$command" == --help ]]; then
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
    return 0
  fi
  local tag="" options="" version="$KC_DEFAULT_VERSION"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
      --build-options) options="${2?--build-options needs a value}"; shift 2 ;;
      --version) version="${2:?--version needs a value}"; shift 2 ;;
      --rebuild) REBUILD=1; shift ;;
      -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown argument '$1' (see $0 --help)" ;;
    esac
  done
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--version '$version' is not MAJOR.MINOR.PATCH"
  options="$(normalize_build_options "${options:-$KC_DEFAULT_BUILD_OPTIONS}")"
  tag="${tag:-keycloak-cluster/keycloak:$version-optimized}"
  [[ "$tag" =~ ^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$ ]] || die "--tag '$tag' is not a valid image name"

  mkdir -p "$ROOTFS_CACHE" "$DEB_CACHE" "$DL_CACHE" "$CTX_CACHE" "$WORK" "$LOGS"
  require_engine
  # One build at a time per cache.
  exec 9>"$CACHE/.lock"
  flock -n 9 || { step image "waiting for another images.sh run to finish"; flock 9; }

  case "$command" in
    all)
      timed build_base
      timed build_postgres
      timed build_haproxy
      timed build_keycloak_plain "$version"
      timed build_keycloak_optimized "$tag" "$options" "$version"
      ;;
    base) timed build_base ;;
    postgres) timed build_postgres ;;
    haproxy) timed build_haproxy ;;
    keycloak)
      timed build_keycloak_plain "$version"
      timed build_keycloak_optimized "$tag" "$options" "$version"
      ;;
    mirror-check) mirror_check; return 0 ;;
    *) die "unknown command '$command' (use all, base, postgres, haproxy, keycloak or mirror-check)" ;;
  esac
  print_summary
}

main "$@"
