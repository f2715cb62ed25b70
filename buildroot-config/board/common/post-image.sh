#!/bin/bash
# Buildroot post-image: assembles the flashable disk image with genimage from the board's
# layout (board/<board>/genimage.cfg[.in]). For the Pi, the boot partition's file list is
# filled from what rpi-firmware and the kernel installed. Argument 2: the board name.
set -euo pipefail
BOARD=${2:?board name expected in BR2_ROOTFS_POST_SCRIPT_ARGS}
BOARD_DIR=$(dirname "$0")/../$BOARD
GENIMAGE_CFG=$BINARIES_DIR/genimage.cfg

if [ -f "$BOARD_DIR/genimage.cfg.in" ]; then
    files=()
    for f in "$BINARIES_DIR"/*.dtb "$BINARIES_DIR"/rpi-firmware/*; do
        files+=("${f#"$BINARIES_DIR"/}")
    done
    files+=("$(sed -n 's/^kernel=//p' "$BINARIES_DIR/rpi-firmware/config.txt")")
    list=$(printf '\\t\\t\\t"%s",\\n' "${files[@]}")
    sed "s|#BOOT_FILES#|$list|" "$BOARD_DIR/genimage.cfg.in" >"$GENIMAGE_CFG"
else
    cp "$BOARD_DIR/genimage.cfg" "$GENIMAGE_CFG"
fi

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
