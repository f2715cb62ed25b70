#!/usr/bin/env python3
"""Boot-time figures of test images (docs/BENCHMARKS.md "Firmware: test image boot").

usage: boot-times.py RUNS IMAGE-DIR [IMAGE-DIR ...]   (each from mkimage.sh, with disk.img)

Each run boots, for every image in turn (so images compared see the same machine load), a
fresh copy of its disk (first boot: firstboot, /data growth) and then the same disk again
(later boot). Per boot it prints QEMU start -> /healthz, the load average, and from the test
shell, once `systemctl is-system-running --wait` returns: `systemd-analyze`, the critical chain
of venuebox.service, the top of `systemd-analyze blame`, and the critical chains of data.mount
and systemd-networkd. Then median, min and max per image and kind of boot.
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boottest as bt  # noqa: E402


def boot(img, label):
    """One boot of img/disk.img; returns QEMU start -> /healthz in seconds."""
    ports = {bt.PORT_IMAGE: bt.free_port(), bt.PORT_CHANGED: bt.free_port(), bt.PORT_HTTPS: bt.free_port()}
    sock, log = f"{img}/shell.sock", f"{img}/console.log"
    for p in (sock, log):
        if os.path.exists(p):
            os.unlink(p)
    t0 = time.monotonic()
    qemu = bt.start_qemu(img, ports, sock, log)
    try:
        t = bt.wait_healthz(ports[bt.PORT_IMAGE], t0 + 300) - t0
        sh = bt.Shell(sock, time.monotonic() + 10)
        sh.sync(time.monotonic() + 60)
        sh.run("systemctl is-system-running --wait")
        out = [sh.run(cmd)[1] for cmd in (
            "systemd-analyze",
            "systemd-analyze critical-chain venuebox.service --no-pager",
            "systemd-analyze blame --no-pager | head -15",
            "systemd-analyze critical-chain data.mount systemd-networkd.service --no-pager")]
        print(f"=== {label}: QEMU start -> /healthz {t:.1f} s", *out, sep="\n", flush=True)
        sh.run("sync")
        return t
    finally:
        qemu.kill()
        qemu.wait()


def main(runs, images):
    results = {}
    for img in images:
        shutil.copy(f"{img}/disk.img", f"{img}/pristine.img")
    for i in range(runs):
        for img in images:
            subprocess.run(["cp", "--sparse=always", f"{img}/pristine.img", f"{img}/disk.img"], check=True)
        for kind in ("first", "later"):
            for img in images:
                load = os.getloadavg()[0]
                t = boot(img, f"run {i + 1} {img} {kind} boot (load {load:.1f})")
                results.setdefault((img, kind), []).append(t)
    for (img, kind), v in results.items():
        s = sorted(v)
        print(f"{img} {kind} boot, QEMU start -> /healthz: median {s[len(s) // 2]:.1f} s, "
              f"min {s[0]:.1f}, max {s[-1]:.1f} ({', '.join(f'{x:.1f}' for x in v)})")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(int(sys.argv[1]), [os.path.abspath(d) for d in sys.argv[2:]])
