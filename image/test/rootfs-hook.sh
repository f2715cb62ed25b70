#!/bin/sh
# mmdebstrap customize hook for the boot-test rootfs (generic part, cached): drops kernel
# modules a QEMU q35 guest never loads, then builds a small initramfs with just what a virtio
# disk with ext4 needs. No documentation.
set -eu
root=$1
for kdir in "$root"/usr/lib/modules/*; do
    kver=${kdir##*/}
    k=$kdir/kernel
    rm -rf "$k/sound" "$k/drivers/gpu" "$k/drivers/media" "$k/drivers/net/wireless" \
        "$k/drivers/net/ethernet" "$k/drivers/infiniband" "$k/drivers/staging" \
        "$k/drivers/scsi" "$k/drivers/usb" "$k/drivers/bluetooth" "$k/drivers/iio" \
        "$k/drivers/hid" "$k/drivers/isdn" "$k/drivers/mtd" "$k/net/bluetooth" \
        "$k/net/wireless" "$k/net/mac80211" "$k/fs/xfs" "$k/fs/btrfs" "$k/fs/ocfs2" \
        "$k/fs/nfs" "$k/fs/cifs" "$k/fs/smb" "$k/fs/gfs2" "$k/fs/f2fs"
    chroot "$root" depmod -a "$kver"
done
rm -rf "$root/usr/lib/firmware"
# RAUC's GRUB backend needs grub-editenv only; the rest of grub-common is boot-loader tooling.
find "$root/usr/bin" "$root/usr/sbin" -name 'grub-*' ! -name grub-editenv -delete
rm -rf "$root/usr/share/grub"
cat >"$root/etc/initramfs-tools/conf.d/venuebox-test.conf" <<'CONF'
MODULES=list
COMPRESS=zstd
CONF
printf '%s\n' virtio_pci virtio_blk ext4 >"$root/etc/initramfs-tools/modules"
chroot "$root" update-initramfs -u -k all
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" \
    "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
