#!/usr/bin/env bash
# Boot test of the firmware: builds a Debian (mmdebstrap) test image with the image's rootfs
# overlay, units and the freshly built venuebox binary, boots it twice in QEMU (TCG, no KVM)
# and checks the box comes up into the service on its own (image/test/boottest.py lists the
# checks). Prints QEMU start -> /healthz. The rootfs tarball is cached under
# $VB_CACHE_DIR (default ~/.cache/venuebox), keyed by image/test/packages.txt + hook.
# ARCH=aarch64 boots an arm64 image on QEMU's virt board (TCG) with the static
# aarch64-unknown-linux-musl build (.cargo/config.toml links it with Debian's cross gcc).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=image/test/apt-backports.sh
. image/test/apt-backports.sh

export ARCH=${ARCH:-x86_64}
apt_need mmdebstrap e2fsprogs fdisk binutils python3 ffmpeg
t0=$(date +%s)
if [ "$ARCH" = aarch64 ]; then
    TARGET=aarch64-unknown-linux-musl
    apt_need proot qemu-user gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu file cpio
    apt_need_backports qemu-system-arm
    rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"
    PROFILE=${CROSS_PROFILE:-cross-test} # Cargo.toml: dev without debug info
    cargo build --locked --target "$TARGET" --profile "$PROFILE" -p venuebox --bin venuebox
    bin=target/$TARGET/$PROFILE/venuebox
    file -b "$bin" | grep -q 'ARM aarch64.*static' || { echo "FAIL: $bin: $(file -b "$bin")"; exit 1; }
    out=${IMAGE_WORK:-image/work}/boottest-aarch64
else
    apt_need_backports qemu-system-x86
    cargo build --locked -p venuebox --bin venuebox
    bin=target/debug/venuebox
    out=${IMAGE_WORK:-image/work}/boottest
fi
t_build=$(date +%s)

image/test/mkimage.sh "$bin" "$out"
t_image=$(date +%s)

python3 image/test/boottest.py "$out"
t_boot=$(date +%s)
echo "image-boot ($ARCH): cargo build $((t_build - t0)) s, image $((t_image - t_build)) s," \
    "two boots + checks $((t_boot - t_image)) s"
rm -f "$out/disk.img"
