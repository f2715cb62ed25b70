#!/bin/sh
# mmdebstrap extract hook for a boot-test root of another architecture (mkimage.sh, decision
# 0307): installs every downloaded package with the root's own dpkg through
# foreign-chroot/chroot (proot + qemu-user), since apt's own chroot(2) cannot start them.
# systemd-tmpfiles aborts proot (an empty path it cannot translate), so it is diverted while
# dpkg runs (the maintainer scripts skip it when it is missing) and the host's
# systemd-tmpfiles, the same bookworm release, applies the root's tmpfiles.d with --root after.
# proot has failed one script's exec with EFAULT once: a second configure pass finishes such a
# spurious failure and fails again on a real one.
set -eu
root=$1
tmpfiles=/usr/bin/systemd-tmpfiles
chroot "$root" dpkg-divert --local --rename --divert "$tmpfiles.vb" --add "$tmpfiles"
chroot "$root" sh -c 'dpkg --install --force-depends /var/cache/apt/archives/*.deb ||
    dpkg --configure -a'
chroot "$root" dpkg-divert --local --rename --remove "$tmpfiles"
systemd-tmpfiles --root="$root" --create >/dev/null || true
