#!/usr/bin/env bash
# Cross-compiles the workspace for aarch64 (Raspberry Pi 4/5) with rustup's target and Debian's
# gcc-aarch64-linux-gnu (no Docker), and runs every unit and integration test under qemu-user
# (the runner is set in .cargo/config.toml).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

TARGET=aarch64-unknown-linux-gnu
apt_need gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user file
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

start=$(date +%s)
cargo build --workspace --all-targets --locked --target "$TARGET"
built=$(date +%s)
cargo test --workspace --locked --target "$TARGET"
done_at=$(date +%s)

bin="target/$TARGET/debug/venuebox"
file -b "$bin" | grep -q 'ARM aarch64' || { echo "FAIL: $bin is not an aarch64 binary"; exit 1; }
echo "cross-aarch64: build $((built - start)) s, tests under qemu-user $((done_at - built)) s"
