#!/usr/bin/env bash
# Makes a signed RAUC update bundle of a root file system image: one ext4 image for the
# inactive rootfs slot, plain format (the signature covers the whole file, so a box checks it
# before it opens a slot). The signing key never enters the repository: maintainers keep it
# offline (docs/FIRMWARE.md, "Updates"); tests make a throwaway one.
#
# usage: image/mkbundle.sh <rootfs.ext4> <out.raucb> <signing-cert.pem> <signing-key.pem>
# env:   VB_COMPATIBLE (default venuebox-x86_64; rpi4/rpi5 boxes: venuebox-rpi4/-rpi5),
#        VB_VERSION (default: git describe), RAUC_KEYRING (optional: verify after signing)
set -euo pipefail
rootfs=$1
out=$2
cert=$3
key=$4
compatible=${VB_COMPATIBLE:-venuebox-x86_64}
version=${VB_VERSION:-$(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null || echo unknown)}
work=$(mktemp -d "$(dirname "$out")/.bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT

ln "$rootfs" "$work/rootfs.ext4" 2>/dev/null || cp --sparse=always "$rootfs" "$work/rootfs.ext4"
cat >"$work/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version

[bundle]
format=plain

[image.rootfs]
filename=rootfs.ext4
MANIFEST
verify=()
[ -z "${RAUC_KEYRING:-}" ] || verify=(--keyring="$RAUC_KEYRING")
rm -f "$out"
# zstd: several times faster than the default gzip to make and to unpack on the box.
rauc bundle --cert="$cert" --key="$key" "${verify[@]}" \
    --mksquashfs-args="-comp zstd -Xcompression-level 6" "$work" "$out" >/dev/null
echo "mkbundle: $out ($(($(stat -c %s "$out") >> 20)) MiB, $compatible $version)"
