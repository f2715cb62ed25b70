#!/bin/sh
# Buildroot post-build (runs after the overlay is copied): the /data mount point, the board's
# boot files (x86: grub.cfg; Pi: the root's /boot gets the overlays, the boot partition itself
# is made in post-image.sh), RAUC's system.conf and version information. Argument 2: the board
# name (BR2_ROOTFS_POST_SCRIPT_ARGS).
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
    cp -f "$BOARD_DIR/grub.cfg" "$BOARD_DIR/grub-slot.cfg" "$BINARIES_DIR/efi-part/EFI/BOOT/"
    # RAUC: slots, the EFI partition (grubenv) at /boot/efi, slot A good and first.
    install -D -m 0644 "$BOARD_DIR/rauc-system.conf" "$TARGET_DIR/etc/rauc/system.conf"
    mkdir -p "$TARGET_DIR/boot/efi"
    grep -q ' /boot/efi ' "$TARGET_DIR/etc/fstab" ||
        echo 'LABEL=VB-EFI /boot/efi vfat rw,noatime,nosuid,nodev,noexec,umask=0077 0 2' >>"$TARGET_DIR/etc/fstab"
    "$HOST_DIR/bin/grub-editenv" "$BINARIES_DIR/efi-part/EFI/BOOT/grubenv" create
    "$HOST_DIR/bin/grub-editenv" "$BINARIES_DIR/efi-part/EFI/BOOT/grubenv" set \
        ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
fi
if [ "$BOARD" = rpi4 ] || [ "$BOARD" = rpi5 ]; then
    # RAUC with rauc-pi-boot (decision 0310): the boot partition at /boot/firmware, where each
    # slot's boot files live in a/ or b/. A slot carries its own in /boot: the kernel and device
    # trees (BR2_LINUX_KERNEL_INSTALL_TARGET) and the firmware package's overlays, copied here.
    install -D -m 0644 "$BOARD_DIR/rauc-system.conf" "$TARGET_DIR/etc/rauc/system.conf"
    mkdir -p "$TARGET_DIR/boot/firmware"
    grep -q ' /boot/firmware ' "$TARGET_DIR/etc/fstab" ||
        echo 'LABEL=VB-BOOT /boot/firmware vfat rw,noatime,nosuid,nodev,noexec,umask=0077 0 2' >>"$TARGET_DIR/etc/fstab"
    [ -f "$TARGET_DIR/boot/Image" ] || {
        echo "post-build: no /boot/Image in the root: BR2_LINUX_KERNEL_INSTALL_TARGET=y is needed" >&2
        exit 1
    }
    rm -rf "$TARGET_DIR/boot/overlays"
    if [ -d "$BINARIES_DIR/rpi-firmware/overlays" ]; then
        cp -R "$BINARIES_DIR/rpi-firmware/overlays" "$TARGET_DIR/boot/overlays"
    fi
    # `venuebox update --reboot` reboots with this argument: the next boot is the trial.
    mkdir -p "$TARGET_DIR/usr/lib/venuebox"
    echo '0 tryboot' >"$TARGET_DIR/usr/lib/venuebox/update-reboot-argument"
fi
# RAUC's keyring: the maintainers' update CA certificate (docs/FIRMWARE.md, "Updates").
if [ -n "${VB_RAUC_KEYRING:-}" ]; then
    install -D -m 0644 "$VB_RAUC_KEYRING" "$TARGET_DIR/etc/rauc/keyring.pem"
else
    echo "post-build: VB_RAUC_KEYRING not set: this image cannot install updates" >&2
fi
