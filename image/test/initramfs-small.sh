#!/usr/bin/env bash
# Makes a test image's initramfs on the host from the image root's own files, with no program
# of that root run. It holds dash, kmod, mount, switch_root, blkid and sleep with the libraries
# their ELF headers name (read with the host's readelf), the modules the virtual disk and ext4
# need (with their dependencies from modules.dep) and an /init that loads them, mounts the root
# read-only from the kernel command line's root= (PARTLABEL=, LABEL= or a /dev path) and
# switches to its /sbin/init. Made first for arm64, where initramfs-tools needs `ldd`, which
# qemu-user cannot serve (decision 0307); both architectures use it because Debian's generic
# initramfs (udev, every storage driver) costs seconds of a 20 s boot that the product's
# kernel, with its disk driver built in, does not spend (decision 0309).
#
# usage: ARCH=x86_64|aarch64 image/test/initramfs-small.sh <root> <out-initrd.img>
set -euo pipefail
root=$(readlink -f "$1")
out=$2
programs=(/usr/bin/dash /usr/bin/kmod /usr/bin/mount /usr/sbin/switch_root /usr/sbin/blkid
    /usr/bin/sleep)
case ${ARCH:-x86_64} in
    x86_64) modules=(virtio_pci virtio_blk crc32c_generic ext4) multiarch=x86_64-linux-gnu ;;
    aarch64) modules=(virtio_pci virtio_mmio virtio_blk crc32c_generic ext4) multiarch=aarch64-linux-gnu ;;
    *) echo "initramfs-small: ARCH must be x86_64 or aarch64, not $ARCH" >&2; exit 2 ;;
esac
libdirs=("/usr/lib/$multiarch" /usr/lib)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ird=$work/initramfs

# A path inside the root with its symlinks (in any component) followed inside the root.
resolve() {
    local done="" rest=${1#/} comp t n=0
    while [ -n "$rest" ]; do
        comp=${rest%%/*}
        [ "$comp" = "$rest" ] && rest="" || rest=${rest#*/}
        if [ -L "$root$done/$comp" ]; then
            n=$((n + 1))
            [ "$n" -lt 40 ] || { echo "initramfs-small: symlink loop at $1" >&2; exit 1; }
            t=$(readlink "$root$done/$comp")
            case $t in /*) done="" ;; esac
            rest=${t#/}${rest:+/$rest}
        elif [ "$comp" = .. ]; then
            done=${done%/*}
        elif [ -n "$comp" ] && [ "$comp" != . ]; then
            done=$done/$comp
        fi
    done
    printf '%s\n' "${done:-/}"
}

# Copies a file of the root to the same path in the initramfs, with what its ELF header needs.
declare -A copied=()
add() {
    local p=$1 real
    [ -z "${copied[$p]:-}" ] || return 0
    copied[$p]=1
    real=$(resolve "$p")
    [ -f "$root$real" ] || { echo "initramfs-small: $p not in the root" >&2; exit 1; }
    install -D -m 0755 "$root$real" "$ird$p"
    local interp lib dir
    interp=$(readelf -l "$root$real" 2>/dev/null |
        sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p')
    [ -z "$interp" ] || add "$interp"
    for lib in $(readelf -d "$root$real" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        for dir in "${libdirs[@]}"; do
            if [ -e "$root$dir/$lib" ]; then add "$dir/$lib"; continue 2; fi
        done
        echo "initramfs-small: $lib (needed by $p) not in the root" >&2
        exit 1
    done
}

mkdir -p "$ird"/{dev,proc,sys,root,run,usr/bin,usr/sbin,usr/lib}
ln -s usr/bin "$ird/bin"
ln -s usr/sbin "$ird/sbin"
ln -s usr/lib "$ird/lib"
for p in "${programs[@]}"; do add "$p"; done
ln -s dash "$ird/usr/bin/sh"
ln -s ../bin/kmod "$ird/usr/sbin/insmod"

# The modules in load order: each one's dependencies (modules.dep, deepest last) first.
kdir=$(cd "$root/usr/lib/modules" && ls | head -n 1)
dep=$root/usr/lib/modules/$kdir/modules.dep
declare -A loaded=()
order=()
want() {
    local rel=$1 d
    [ -z "${loaded[$rel]:-}" ] || return 0
    loaded[$rel]=1
    for d in $(grep "^$rel:" "$dep" | cut -d: -f2); do want "$d"; done
    order+=("$rel")
}
for m in "${modules[@]}"; do
    rel=$(grep -E "/${m}\.ko(\.[a-z]+)?:" "$dep" | cut -d: -f1)
    [ -n "$rel" ] || { echo "initramfs-small: module $m not in $dep" >&2; exit 1; }
    want "$rel"
done
for rel in "${order[@]}"; do
    install -D -m 0644 "$root/usr/lib/modules/$kdir/$rel" "$ird/usr/lib/modules/$kdir/$rel"
    echo "/usr/lib/modules/$kdir/$rel" >>"$ird/modules.order"
done

cat >"$ird/init" <<'INIT'
#!/bin/sh
# The test image's init: modules, the root read-only from root=, then the root's init.
# Only dash's builtins and the few programs copied in (no grep, sed or cat here).
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r ko; do insmod "$ko" || echo "initramfs: insmod $ko failed"; done </modules.order
read -r cmdline </proc/cmdline
spec=""
for arg in $cmdline; do
    case $arg in root=*) spec=${arg#root=} ;; esac
done
# The block device whose partition name (from its uevent) is $1.
by_partlabel() {
    for u in /sys/class/block/*/uevent; do
        name="" part=""
        while read -r line; do
            case $line in DEVNAME=*) name=${line#DEVNAME=} ;; PARTNAME=*) part=${line#PARTNAME=} ;; esac
        done <"$u"
        if [ "$part" = "$1" ]; then echo "/dev/$name"; return; fi
    done
}
find_dev() {
    case $spec in
        PARTLABEL=*) by_partlabel "${spec#PARTLABEL=}" ;;
        LABEL=*) blkid -L "${spec#LABEL=}" 2>/dev/null ;;
        /dev/*) [ -b "$spec" ] && echo "$spec" ;;
    esac
}
n=0
dev=$(find_dev)
while [ -z "$dev" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); dev=$(find_dev); done
if [ -z "$dev" ] || ! mount -t ext4 -o ro "$dev" /root; then
    echo "initramfs: root $spec not found or not mountable; block devices:" /sys/class/block/*
    exec sh
fi
mount --move /dev /root/dev
mount --move /sys /root/sys
mount --move /proc /root/proc
exec switch_root /root /sbin/init
INIT
chmod 0755 "$ird/init"
(cd "$ird" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) |
    gzip -9 >"$out"
echo "initramfs-small: $out ($(du -k "$out" | cut -f1) KiB, kernel $kdir, ${#order[@]} modules)"
