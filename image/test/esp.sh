#!/usr/bin/env bash
# Builds the boot-test EFI system partition without loop devices (mtools): GRUB for x86_64
# EFI as the removable-media loader EFI/BOOT/BOOTX64.EFI (grub-mkstandalone, with an
# embedded config that finds this partition by its label and reads EFI/BOOT/grub.cfg), the
# test grub.cfg, the product's slot choice grub-slot.cfg, and a grubenv that boots slot A
# (A_OK=1; RAUC's GRUB backend edits it later from the running system).
#
# usage: image/test/esp.sh <out-file> [size-MiB]   (default 16, the boot partition's size)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=$1
size_mb=${2:-16}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/embed.cfg" <<'CFG'
search --no-floppy --label --set=root VB-EFI
set prefix=(${root})/EFI/BOOT
configfile ${prefix}/grub.cfg
CFG
grub-mkstandalone -O x86_64-efi -o "$work/BOOTX64.EFI" \
    --modules="part_gpt fat ext2 search search_label regexp configfile loadenv test echo linux normal" \
    --install-modules="part_gpt fat ext2 search search_label search_fs_uuid search_fs_file regexp configfile loadenv test echo linux normal gzio boot" \
    --locales= --fonts= --themes= \
    "boot/grub/grub.cfg=$work/embed.cfg"
grub-editenv "$work/grubenv" create
grub-editenv "$work/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0

rm -f "$out"
truncate -s "${size_mb}M" "$out"
mformat -i "$out" -v VB-EFI ::
mmd -i "$out" ::/EFI ::/EFI/BOOT
mcopy -i "$out" "$work/BOOTX64.EFI" "$work/grubenv" "$here/grub.cfg" \
    "$repo/buildroot-config/board/x86_64/grub-slot.cfg" ::/EFI/BOOT/
echo "esp: $out (${size_mb} MiB, GRUB $(stat -c %s "$work/BOOTX64.EFI") bytes)"
