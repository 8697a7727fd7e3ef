#!/usr/bin/env bash
# Builds the container image without a container registry:
#
#   tests/deploy/build_image.sh [IMAGE]        # default IMAGE: localhost/perscom-bridge:test
#
# 1. bootstrap a Debian base with `mmdebstrap --variant=minbase` from Debian's mirror
#    (suite $BR_IMAGE_SUITE, default trixie), cached as build-image/<suite>-minbase.tar;
# 2. `podman import` it as docker.io/library/debian:<suite>-slim, the Dockerfile's FROM.
#    Both are skipped while the container storage holds a base younger than
#    $BR_IMAGE_BASE_MAX_AGE_DAYS (default 7) days, and the bootstrap while the tarball is;
# 3. `buildah bud --isolation chroot --pull=never --layers` of the top-level Dockerfile.
#
# podman and buildah read tests/deploy/containers.conf (CONTAINERS_CONF). buildah's output goes
# to build-image/buildah.log (its tail is printed when it fails). Prints the time of each step
# and the image size; writes them to build-image/build-times.txt. Any failure stops it with a
# non-zero exit code.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
image=${1:-localhost/perscom-bridge:test}
suite=${BR_IMAGE_SUITE:-trixie}
max_age_days=${BR_IMAGE_BASE_MAX_AGE_DAYS:-7}
mirror=${BR_IMAGE_MIRROR:-http://deb.debian.org/debian}
security_mirror=${BR_IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
cache="$root/build-image"
tarball="$cache/$suite-minbase.tar"
base="docker.io/library/debian:$suite-slim"
export CONTAINERS_CONF="$root/tests/deploy/containers.conf"

for tool in mmdebstrap podman buildah runc newuidmap fuse-overlayfs; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "build_image.sh: $tool is missing (scripts/setup.sh installs it)" >&2
        exit 1
    fi
done
mkdir -p "$cache"
times="$cache/build-times.txt"
: >"$times"

note() {
    echo "build_image.sh: $*"
    echo "$*" >>"$times"
}

# 1. The base, unless the container storage holds a fresh one (imported by an earlier run,
# of this or another checkout): like the official -slim images, without manual pages,
# documentation and translations; apt sources for the suite, its updates and its security
# archive. The tarball stays cached for a storage that was emptied.
t0=$SECONDS
now=$(date +%s)
max_age_s=$((max_age_days * 86400))
made=$(podman image inspect --format '{{index .Labels "org.perscom-bridge.base-made"}}' \
       "$base" 2>/dev/null || true)
if [ -n "$made" ] && [ $((now - made)) -lt "$max_age_s" ]; then
    note "base: $base in the container storage, bootstrapped $(((now - made) / 3600)) h ago"
else
    if [ -f "$tarball" ] && [ $((now - $(stat -c %Y "$tarball"))) -lt "$max_age_s" ]; then
        note "base: cached $tarball ($(du -m "$tarball" | cut -f1) MiB)"
    else
        rm -f "$tarball.tmp"
        mmdebstrap --variant=minbase --mode=root --format=tar \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --dpkgopt='path-exclude=/usr/share/info/*' \
            "$suite" "$tarball.tmp" \
            "deb $mirror $suite main" \
            "deb $mirror $suite-updates main" \
            "deb $security_mirror $suite-security main" \
            >"$cache/mmdebstrap.log" 2>&1 || {
            tail -30 "$cache/mmdebstrap.log" >&2
            echo "build_image.sh: mmdebstrap $suite failed (log: $cache/mmdebstrap.log)" >&2
            exit 1
        }
        mv "$tarball.tmp" "$tarball"
        note "base: mmdebstrap --variant=minbase $suite in $((SECONDS - t0)) s" \
             "($(du -m "$tarball" | cut -f1) MiB)"
    fi
    # 2. The FROM image, labelled with the time the tarball was made.
    t0=$SECONDS
    podman import --quiet --change 'CMD ["bash"]' \
        --change "LABEL org.perscom-bridge.base-made=$(stat -c %Y "$tarball")" \
        "$tarball" "$base" >/dev/null
    note "import: podman import $base in $((SECONDS - t0)) s"
fi

# 3. The image. --layers keeps the package-installing steps cached between runs.
t0=$SECONDS
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! buildah bud --isolation chroot --pull=never --layers \
    --build-arg "DEBIAN_IMAGE=$base" --build-arg "REVISION=$revision" \
    -f "$root/Dockerfile" -t "$image" "$root" >"$cache/buildah.log" 2>&1; then
    tail -60 "$cache/buildah.log" >&2
    echo "build_image.sh: buildah bud failed (log: $cache/buildah.log)" >&2
    exit 1
fi
# the unit tests of the build stage (absent when that step came from the layer cache)
grep -E "tests passed|tests failed" "$cache/buildah.log" |
    sed 's/^/build_image.sh: ctest in the build stage: /' || true
size=$(podman image inspect --format '{{.Size}}' "$image")
note "build: buildah bud $image in $((SECONDS - t0)) s"
note "size: $image $((size / 1024 / 1024)) MiB ($size bytes)"
