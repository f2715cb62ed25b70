#!/usr/bin/env bash
# Builds the boot-test disk image: a Debian bookworm rootfs (mmdebstrap, cached by package
# list) + the image's rootfs overlay and units + the given venuebox binary, laid out like the
# product image (GPT: boot, rootfs-a, rootfs-b, data) with free space after /data so the
# first-boot partition growth runs. No loop devices: mkfs.ext4 -d and dd into a sparse file.
#
# usage: image/test/mkimage.sh <venuebox-binary> <out-dir>
# env:   ARCH (x86_64 or aarch64, default x86_64; the binary must be built for it),
#        VB_CACHE_DIR (default ~/.cache/venuebox), VIEWER_DIST (default viewer/dist)
# aarch64 on an x86_64 host: the arm64 root's programs run under qemu-user through proot
# (foreign-chroot/chroot), so no binfmt_misc is needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(readlink -f "$1")
out=$2
cache=${VB_CACHE_DIR:-$HOME/.cache/venuebox}
overlay=$repo/buildroot-config/rootfs-overlay
viewer=${VIEWER_DIST:-$repo/viewer/dist}
mkdir -p "$cache" "$out"

# 0. The architecture: Debian's name for it, the kernel package, the test shell's port.
ARCH=${ARCH:-x86_64}
case $ARCH in
    x86_64) debarch=amd64 shell_tty=ttyS1 ;;
    aarch64) debarch=arm64 shell_tty=hvc0 ;;
    *) echo "mkimage: ARCH must be x86_64 or aarch64, not $ARCH" >&2; exit 2 ;;
esac
# A foreign root: apt runs dpkg through its own chroot(2), which cannot start arm64 programs
# without binfmt_misc. So mmdebstrap only downloads and unpacks (extract) the essential set and
# the packages, and extract hooks (the only ones that variant runs) install them all with the
# root's dpkg (foreign-install.sh), then run rootfs-hook.sh, under proot + qemu-user
# (foreign-chroot/chroot). /usr is merged up front (usrmerge's conversion needs ldd, which
# qemu-user cannot serve).
variant=(--variant=essential)
hook=customize
extra=""
if [ "$ARCH" != "$(uname -m)" ]; then
    PATH=$here/foreign-chroot:$PATH
    extra="usr-is-merged,"
    hook=extract
    variant=(--architectures="$debarch" --skip=check/qemu --variant=extract --include='?essential'
        --setup-hook='for d in bin sbin lib; do mkdir -p "$1/usr/$d"; ln -s "usr/$d" "$1/$d"; done'
        --extract-hook="$here/foreign-install.sh \"\$1\"")
fi

# 1. Generic rootfs, cached under a key of the package list, the hook and the architecture.
# The kernel package is the architecture's (packages.txt names amd64's).
pkgs=$(grep -v '^#' "$here/packages.txt" | grep -v '^$' | grep -v '^linux-image-' |
    paste -sd, -),linux-image-$debarch
key=$(cat "$here/packages.txt" "$here/rootfs-hook.sh" | sha256sum | cut -c1-16)
tarball=$cache/rootfs-bookworm-$key.tar
if [ "$debarch" != amd64 ]; then
    key=$(printf '%s\n' "$key" "${variant[*]}" | cat - "$here/foreign-install.sh" | sha256sum |
        cut -c1-16)
    tarball=$cache/rootfs-bookworm-$debarch-$key.tar
fi
if [ ! -s "$tarball" ]; then
    t0=$(date +%s)
    mmdebstrap "${variant[@]}" --format=tar --include="$extra$pkgs" \
        --dpkgopt='path-exclude=/usr/share/doc/*' \
        --dpkgopt='path-exclude=/usr/share/man/*' \
        --dpkgopt='path-exclude=/usr/share/locale/*' \
        --$hook-hook="$here/rootfs-hook.sh \"\$1\"" \
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
strip_cmd=strip
[ "$ARCH" = "$(uname -m)" ] || strip_cmd=$ARCH-linux-gnu-strip
"$strip_cmd" "$root/usr/bin/venuebox" 2>/dev/null || true
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
# Test-only: the command channel the boot test drives (ttyS1, or hvc0 on aarch64).
install -D -m 0755 "$here/vb-test-shell" "$root/usr/local/sbin/vb-test-shell"
install -D -m 0644 "$here/vb-test-shell@.service" "$root/etc/systemd/system/vb-test-shell@.service"
chroot "$root" systemctl enable "vb-test-shell@$shell_tty.service"
# BOOTLOADER=grub (the update test): RAUC's slot config and keyring, kernels in /boot per slot.
if [ "${BOOTLOADER:-}" = grub ]; then "$here/rauc-root.sh" "$root"; fi
cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
# The direct-kernel boot's initramfs: made on the host from the root's files (decision 0309).
ARCH=$ARCH "$here/initramfs-small.sh" "$root" "$out/initrd.img"

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
if [ "${BOOTLOADER:-}" = grub ]; then # GRUB on the boot partition; bundles are made of slot A
    "$here/esp.sh" "$out/esp.vfat" 16 && put "$out/esp.vfat" "$(start_of 0)" && rm "$out/esp.vfat"
    mv "$out/rootfs.ext4" "$out/rootfs-a.ext4"
fi
rm -f "$out/rootfs.ext4" "$out/data.ext4"
rm -rf "$root"
echo "mkimage: $out/disk.img (${total} MiB: rootfs ${root_mb} MiB x2, data ${data_mb} MiB, ${free_mb} MiB free)"
