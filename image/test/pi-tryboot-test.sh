#!/usr/bin/env bash
# Raspberry Pi updates without the Pi (decision 0310): the real boot partition staging
# (buildroot-config/board/common/pi-boot-fat.sh, also made into a FAT image with mkfs.vfat and
# mcopy) and the real RAUC backend (rootfs-overlay/usr/libexec/venuebox/rauc-pi-boot), driven
# with RAUC's call sequence for an install against ext4 slot images made here, and a small model
# of the Pi firmware written in this file: with the tryboot flag it reads tryboot.txt (if
# present) else config.txt, follows `include`, the last os_prefix wins, then boots
# <prefix>Image with <prefix>cmdline.txt. Checked: a trial boot of B and its commit; a trial of
# A that is never marked good (the box is back on B, A is marked bad); a slot image without
# /boot/Image (set-primary fails, nothing committed changes); a missing or torn slot.txt
# (slot A boots); garbage arguments; a cut during set-primary's copy, then A committed again.
# The system.conf files are loaded by the real rauc CLI (`rauc info`, which loads the config
# without the D-Bus service; `rauc status` and `rauc install` need the service and, for
# bundles, loop devices, so RAUC itself is not run here). Runs as root; no loop devices, no
# D-Bus. VB_PI_TEST_BUSYBOX=1 runs the backend with busybox's sh and tools, as on the box;
# VB_PI_TEST_RAUC_SERVICE=1 adds the real rauc service (private D-Bus) making the calls itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BACKEND=$ROOT/buildroot-config/rootfs-overlay/usr/libexec/venuebox/rauc-pi-boot
FATSH=$ROOT/buildroot-config/board/common/pi-boot-fat.sh
BOARD=$ROOT/buildroot-config/board/rpi4
t0=$(date +%s.%N)

w=$(mktemp -d "${TMPDIR:-/tmp}/pi-tryboot.XXXXXX")
trap 'rm -rf "$w"' EXIT
mkdir -p "$w/tmp"
FAT=$w/fat # stands in for the mounted boot partition (/boot/firmware)
export VB_PI_BOOT=$FAT VB_PI_DEV_A=$w/slot-a.img VB_PI_DEV_B=$w/slot-b.img \
    VB_PI_CMDLINE=$w/cmdline VB_PI_TRYBOOT=$w/tryboot-flag VB_PI_BOOT_ID=$w/boot_id \
    VB_PI_TMP=$w/tmp

fail() {
    echo "pi-tryboot: FAILED: $*" >&2
    exit 1
}
step() { echo "pi-tryboot: $*"; }
be() { "$BACKEND" "$@"; } # the backend, called as RAUC calls it
# VB_PI_TEST_BUSYBOX=1: the backend runs in busybox's sh with busybox's tools (as on the box;
# debugfs stays e2fsprogs').
if [ "${VB_PI_TEST_BUSYBOX:-0}" = 1 ]; then
    mkdir -p "$w/busybox"
    for a in sh sed od tr grep cat mv rm cp mkdir du df awk sync mktemp head tail cut flock; do
        if busybox --list | grep -qx "$a"; then ln -s "$(command -v busybox)" "$w/busybox/$a"; fi
    done
    be() { PATH=$w/busybox:$PATH busybox sh "$BACKEND" "$@"; }
fi
expect() {                # WHAT WANT GOT
    [ "$2" = "$3" ] || fail "$1: want '$2', got '$3'"
}

# mkroot NAME VERSION [no-image|no-dtb]: a slot's root file system image whose /boot holds
# stand-in boot files that name VERSION.
mkroot() {
    local d=$w/root-$1
    mkdir -p "$d/boot/overlays" "$d/boot/firmware" "$d/etc"
    [ "${3:-}" = no-image ] || echo "kernel $2" >"$d/boot/Image"
    if [ "${3:-}" != no-dtb ]; then
        echo "dtb $2" >"$d/boot/bcm2711-rpi-4-b.dtb"
        echo "dtb $2" >"$d/boot/bcm2711-rpi-400.dtb"
    fi
    echo "overlay $2" >"$d/boot/overlays/miniuart-bt.dtbo"
    echo "VERSION_ID=$2" >"$d/etc/os-release"
    mkfs.ext4 -q -F -L rootfs -d "$d" "$w/$1.ext4" 8M >/dev/null
}

# fw_boot [tryboot]: the firmware model. Sets the kernel's view (cmdline, tryboot flag, a new
# boot id) and BOOTED (rauc.slot) and KERNEL (the Image's content).
fw_boot() {
    local flag=0 cfg=config.txt prefix="" kernel=Image
    if [ "${1:-}" = tryboot ]; then
        flag=1
        [ -f "$FAT/tryboot.txt" ] && cfg=tryboot.txt
    fi
    parse() {
        local line
        [ -f "$FAT/$1" ] || return 0
        while IFS= read -r line || [ -n "$line" ]; do
            line=${line%%#*}
            line=${line%"${line##*[![:space:]]}"}
            case $line in
            include\ *) parse "${line#include }" ;;
            os_prefix=*) prefix=${line#os_prefix=} ;;
            kernel=*) kernel=${line#kernel=} ;;
            esac
        done <"$FAT/$1"
    }
    parse "$cfg"
    [ -f "$FAT/$prefix$kernel" ] || fail "firmware: no kernel $prefix$kernel (config $cfg)"
    [ -f "$FAT/${prefix}cmdline.txt" ] || fail "firmware: no ${prefix}cmdline.txt"
    [ -f "$FAT/${prefix}bcm2711-rpi-4-b.dtb" ] || fail "firmware: no ${prefix}bcm2711-rpi-4-b.dtb"
    [ -f "$FAT/${prefix}overlays/miniuart-bt.dtbo" ] || fail "firmware: no ${prefix}overlays/miniuart-bt.dtbo"
    cp "$FAT/${prefix}cmdline.txt" "$VB_PI_CMDLINE"
    if [ $flag = 1 ]; then printf '\000\000\000\001'; else printf '\000\000\000\000'; fi >"$VB_PI_TRYBOOT"
    cat /proc/sys/kernel/random/uuid >"$VB_PI_BOOT_ID"
    BOOTED=$(sed -n 's/.*rauc\.slot=\([^ ]*\).*/\1/p' "$VB_PI_CMDLINE")
    KERNEL=$(cat "$FAT/$prefix$kernel")
    local want_root
    [ "$BOOTED" = A ] && want_root=5e1ec7ed-02 || want_root=5e1ec7ed-03
    grep -q "root=PARTUUID=$want_root " "$VB_PI_CMDLINE" ||
        fail "slot $BOOTED's cmdline.txt does not boot its root: $(cat "$VB_PI_CMDLINE")"
    [ "$(cat "$FAT/${prefix}bcm2711-rpi-4-b.dtb")" = "dtb ${KERNEL#kernel }" ] ||
        fail "slot $BOOTED: device tree and kernel from different versions"
    step "boot${1:+ ($1)}: $cfg -> slot $BOOTED, $KERNEL"
}
expect_boot() { # [tryboot] SLOT KERNEL
    local mode=""
    if [ "$1" = tryboot ]; then mode=tryboot; shift; fi
    fw_boot $mode
    expect "boot ${mode:-normal}: slot" "$1" "$BOOTED"
    expect "boot ${mode:-normal}: kernel" "$2" "$KERNEL"
    expect "get-current" "$1" "$(be get-current)"
}
# rauc_install SLOT IMAGE: what `rauc install` does with the boot-loader backend.
rauc_install() {
    be set-state "$1" bad
    local dev
    [ "$1" = A ] && dev=$VB_PI_DEV_A || dev=$VB_PI_DEV_B
    dd if="$2" of="$dev" bs=1M conv=notrunc status=none
    be get-primary >/dev/null
    be set-primary "$1"
}
mark_good() { be set-state "$(be get-current)" good; } # rauc status mark-good booted
fat_sum() { (cd "$FAT" && find . -type f ! -name slots.txt | sort | xargs sha256sum); }
states() { echo "$(be get-state A) $(be get-state B)"; }

# The system.conf files load in the real rauc (paths that would touch this machine rewritten).
if command -v rauc >/dev/null; then
    for b in rpi4 rpi5; do
        sed -e "s|^path=.*|path=$w/keyring.pem|" -e "s|^data-directory=.*|data-directory=$w/rauc-data|" \
            "$ROOT/buildroot-config/board/$b/rauc-system.conf" >"$w/system-$b.conf"
        out=$(rauc --conf="$w/system-$b.conf" info "$w/none.raucb" 2>&1 || true)
        echo "$out" | grep -q "No such file" || fail "rauc does not load board/$b/rauc-system.conf: $out"
        grep -qx "compatible=venuebox-$b" "$w/system-$b.conf" || fail "$b: compatible"
    done
    step "rauc $(rauc --version | cut -d' ' -f2) loads both boards' system.conf"
else
    fail "rauc is not installed"
fi

# The image: the real staging script, slot A = v1, slot B empty.
mkroot v1 v1
mkroot v2 v2
mkroot v3 v3
mkroot broken v4 no-image
mkroot nodtb v5 no-dtb
mkdir -p "$w/firmware"
echo start4 >"$w/firmware/start4.elf"
echo fixup4 >"$w/firmware/fixup4.dat"
echo "not for the FAT" >"$w/firmware/config.txt"
img_arg=()
if command -v mkfs.vfat >/dev/null && command -v mcopy >/dev/null; then img_arg=("$w/boot.vfat"); fi
VB_BOOT_FAT_MIB=64 "$FATSH" "$BOARD" "$w/firmware" "$w/root-v1/boot" "$FAT" "${img_arg[@]}"
if [ ${#img_arg[@]} -eq 1 ]; then
    listing=$(MTOOLS_SKIP_CHECK=1 mdir -/ -b -i "$w/boot.vfat" ::/)
    for f in ::/config.txt ::/slot.txt ::/slots.txt ::/start4.elf ::/a/Image ::/a/cmdline.txt \
        ::/a/bcm2711-rpi-4-b.dtb ::/a/overlays/miniuart-bt.dtbo; do
        echo "$listing" | grep -qx "$f" || fail "boot.vfat lacks $f: $listing"
    done
    MTOOLS_SKIP_CHECK=1 mtype -i "$w/boot.vfat" ::/config.txt | cmp -s - "$FAT/config.txt" ||
        fail "boot.vfat's config.txt differs from the staged one"
    [ "$(blkid -o value -s LABEL "$w/boot.vfat" 2>/dev/null || echo VB-BOOT)" = VB-BOOT ] || fail "boot.vfat label"
    step "boot.vfat made (mkfs.vfat + mcopy) with the staged files"
fi
[ ! -e "$FAT/cmdline.txt" ] || fail "cmdline.txt at the FAT's root"
grep -qx 'start_file=start4.elf' "$FAT/config.txt" || fail "config.txt lacks the board's settings"
[ "$(tail -n 2 "$FAT/config.txt")" = "$(printf 'os_prefix=a/\ninclude slot.txt')" ] ||
    fail "config.txt must end with os_prefix=a/ and include slot.txt"
grep -q 'root=PARTUUID=5e1ec7ed-02 .*rauc.slot=A$' "$FAT/a/cmdline.txt" || fail "a/cmdline.txt: $(cat "$FAT/a/cmdline.txt")"
cp "$w/v1.ext4" "$VB_PI_DEV_A"
truncate -s 8M "$VB_PI_DEV_B"

step "fresh image"
expect_boot A "kernel v1"
expect "fresh get-primary" A "$(be get-primary)"
expect "fresh states" "good bad" "$(states)"
mark_good
expect "after mark-good" "good bad" "$(states)"

step "(1) install v2 into B, trial boot, mark-good commits"
committed_before=$(cd "$FAT" && sha256sum config.txt slot.txt a/Image a/cmdline.txt)
rauc_install B "$w/v2.ext4"
expect "get-primary after install" B "$(be get-primary)"
be set-primary A # rauc status mark-active A: no trial
[ ! -e "$FAT/tryboot.txt" ] || fail "set-primary of the committed slot left the trial armed"
expect "get-primary after mark-active A" A "$(be get-primary)"
rauc_install B "$w/v2.ext4"
be set-state B bad # the start of another install into B disarms the trial
[ ! -e "$FAT/tryboot.txt" ] || fail "set-state B bad left B's trial armed"
expect "get-primary after set-state B bad" A "$(be get-primary)"
rauc_install B "$w/v2.ext4"
expect "get-primary after install" B "$(be get-primary)"
expect "states after install" "good good" "$(states)"
expect "b/Image" "kernel v2" "$(cat "$FAT/b/Image")"
expect "b/ overlay" "overlay v2" "$(cat "$FAT/b/overlays/miniuart-bt.dtbo")"
grep -q '^root=PARTUUID=5e1ec7ed-03 .* rauc.slot=B$' "$FAT/b/cmdline.txt" || fail "b/cmdline.txt: $(cat "$FAT/b/cmdline.txt")"
expect "committed slot's files after install" "$committed_before" "$(cd "$FAT" && sha256sum config.txt slot.txt a/Image a/cmdline.txt)"
grep -qx 'start_file=start4.elf' "$FAT/tryboot.txt" || fail "tryboot.txt lacks the board's settings"
[ ! -e "$FAT/b.new" ] || fail "b.new left behind"
mark_good # mark-good run again before the reboot: the trial stays armed
expect "get-primary after a second mark-good in the same boot" B "$(be get-primary)"
expect_boot tryboot B "kernel v2"
if be set-state A bad 2>"$w/err"; then fail "set-state A bad during B's trial must fail"; fi
grep -q "committed" "$w/err" || fail "set-state A bad during the trial: $(cat "$w/err")"
expect "states during the trial" "good good" "$(states)"
mark_good
expect "slot.txt after commit" "os_prefix=b/" "$(cat "$FAT/slot.txt")"
[ ! -e "$FAT/tryboot.txt" ] || fail "tryboot.txt left after the commit"
expect "get-primary after commit" B "$(be get-primary)"
expect_boot B "kernel v2"
mark_good
expect "states after B committed" "good good" "$(states)"
expect_boot tryboot B "kernel v2" # a tryboot with no trial armed is a normal boot

step "(2) install v3 into A, its trial is never marked good: back to B"
rauc_install A "$w/v3.ext4"
expect "get-primary after install into A" A "$(be get-primary)"
expect_boot tryboot A "kernel v3"
# No mark-good: the watchdog or mark-good's own reboot resets the box.
expect_boot B "kernel v2"
expect "get-primary back in B before mark-good" A "$(be get-primary)"
mark_good
expect "states after the failed trial" "bad good" "$(states)"
expect "get-primary after the failed trial" B "$(be get-primary)"
[ ! -e "$FAT/tryboot.txt" ] || fail "the failed trial is still armed"
expect_boot B "kernel v2"
expect_boot tryboot B "kernel v2"
mark_good
expect "states, later boots" "bad good" "$(states)"

step "(3) a slot image without /boot/Image: set-primary fails, nothing committed changes"
before=$(fat_sum)
if rauc_install A "$w/broken.ext4" 2>"$w/err"; then fail "install of a root without /boot/Image succeeded"; fi
grep -q "no /boot/Image" "$w/err" || fail "set-primary's error: $(cat "$w/err")"
expect "FAT after the failed set-primary" "$before" "$(fat_sum)"
expect "get-primary after the failed set-primary" B "$(be get-primary)"
expect "states after the failed set-primary" "bad good" "$(states)"
if rauc_install A "$w/nodtb.ext4" 2>"$w/err"; then fail "install of a root without device trees succeeded"; fi
grep -q "no device trees" "$w/err" || fail "set-primary's error: $(cat "$w/err")"
expect "FAT after the failed set-primary (no dtb)" "$before" "$(fat_sum)"
head -c 1M /dev/urandom >"$w/garbage.img"
if rauc_install A "$w/garbage.img" 2>"$w/err"; then fail "install of a non-ext4 slot succeeded"; fi
expect "FAT after set-primary of garbage" "$before" "$(fat_sum)"
expect_boot B "kernel v2"
expect_boot tryboot B "kernel v2"
rm -f "$VB_PI_DEV_A"
if be set-primary A 2>"$w/err"; then fail "set-primary with no slot device succeeded"; fi
expect "FAT after set-primary without a device" "$before" "$(fat_sum)"
cp "$w/v3.ext4" "$VB_PI_DEV_A"

step "(4) a missing or torn slot.txt boots slot A"
cp "$FAT/slot.txt" "$w/slot.txt.saved"
for torn in missing "" "os_pre" "garbage"; do
    if [ "$torn" = missing ]; then rm -f "$FAT/slot.txt"; else printf '%s' "$torn" >"$FAT/slot.txt"; fi
    fw_boot
    expect "slot.txt '$torn': booted" A "$BOOTED"
    expect "slot.txt '$torn': get-primary" A "$(be get-primary)"
done
cp "$w/slot.txt.saved" "$FAT/slot.txt"
expect_boot B "kernel v2"

step "(5) garbage arguments"
before=$(fat_sum)
for args in "" "frobnicate" "set-primary C" "set-primary" "set-state A maybe" "set-state A" \
    "get-state" "get-state a" "set-primary A B" "get-primary extra"; do
    # shellcheck disable=SC2086 # the words are the arguments
    if be $args 2>"$w/err" >/dev/null; then fail "'$args' succeeded"; fi
    grep -q '^usage: rauc-pi-boot' "$w/err" || fail "'$args': no usage message: $(cat "$w/err")"
done
expect "FAT after garbage arguments" "$before" "$(fat_sum)"
expect "states after garbage arguments" "bad good" "$(states)"
VB_PI_BOOT=$w/nothing-here be get-primary 2>"$w/err" && fail "get-primary without the boot partition succeeded"
grep -q "mounted" "$w/err" || fail "no boot partition: $(cat "$w/err")"

step "(6) after a cut during a copy (a.new/ half written, a/ gone): B boots, the next install of A works"
rm -rf "$FAT/a"
mkdir -p "$FAT/a.new/overlays"
echo "half a kern" >"$FAT/a.new/Image"
expect_boot B "kernel v2"
expect_boot tryboot B "kernel v2"
rauc_install A "$w/v3.ext4"
[ ! -e "$FAT/a.new" ] || fail "a.new left behind"
expect_boot tryboot A "kernel v3"
mark_good
expect "slot.txt after A committed" "os_prefix=a/" "$(cat "$FAT/slot.txt")"
expect "states after A committed" "good good" "$(states)"
expect_boot A "kernel v3"

# VB_PI_TEST_RAUC_SERVICE=1: the real RAUC service (on a private D-Bus system bus, booted slot
# given with --override-boot-slot) makes the calls itself: mark-good, mark-active other (the
# backend copies slot B's files and arms the trial), mark-good in the trial commits it. Opt-in:
# it needs dbus-daemon, which CI's run of this test does without.
if [ "${VB_PI_TEST_RAUC_SERVICE:-0}" = 1 ]; then
    step "(7) the real rauc service drives the backend"
    VB_BOOT_FAT_MIB=64 "$FATSH" "$BOARD" "$w/firmware" "$w/root-v1/boot" "$FAT" >/dev/null
    cp "$w/v1.ext4" "$VB_PI_DEV_A"
    cp "$w/v2.ext4" "$VB_PI_DEV_B" # as if rauc had written it
    sed -e "s|^device=.*-02\$|device=$VB_PI_DEV_A|" -e "s|^device=.*-03\$|device=$VB_PI_DEV_B|" \
        -e "s|^bootloader-custom-backend=.*|bootloader-custom-backend=$BACKEND|" "$w/system-rpi4.conf" >"$w/system.conf"
    cat >"$w/dbus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$w/bus</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/>
<allow receive_sender="*"/></policy></busconfig>
CONF
    dbus-daemon --config-file="$w/dbus.conf" --nofork --nopidfile >"$w/dbus.log" 2>&1 &
    dbus=$!
    trap 'kill $dbus 2>/dev/null || true; rm -rf "$w"' EXIT
    for _ in $(seq 50); do [ -S "$w/bus" ] && break; sleep 0.1; done
    export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$w/bus
    rauc_service() { # BOOTED COMMAND...: runs rauc status COMMAND... against a service booted in BOOTED
        rauc service --conf="$w/system.conf" --override-boot-slot="$1" >>"$w/service.log" 2>&1 &
        local svc=$! out
        shift
        for _ in $(seq 50); do rauc --conf="$w/system.conf" status >/dev/null 2>&1 && break; sleep 0.1; done
        out=$(rauc --conf="$w/system.conf" status "$@" 2>&1) || { kill $svc; cat "$w/service.log" >&2; fail "rauc status $*: $out"; }
        kill $svc
        wait $svc 2>/dev/null || true
        echo "$out"
    }
    expect_boot A "kernel v1"
    rauc_service A mark-good booted >/dev/null
    rauc_service A mark-active other >/dev/null
    expect "rauc: b/Image" "kernel v2" "$(cat "$FAT/b/Image")"
    out=$(rauc_service A)
    echo "$out" | grep -q 'Activated: rootfs.1 (B)' || fail "rauc does not report B activated: $out"
    expect_boot tryboot B "kernel v2"
    rauc_service B mark-good booted >/dev/null
    expect "rauc: slot.txt after mark-good" "os_prefix=b/" "$(cat "$FAT/slot.txt")"
    expect_boot B "kernel v2"
    kill $dbus
fi

step "passed in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
