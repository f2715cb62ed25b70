#!/usr/bin/env bash
# Adds RAUC to the boot-test root (mkimage.sh with BOOTLOADER=grub): system.conf (slots,
# GRUB backend), the keyring certificate from $RAUC_KEYRING (the test's throwaway CA; a
# product box gets the maintainers' CA the same way, at image build time), the EFI
# partition's mount point for grubenv, /boot/vmlinuz and /boot/initrd.img for GRUB, and
# /etc/venuebox-release naming the image.
#
# usage: RAUC_KEYRING=ca.pem [VB_RELEASE=text] image/test/rauc-root.sh <root-dir>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$1
: "${RAUC_KEYRING:?RAUC_KEYRING must name the keyring certificate (PEM)}"
install -D -m 0644 "$here/rauc-system.conf" "$root/etc/rauc/system.conf"
install -D -m 0644 "$RAUC_KEYRING" "$root/etc/rauc/keyring.pem"
mkdir -p "$root/boot/efi"
echo 'LABEL=VB-EFI /boot/efi vfat rw,noatime,nosuid,nodev,noexec,umask=0077 0 2' >>"$root/etc/fstab"
kernel=$(cd "$root/boot" && ls vmlinuz-* | head -1)
initrd=$(cd "$root/boot" && ls initrd.img-* | head -1)
ln -sfn "$kernel" "$root/boot/vmlinuz"
ln -sfn "$initrd" "$root/boot/initrd.img"
echo "${VB_RELEASE:-venuebox test image}" >"$root/etc/venuebox-release"
