#!/usr/bin/env bash
# Boot test of the firmware: builds a Debian (mmdebstrap) test image with the image's rootfs
# overlay, units and the freshly built venuebox binary, boots it twice in QEMU (TCG, no KVM)
# and checks the box comes up into the service on its own (image/test/boottest.py lists the
# checks). Prints QEMU start -> /healthz. The rootfs tarball is cached under
# $VB_CACHE_DIR (default ~/.cache/venuebox), keyed by image/test/packages.txt + hook.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=image/test/apt-backports.sh
. image/test/apt-backports.sh

apt_need mmdebstrap e2fsprogs fdisk binutils python3
apt_need_backports qemu-system-x86

t0=$(date +%s)
cargo build --locked -p venuebox --bin venuebox
bin=target/debug/venuebox
t_build=$(date +%s)

out=${IMAGE_WORK:-image/work}/boottest
image/test/mkimage.sh "$bin" "$out"
t_image=$(date +%s)

python3 image/test/boottest.py "$out"
t_boot=$(date +%s)
echo "image-boot: cargo build $((t_build - t0)) s, image $((t_image - t_build)) s," \
    "two boots + checks $((t_boot - t_image)) s"
rm -f "$out/disk.img"
