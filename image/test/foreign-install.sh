#!/bin/sh
# mmdebstrap extract hook for a boot-test root of another architecture (mkimage.sh, decision
# 0307): installs every downloaded package with the root's own dpkg through
# foreign-chroot/chroot (proot + qemu-user), since apt's own chroot(2) cannot start them.
# systemd-sysusers and systemd-tmpfiles abort proot (an empty path it cannot translate), so
# they are diverted while dpkg runs (sysusers replaced by a no-op, tmpfiles missing: the
# maintainer scripts skip it) and the host's, the same bookworm systemd, apply the root's
# sysusers.d and tmpfiles.d with --root after.
# proot has failed one script's exec with EFAULT once: a second configure pass finishes such a
# spurious failure and fails again on a real one.
set -eu
root=$1
# bookworm's systemd ships them in /bin (dpkg's name for them; /bin is a link to usr/bin here).
for tool in systemd-sysusers systemd-tmpfiles; do
    chroot "$root" dpkg-divert --local --rename --divert "/bin/$tool.vb" --add "/bin/$tool"
done
printf '#!/bin/sh\n' >"$root/usr/bin/systemd-sysusers.stub"
chmod 0755 "$root/usr/bin/systemd-sysusers.stub"
ln -sf systemd-sysusers.stub "$root/usr/bin/systemd-sysusers"
chroot "$root" sh -c 'dpkg --install --force-depends /var/cache/apt/archives/*.deb ||
    dpkg --configure -a'
rm "$root/usr/bin/systemd-sysusers" "$root/usr/bin/systemd-sysusers.stub"
for tool in systemd-sysusers systemd-tmpfiles; do
    chroot "$root" dpkg-divert --local --rename --remove "/bin/$tool"
done
systemd-sysusers --root="$root"
systemd-tmpfiles --root="$root" --create >/dev/null || true
