# shellcheck shell=bash
# The pinned Buildroot release and where image/build keeps it (sourced, not executed).

BUILDROOT_VERSION=2026.02.3
BUILDROOT_URL=https://buildroot.org/downloads/buildroot-$BUILDROOT_VERSION.tar.xz
# Keep in step with BUILDROOT_VERSION (from buildroot.org/downloads/buildroot-*.tar.xz.sign).
BUILDROOT_SHA256=${BUILDROOT_SHA256:-}

# Prints the unpacked Buildroot folder, downloading and unpacking it first if needed.
buildroot_dir() {
    local cache=${VB_CACHE_DIR:-$HOME/.cache/venuebox}
    local dir=$cache/buildroot-$BUILDROOT_VERSION
    if [ ! -f "$dir/Makefile" ]; then
        mkdir -p "$cache"
        local tarball=$cache/buildroot-$BUILDROOT_VERSION.tar.xz
        if [ ! -s "$tarball" ]; then
            echo "fetching $BUILDROOT_URL" >&2
            curl -fsSL --retry 3 -o "$tarball.tmp" "$BUILDROOT_URL" >&2
            mv "$tarball.tmp" "$tarball"
        fi
        if [ -n "$BUILDROOT_SHA256" ]; then
            echo "$BUILDROOT_SHA256  $tarball" | sha256sum -c - >&2
        fi
        tar -xJf "$tarball" -C "$cache"
    fi
    echo "$dir"
}
