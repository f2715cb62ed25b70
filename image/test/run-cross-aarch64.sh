#!/usr/bin/env bash
# Cross-compiles the service for aarch64 (Raspberry Pi 4/5) with rustup's target and Debian's
# gcc-aarch64-linux-gnu (no Docker) and runs the workspace's unit tests (every crate's lib and
# bin tests) under qemu-user; the runner is set in .cargo/config.toml. CI runs this through
# scripts/test.d/80-cross-aarch64.sh. CROSS_TESTS=all also runs the integration tests (they
# start the host's ffmpeg, avahi and friends from an emulated process: slow, by hand).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

TARGET=aarch64-unknown-linux-gnu
apt_need gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user file
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

start=$(date +%s)
PROFILE=${CROSS_PROFILE:-cross-test} # Cargo.toml: dev without debug info
cargo build --locked --target "$TARGET" --profile "$PROFILE" -p venuebox --bin venuebox
bin="target/$TARGET/$PROFILE/venuebox"
file -b "$bin" | grep -q 'ARM aarch64' || { echo "FAIL: $bin is not an aarch64 binary"; exit 1; }
qemu-aarch64 -L /usr/aarch64-linux-gnu "$bin" --version  # the same runner as .cargo/config.toml
built=$(date +%s)
if [ "${CROSS_TESTS:-unit}" = all ]; then
  cargo test --workspace --locked --target "$TARGET" --profile "$PROFILE"
else
  cargo test --workspace --locked --target "$TARGET" --profile "$PROFILE" --lib --bins
fi
done_at=$(date +%s)
echo "cross-aarch64: build $((built - start)) s, tests under qemu-user $((done_at - built)) s"
