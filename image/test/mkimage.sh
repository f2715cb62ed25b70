#!/usr/bin/env bash
# Builds the boot-test disk image: a Debian bookworm rootfs (mmdebstrap, cached by package
# list) + the image's rootfs overlay and units + the given venuebox binary, laid out like the
# product image (GPT: boot, rootfs-a, rootfs-b, data) with free space after /data so the
# first-boot partition growth runs. No loop devices: mkfs.ext4 -d and dd into a sparse file.
#
# usage: image/test/mkimage.sh <venuebox-binary> <out-dir>
# env:   VB_CACHE_DIR (default ~/.cache/venuebox), VIEWER_DIST (default viewer/dist)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "$1")
out=$2
cache=${VB_CACHE_DIR:-$HOME/.cache/venuebox}
overlay=$repo/buildroot-config/rootfs-overlay
viewer=${VIEWER_DIST:-$repo/viewer/dist}
mkdir -p "$cache" "$out"

# 1. Generic rootfs, cached under a key of the package list and the hook.
pkgs=$(grep -v '^#' "$here/packages.txt" | grep -v '^$' | paste -sd, -)
key=$(cat "$here/packages.txt" "$here/rootfs-hook.sh" | sha256sum | cut -c1-16)
tarball=$cache/rootfs-bookworm-$key.tar
if [ ! -s "$tarball" ]; then
    t0=$(date +%s)
    mmdebstrap --variant=essential --format=tar --include="$pkgs" \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --customize-hook="$here/rootfs-hook.sh \"\$1\"" \
        bookworm "$tarball.tmp" http://deb.debian.org/debian
    mv "$tarball.tmp" "$tarball"
    echo "mkimage: rootfs built by mmdebstrap in $(($(date +%s) - t0)) s: $tarball"
else
    echo "mkimage: rootfs from cache: $tarball"
fi

# 2. Unpack and add the image's own files: the same overlay and units as Buildroot's.
root=$out/root
rm -rf "$root"
mkdir -p "$root"
tar --numeric-owner -xpf "$tarball" -C "$root"
cp -a "$overlay/." "$root/"
mkdir -p "$root/data"
install -D -m 0755 "$bin" "$root/usr/bin/venuebox"
strip "$root/usr/bin/venuebox" 2>/dev/null || true
mkdir -p "$root/usr/share/venuebox/viewer"
if [ -d "$viewer" ]; then
    cp -a "$viewer/." "$root/usr/share/venuebox/viewer/"
fi
: >"$root/etc/machine-id"
chroot "$root" systemd-sysusers /usr/lib/sysusers.d/venuebox.conf
units=$(sed -n 's/^enable[[:space:]]\+\([^[:space:]]\+\).*/\1/p' \
    "$overlay/usr/lib/systemd/system-preset/50-venuebox.preset")
# shellcheck disable=SC2086
chroot "$root" systemctl enable $units
# Test-only: the command channel the boot test drives over ttyS1.
install -D -m 0755 "$here/vb-test-shell" "$root/usr/local/sbin/vb-test-shell"
install -D -m 0644 "$here/vb-test-shell.service" "$root/etc/systemd/system/vb-test-shell.service"
chroot "$root" systemctl enable vb-test-shell.service
cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
cp "$root"/boot/initrd.img-* "$out/initrd.img"

# 3. File systems and the partitioned disk (MiB units).
root_mb=$(( $(du -sm "$root" | cut -f1) * 12 / 10 + 32 ))
data_mb=32
free_mb=64
rm -f "$out/rootfs.ext4" "$out/data.ext4" "$out/disk.img"
mkfs.ext4 -q -L rootfs-a -d "$root" "$out/rootfs.ext4" "${root_mb}M"
mkfs.ext4 -q -L venuebox-data "$out/data.ext4" "${data_mb}M"
total=$((1 + 16 + root_mb + root_mb + data_mb + free_mb + 1))
truncate -s "${total}M" "$out/disk.img"
sfdisk -q "$out/disk.img" <<PARTS
label: gpt
size=16MiB, type=uefi, name=boot
size=${root_mb}MiB, type=linux, name=rootfs-a
size=${root_mb}MiB, type=linux, name=rootfs-b
size=${data_mb}MiB, type=linux, name=data
PARTS
start_of() { sfdisk -J "$out/disk.img" | python3 -c \
    "import json,sys; print(json.load(sys.stdin)['partitiontable']['partitions'][$1]['start'])"; }
put() { dd if="$1" of="$out/disk.img" bs=1M seek="$(($2 * 512))" oflag=seek_bytes \
    conv=notrunc,sparse status=none; }
put "$out/rootfs.ext4" "$(start_of 1)"
put "$out/data.ext4" "$(start_of 3)"
rm -f "$out/rootfs.ext4" "$out/data.ext4"
rm -rf "$root"
echo "mkimage: $out/disk.img (${total} MiB: rootfs ${root_mb} MiB x2, data ${data_mb} MiB, ${free_mb} MiB free)"
