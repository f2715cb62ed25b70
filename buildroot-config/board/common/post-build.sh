#!/bin/sh
# Buildroot post-build (runs after the overlay is copied): the /data mount point, the board's
# boot files (Pi: config.txt/cmdline.txt via BR2_PACKAGE_RPI_FIRMWARE_*; x86: grub.cfg), and
# version information. Argument 2: the board name (BR2_ROOTFS_POST_SCRIPT_ARGS).
set -eu
BOARD=${2:?board name expected in BR2_ROOTFS_POST_SCRIPT_ARGS}
BOARD_DIR=$(dirname "$0")/../$BOARD

mkdir -p "$TARGET_DIR/data"
# machine-id is generated at every boot on the read-only root (see 20-wired.network).
: >"$TARGET_DIR/etc/machine-id"

version=$(cd "$BR2_EXTERNAL_VENUEBOX_PATH/.." && git describe --always --dirty 2>/dev/null || echo unknown)
cat >"$TARGET_DIR/usr/lib/os-release" <<OS
NAME="VenueBox OS"
ID=venuebox
PRETTY_NAME="VenueBox OS $version ($BOARD)"
VERSION_ID=$version
VARIANT_ID=$BOARD
OS
ln -sf ../usr/lib/os-release "$TARGET_DIR/etc/os-release"

if [ "$BOARD" = x86_64 ] && [ -d "$BINARIES_DIR/efi-part/EFI/BOOT" ]; then
    cp -f "$BOARD_DIR/grub.cfg" "$BINARIES_DIR/efi-part/EFI/BOOT/grub.cfg"
fi
