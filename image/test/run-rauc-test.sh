#!/usr/bin/env bash
# Update test of the firmware (RAUC, GRUB, OVMF in QEMU/TCG): builds the test image with GRUB
# on its EFI partition and RAUC in its root (mkimage.sh with BOOTLOADER=grub), a throwaway
# signing CA made here with openssl (no key is ever committed), and bundles of the same root:
# a good one (another /etc/venuebox-release), one whose service never becomes ready, one
# unsigned, one signed by a key the box does not trust, one tampered after signing. Then
# image/test/rauctest.py boots and updates the box (its docstring lists the checks).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=image/test/apt-backports.sh
. image/test/apt-backports.sh

apt_need mmdebstrap e2fsprogs fdisk binutils python3 openssl rauc squashfs-tools ovmf \
    grub-efi-amd64-bin grub-common mtools
apt_need_backports qemu-system-x86

t0=$(date +%s)
bin=${VB_BIN:-target/debug/venuebox} # VB_BIN: a venuebox binary built already (no cargo build)
[ -n "${VB_BIN:-}" ] || cargo build --locked -p venuebox --bin venuebox
t_build=$(date +%s)

out=${IMAGE_WORK:-image/work}/rauctest
keys=$out/keys
bundles=$out/bundles
rm -rf "$keys" "$bundles"
mkdir -p "$keys" "$bundles"

# Throwaway keys: a CA (the box's keyring), a signing key it certified, and a stranger's key.
openssl req -x509 -newkey rsa:3072 -nodes -days 60 -subj "/CN=VenueBox update test CA" \
    -keyout "$keys/ca.key" -out "$keys/ca.pem" 2>/dev/null
openssl req -newkey rsa:3072 -nodes -subj "/CN=VenueBox update test signer" \
    -keyout "$keys/signer.key" -out "$keys/signer.csr" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n' >"$keys/signer.ext"
openssl x509 -req -in "$keys/signer.csr" -CA "$keys/ca.pem" -CAkey "$keys/ca.key" \
    -CAcreateserial -days 60 -extfile "$keys/signer.ext" -out "$keys/signer.pem" 2>/dev/null
openssl req -x509 -newkey rsa:3072 -nodes -days 60 -subj "/CN=Not the VenueBox CA" \
    -keyout "$keys/stranger.key" -out "$keys/stranger.pem" 2>/dev/null

RAUC_KEYRING=$keys/ca.pem BOOTLOADER=grub VB_RELEASE="venuebox test A" \
    image/test/mkimage.sh "$bin" "$out"
t_image=$(date +%s)

# Bundles of the same root image (slot A's), changed only where the test needs it.
image/test/variant.sh "$out/rootfs-a.ext4" "$out/good.ext4" "venuebox test B"
image/test/variant.sh "$out/rootfs-a.ext4" "$out/failing.ext4" "venuebox failing" --failing
export RAUC_KEYRING=$keys/ca.pem VB_VERSION=test
image/mkbundle.sh "$out/good.ext4" "$bundles/good.raucb" "$keys/signer.pem" "$keys/signer.key"
image/mkbundle.sh "$out/failing.ext4" "$bundles/failing.raucb" "$keys/signer.pem" "$keys/signer.key"
# The stranger's bundle is refused for its signer alone: a small root image will do.
mkfs.ext4 -q -L rootfs "$out/small.ext4" 8M
RAUC_KEYRING= image/mkbundle.sh "$out/small.ext4" "$bundles/untrusted.raucb" \
    "$keys/stranger.pem" "$keys/stranger.key"
python3 image/test/tamper.py "$bundles/good.raucb" "$bundles/tampered.raucb"
python3 image/test/tamper.py --strip-signature "$bundles/good.raucb" "$bundles/unsigned.raucb"
cp "$bundles/untrusted.raucb" "$out/upload.raucb" # the staff-page upload (small: refused)
rm -f "$out/good.ext4" "$out/failing.ext4" "$out/small.ext4" "$out/rootfs-a.ext4"
bundle_mb=$(( $(du -sm "$bundles" | cut -f1) + 64 ))
rm -f "$out/bundles.img"
mkfs.ext4 -q -L vb-bundles -d "$bundles" "$out/bundles.img" "${bundle_mb}M"
rm -rf "$bundles"
t_bundles=$(date +%s)

python3 image/test/rauctest.py "$out"
t_test=$(date +%s)
echo "image-update: cargo build $((t_build - t0)) s, image $((t_image - t_build)) s," \
    "bundles $((t_bundles - t_image)) s, boots + updates $((t_test - t_bundles)) s"
rm -f "$out/disk.img" "$out/bundles.img" "$out/upload.raucb"
