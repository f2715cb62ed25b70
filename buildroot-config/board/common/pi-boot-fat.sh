#!/bin/sh
# The Raspberry Pi boot partition of a fresh image (decision 0310), called by post-image.sh and
# by image/test/pi-tryboot-test.sh. Stages the FAT's files in STAGING_DIR and, given
# VFAT_IMAGE, makes it (mkfs.vfat, label VB-BOOT, VB_BOOT_FAT_MIB MiB, default 256) with mcopy:
#   start4.elf, fixup4.dat, ...   the firmware (FIRMWARE_DIR's files but config.txt/cmdline.txt)
#   config.txt    the board's config.txt, then os_prefix=a/ and `include slot.txt`
#   slot.txt      os_prefix=a/ (the committed slot; rauc-pi-boot rewrites it)
#   slots.txt     A=good, B=bad
#   a/            slot A's /boot (Image, *.dtb, overlays/) and cmdline.txt with rauc.slot=A
# usage: pi-boot-fat.sh BOARD_DIR FIRMWARE_DIR SLOT_BOOT_DIR STAGING_DIR [VFAT_IMAGE]
set -eu
[ $# -eq 4 ] || [ $# -eq 5 ] || {
    echo "usage: pi-boot-fat.sh BOARD_DIR FIRMWARE_DIR SLOT_BOOT_DIR STAGING_DIR [VFAT_IMAGE]" >&2
    exit 2
}
board=$1
firmware=$2
slotboot=$3
out=$4
img=${5:-}
size_mib=${VB_BOOT_FAT_MIB:-256}

die() {
    echo "pi-boot-fat: $*" >&2
    exit 1
}
for f in config.txt cmdline.txt; do [ -f "$board/$f" ] || die "no $board/$f"; done
grep -qx 'kernel=Image' "$board/config.txt" || die "$board/config.txt must say kernel=Image (rauc-pi-boot copies Image)"
grep -q 'root=PARTUUID=5e1ec7ed-02' "$board/cmdline.txt" || die "$board/cmdline.txt must boot root=PARTUUID=5e1ec7ed-02 (slot A)"
[ -f "$slotboot/Image" ] || die "no $slotboot/Image (BR2_LINUX_KERNEL_INSTALL_TARGET=y?)"
set -- "$slotboot"/*.dtb
[ -f "$1" ] || die "no device trees in $slotboot"

rm -rf "$out"
mkdir -p "$out/a"
if [ -d "$firmware" ]; then
    for f in "$firmware"/*; do
        case ${f##*/} in config.txt | cmdline.txt) continue ;; esac
        if [ -f "$f" ]; then cp "$f" "$out/"; fi
    done
fi
cp "$slotboot/Image" "$@" "$out/a/"
if [ -d "$slotboot/overlays" ]; then cp -R "$slotboot/overlays" "$out/a/"; fi
printf '%s rauc.slot=A\n' "$(sed 's/[[:space:]]*rauc\.slot=[^[:space:]]*//g' "$board/cmdline.txt" | tr -s '\n' ' ' | sed 's/[[:space:]]*$//')" \
    >"$out/a/cmdline.txt"
{
    cat "$board/config.txt"
    cat <<'CFG'

[all]
# A/B root slots (decision 0310): the kernel, device trees, overlays and cmdline.txt come from
# a/ or b/. Slot A unless slot.txt names the committed slot; tryboot.txt (read for the one boot
# after `reboot "0 tryboot"`) names a slot on trial. This file is never rewritten on the box.
os_prefix=a/
include slot.txt
CFG
} >"$out/config.txt"
echo 'os_prefix=a/' >"$out/slot.txt"
printf 'A=good\nB=bad\n' >"$out/slots.txt"

# An update needs room for two slots' boot files at once (rauc-pi-boot drops the target's first).
slot_kib=$(du -sk "$out/a" | cut -f1)
all_kib=$(du -sk "$out" | cut -f1)
need_kib=$(((all_kib + slot_kib) * 10 / 9))
[ "$need_kib" -lt $((size_mib * 1024)) ] ||
    die "two slots' boot files and the firmware need ${need_kib} KiB with a 10% margin: more than VB_BOOT_FAT_MIB=$size_mib MiB"
echo "pi-boot-fat: staged $out (${all_kib} KiB, slot directory ${slot_kib} KiB, FAT ${size_mib} MiB)"

if [ -n "$img" ]; then
    rm -f "$img"
    mkfs.vfat -F 32 -n VB-BOOT -i 5E1EC7ED -C "$img" $((size_mib * 1024)) >/dev/null
    MTOOLS_SKIP_CHECK=1 mcopy -s -i "$img" "$out"/* ::/
    echo "pi-boot-fat: $img"
fi
