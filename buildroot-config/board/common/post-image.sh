#!/bin/bash
# Buildroot post-image: assembles the flashable disk image with genimage from the board's
# layout (board/<board>/genimage.cfg). For the Pi, the boot partition (boot.vfat) is made first
# by pi-boot-fat.sh from the firmware and the root's /boot (decision 0310). Argument 2: the
# board name.
set -euo pipefail
BOARD=${2:?board name expected in BR2_ROOTFS_POST_SCRIPT_ARGS}
BOARD_DIR=$(dirname "$0")/../$BOARD
GENIMAGE_CFG=$BINARIES_DIR/genimage.cfg

case $BOARD in
rpi4 | rpi5)
    "$(dirname "$0")/pi-boot-fat.sh" "$BOARD_DIR" "$BINARIES_DIR/rpi-firmware" \
        "$TARGET_DIR/boot" "$BUILD_DIR/pi-boot-fat" "$BINARIES_DIR/boot.vfat"
    ;;
esac
cp "$BOARD_DIR/genimage.cfg" "$GENIMAGE_CFG"

rootpath=$(mktemp -d)
trap 'rm -rf "$rootpath"' EXIT
rm -rf "$BUILD_DIR/genimage.tmp"
genimage --rootpath "$rootpath" --tmppath "$BUILD_DIR/genimage.tmp" \
    --inputpath "$BINARIES_DIR" --outputpath "$BINARIES_DIR" --config "$GENIMAGE_CFG"
for img in "$BINARIES_DIR"/sdcard.img "$BINARIES_DIR"/disk.img; do
    [ -f "$img" ] || continue
    out=$BINARIES_DIR/venuebox-$BOARD.img
    mv "$img" "$out"
    xz -T0 -k -f "$out"
    echo "post-image: $out and $out.xz"
done
