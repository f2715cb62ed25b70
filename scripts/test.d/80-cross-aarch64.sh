#!/usr/bin/env bash
# The service cross-compiled for aarch64 (Pi 4/5); its unit tests run under qemu-user.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec image/test/run-cross-aarch64.sh
