#!/usr/bin/env bash
# Makes a variant of the test root image for the update test, without mounting it (debugfs):
# a different /etc/venuebox-release, and with --failing a venuebox binary that exits 1 at
# once, so its service never reports READY.
#
# usage: image/test/variant.sh <in.ext4> <out.ext4> <release-text> [--failing]
set -euo pipefail
in=$1
out=$2
release=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp --sparse=always "$in" "$out"
echo "$release" >"$work/release"
cmds=("rm /etc/venuebox-release" "write $work/release /etc/venuebox-release")
if [ "${4:-}" = --failing ]; then
    printf '#!/bin/sh\necho "venuebox: this build fails on purpose (update test)" >&2\nexit 1\n' \
        >"$work/venuebox"
    cmds+=("rm /usr/bin/venuebox" "write $work/venuebox /usr/bin/venuebox"
        "sif /usr/bin/venuebox mode 0100755")
fi
printf '%s\n' "${cmds[@]}" | debugfs -w -f - "$out" >/dev/null 2>"$work/err"
if grep -v '^debugfs ' "$work/err" | grep -q .; then cat "$work/err" >&2; exit 1; fi
e2fsck -fn "$out" >/dev/null
