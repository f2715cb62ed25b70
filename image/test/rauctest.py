#!/usr/bin/env python3
"""Updates the VenueBox test image with RAUC in QEMU (TCG, OVMF, GRUB) and checks it.

  boot 1 (slot A): GRUB started slot A, the service came up and venuebox-mark-good marked A
          good; a file and the staff password on /data are noted; an unsigned bundle, one
          signed by a key the box does not trust and a tampered one are each refused by
          `venuebox update` with rauc's reason, a foreign-signed bundle uploaded on the staff
          page (HTTPS, staff password) is refused by the box's installer unit, and slot B's
          partition is byte for byte what it was; the good bundle installs into B and RAUC makes B GRUB's first choice.
  boot 2 (slot B): the box runs B's root (its /etc/venuebox-release), mark-good marked B
          good, /data kept the file and the staff password (which still logs in over HTTPS);
          the failing bundle (its service exits at once) installs into A.
  boot 3 (slot A, failing): the test only waits. The service never reports READY, the box
          reboots by itself, and GRUB skips A because its try was not marked good.
  boot 4 (slot B): B runs again, A is recorded as tried and not good, /data is intact.

usage: rauctest.py <image-dir>  (disk.img and bundles.img from image/test/run-rauc-test.sh)
"""

import base64
import http.client
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import boottest  # noqa: E402  (the command channel and HTTP helpers of the boot test)
from boottest import CheckFailed, Shell, check, free_port, http_get, https_get  # noqa: E402

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"
BOOT_TIMEOUT_S = 420
INSTALL_TIMEOUT_S = 1200
FALLBACK_TIMEOUT_S = 900
PORT_HTTP = 80
PORT_HTTPS = 443
GRUBENV = "/boot/efi/EFI/BOOT/grubenv"


def start_qemu(img, ports, sock_path, console_log):
    """QEMU (TCG) with OVMF: the firmware boots GRUB from the disk's EFI partition."""
    shutil.copyfile(OVMF_VARS, f"{img}/ovmf-vars.fd")
    fwd = ",".join(f"hostfwd=tcp:127.0.0.1:{h}-:{g}" for g, h in ports.items())
    args = [
        "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg",
        "-smp", "1", "-m", "1024", "-nodefaults", "-no-user-config", "-display", "none",
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
        "-drive", f"if=pflash,format=raw,unit=1,file={img}/ovmf-vars.fd",
        "-drive", f"id=disk,if=none,file={img}/disk.img,format=raw,cache=unsafe",
        "-device", "virtio-blk-pci,drive=disk,bootindex=0",
        "-drive", f"id=bundles,if=none,file={img}/bundles.img,format=raw,readonly=on",
        "-device", "virtio-blk-pci,drive=bundles",
        "-netdev", f"user,id=n0,{fwd}", "-device", "virtio-net-pci,netdev=n0,romfile=",
        "-device", "virtio-rng-pci", "-device", "i6300esb", "-action", "watchdog=reset",
        "-serial", f"file:{console_log}",
        "-chardev", f"socket,id=shell,path={sock_path},server=on,wait=off",
        "-serial", "chardev:shell",
    ]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL)


def wait_down(port, deadline):
    """Waits until the service stops answering (the old boot is going down)."""
    while time.monotonic() < deadline:
        if http_get(port, "/healthz", timeout=1.0) is None:
            return
        time.sleep(0.5)
    raise CheckFailed("the box did not go down for its reboot")


def grubenv(sh):
    """GRUB's environment block as RAUC left it."""
    rc, out = sh.run(f"grub-editenv {GRUBENV} list")
    check(rc == 0, "grubenv on the EFI partition is readable")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def rauc_status(sh):
    """`rauc status` as JSON: (booted slot's bootname, {bootname: boot status})."""
    rc, out = sh.run("rauc status --detailed --output-format=json 2>/dev/null")
    check(rc == 0, "rauc status answers")
    doc = json.loads(out)
    slots = {}
    for entry in doc["slots"]:
        for _, slot in entry.items():
            if slot.get("bootname"):
                slots[slot["bootname"]] = slot.get("boot_status")
    return doc.get("booted"), slots


def wait_marked_good(sh, slot):
    """Waits for venuebox-mark-good.service, then checks RAUC and GRUB agree the slot is good."""
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    state = ""
    while time.monotonic() < deadline:
        _, state = sh.run("systemctl show -p ActiveState -p Result venuebox-mark-good.service")
        props = dict(line.split("=", 1) for line in state.splitlines() if "=" in line)
        if props.get("ActiveState") in ("active", "failed"):
            break
        time.sleep(2)
    check(props.get("ActiveState") == "active" and props.get("Result") == "success",
          f"venuebox-mark-good finished ({props})")
    booted, slots = rauc_status(sh)
    check(booted == slot and slots.get(slot) == "good", f"rauc: booted {booted}, slot {slot} good ({slots})")
    env = grubenv(sh)
    check(env.get(f"{slot}_OK") == "1" and env.get(f"{slot}_TRY") == "0",
          f"grubenv: {slot}_OK=1 {slot}_TRY=0 ({env})")


def release(sh):
    """The running root's /etc/venuebox-release."""
    return sh.run("cat /etc/venuebox-release")[1]


def update(sh, bundle):
    """`venuebox update` on the console (in the background: writing a slot takes minutes
    under TCG); returns (exit status, output)."""
    sh.run(f"rm -f /run/vb-update.*; (venuebox update {bundle} >/run/vb-update.log 2>&1; "
           "echo $? >/run/vb-update.rc) </dev/null >/dev/null 2>&1 &")
    deadline = time.monotonic() + INSTALL_TIMEOUT_S
    while time.monotonic() < deadline:
        rc, code = sh.run("cat /run/vb-update.rc 2>/dev/null")
        if rc == 0 and code:
            return int(code), sh.run("cat /run/vb-update.log")[1]
        time.sleep(3)
    raise CheckFailed(f"venuebox update {bundle} did not finish")


def slot_hash(sh, slot):
    """SHA-256 of a root slot's whole partition."""
    rc, out = sh.run(f"sha256sum /dev/disk/by-partlabel/rootfs-{slot.lower()} | cut -d' ' -f1")
    check(rc == 0 and len(out) == 64, f"hashed slot {slot}'s partition")
    return out


def reboot(sh, port):
    """Asks the box to reboot and waits for the next boot's /healthz and command channel."""
    _, boot_id = sh.run("cat /proc/sys/kernel/random/boot_id")
    sh.send("systemctl reboot")
    wait_down(port, time.monotonic() + 120)
    return boot_id


def next_boot(sh, port, old_boot_id, timeout):
    """Waits for a boot after `old_boot_id` to answer; returns seconds waited."""
    t0 = time.monotonic()
    boottest.wait_healthz(port, t0 + timeout)
    sh.sync(time.monotonic() + 120)
    _, boot_id = sh.run("cat /proc/sys/kernel/random/boot_id")
    check(boot_id != old_boot_id, "the box rebooted (new boot id)")
    return time.monotonic() - t0


def mount_bundles(sh):
    """The test's second disk (bundles made on the host), read-only."""
    rc, out = sh.run("mkdir -p /run/bundles && mount -o ro LABEL=vb-bundles /run/bundles && ls /run/bundles")
    check(rc == 0, f"bundle disk mounted ({out.split()})")


def staff_login(ports, pw):
    """The staff password logs in over HTTPS."""
    auth = "Basic " + base64.b64encode(f"staff:{pw}".encode()).decode()
    status = https_get(ports[PORT_HTTPS], "/admin/data.json", headers={"Authorization": auth})[0]
    check(status == 200, f"the staff password logs in over HTTPS ({status})")


def staff_upload(img, ports, pw):
    """Uploads a bundle on the staff page (HTTPS, staff password); the box's root unit hands it
    to `venuebox update`; returns the install's status text once it has a result."""
    auth = "Basic " + base64.b64encode(f"staff:{pw}".encode()).decode()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", ports[PORT_HTTPS], timeout=120, context=ctx)
    with open(f"{img}/upload.raucb", "rb") as f:
        conn.request("POST", "/admin/update", body=f, headers={
            "Authorization": auth, "Content-Length": str(os.path.getsize(f.name))})
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
    conn.close()
    check(resp.status == 202, f"the staff page took the upload ({resp.status}: {text.strip()})")
    deadline = time.monotonic() + INSTALL_TIMEOUT_S
    while time.monotonic() < deadline:
        status, _, body, _ = https_get(ports[PORT_HTTPS], "/admin/update", headers={"Authorization": auth})
        if status == 200 and b"result:" in body:
            return body.decode(errors="replace")
        time.sleep(2)
    raise CheckFailed("the uploaded bundle's install reported no result")


def boot_a(sh, ports, img):
    """Boot 1: slot A good; refused bundles leave B untouched; the good bundle goes into B."""
    check(release(sh) == "venuebox test A", "slot A's root is running")
    wait_marked_good(sh, "A")
    token = secrets.token_hex(16)
    rc, _ = sh.run(f"echo {token} > /data/update-test && sync")
    check(rc == 0, "wrote a file on /data")
    _, pw = sh.run("cat /data/secrets/admin-password")
    staff_login(ports, pw)
    mount_bundles(sh)
    before = slot_hash(sh, "B")
    for name in ("unsigned", "untrusted", "tampered"):
        rc, out = update(sh, f"/run/bundles/{name}.raucb")
        reason = [line for line in out.splitlines() if line.startswith("result: failed")]
        check(rc != 0 and reason, f"the {name} bundle is refused: {reason[:1]}")
    status = staff_upload(img, ports, pw)
    check("result: failed" in status,
          f"the box's installer refused the uploaded foreign-signed bundle: {status.splitlines()[-1:]}")
    _, left = sh.run("ls /data/update")
    check("bundle.raucb" not in left.split(), f"the refused upload was removed ({left.split()})")
    check(slot_hash(sh, "B") == before, "slot B's partition is unchanged after the refusals")
    t0 = time.monotonic()
    rc, out = update(sh, "/run/bundles/good.raucb")
    check(rc == 0, f"the good bundle installs ({time.monotonic() - t0:.0f} s): {out.splitlines()[-1:]}")
    env = grubenv(sh)
    check(env.get("ORDER") == "B A" and env.get("B_OK") == "1" and env.get("B_TRY") == "0",
          f"GRUB starts B next ({env})")
    return token, pw


def boot_b(sh, ports, token, pw):
    """Boot 2: B runs, is marked good, /data intact; the failing bundle goes into A."""
    check(release(sh) == "venuebox test B", "slot B's root is running (the bundle's release)")
    wait_marked_good(sh, "B")
    check(sh.run("cat /data/update-test")[1] == token, "/data kept the file written before the update")
    check(sh.run("cat /data/secrets/admin-password")[1] == pw, "the staff password is unchanged")
    staff_login(ports, pw)
    mount_bundles(sh)
    rc, out = update(sh, "/run/bundles/failing.raucb")
    check(rc == 0, f"the failing bundle installs into A: {out.splitlines()[-1:]}")
    check(grubenv(sh).get("ORDER") == "A B", "GRUB starts A next")


def after_fallback(sh, token):
    """Boot 4: back on B by itself; A was tried and never marked good."""
    check(release(sh) == "venuebox test B", "the box is back on slot B's root")
    wait_marked_good(sh, "B")
    env = grubenv(sh)
    check(env.get("A_TRY") == "1", f"GRUB tried slot A once and it was not marked good ({env})")
    booted, slots = rauc_status(sh)
    check(booted == "B" and slots.get("A") == "bad", f"rauc: booted {booted}, A bad ({slots})")
    check(sh.run("cat /data/update-test")[1] == token, "/data kept the file through the fallback")


def grub_choices(console_log):
    """The slots GRUB chose, in order, from its line on the console."""
    with open(console_log, errors="replace") as f:
        return re.findall(r"VenueBox: ORDER=[^\n]*?: slot ([AB])", f.read())


def run(img, ports, sock_path, console_log):
    t0 = time.monotonic()
    t_health = boottest.wait_healthz(ports[PORT_HTTP], t0 + BOOT_TIMEOUT_S)
    print(f"boot 1: QEMU start (OVMF, GRUB) -> /healthz: {t_health - t0:.1f} s", flush=True)
    sh = Shell(sock_path, time.monotonic() + 10)
    sh.sync(time.monotonic() + 60)
    token, pw = boot_a(sh, ports, img)
    old = reboot(sh, ports[PORT_HTTP])
    print(f"boot 2: reboot -> /healthz: {next_boot(sh, ports[PORT_HTTP], old, BOOT_TIMEOUT_S):.1f} s")
    boot_b(sh, ports, token, pw)
    old = reboot(sh, ports[PORT_HTTP])
    waited = next_boot(sh, ports[PORT_HTTP], old, FALLBACK_TIMEOUT_S)
    print(f"boots 3+4: reboot into the failing slot -> back on B, /healthz: {waited:.1f} s")
    after_fallback(sh, token)
    choices = grub_choices(console_log)
    check(choices[-4:] == ["A", "B", "A", "B"], f"GRUB chose A, B, A (failing), B ({choices})")
    # systemd's own log on the console from here, so a shutdown that hangs says where.
    return sh, time.monotonic() - t0


def main(img):
    ports = {PORT_HTTP: free_port(), PORT_HTTPS: free_port()}
    sock_path = f"{img}/shell.sock"
    console_log = f"{img}/console.log"
    for p in (sock_path, console_log):
        if os.path.exists(p):
            os.unlink(p)
    qemu = start_qemu(img, ports, sock_path, console_log)
    try:
        sh, total = run(img, ports, sock_path, console_log)
        # After the fallback boot the channel has been seen to drop the poweroff line
        # (docs/BENCHMARKS.md): up to three tries.
        boottest.power_off(sh, qemu, tries=3, wait_s=40)
        print(f"update test passed: total_s={total:.1f}")
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        boottest.print_console_tail(console_log, 80)
        return 1
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(os.path.abspath(sys.argv[1])))
