#!/usr/bin/env python3
"""Boots the VenueBox test image in QEMU (TCG) and checks that the box comes up on its own.

Checks, over two boots of the same disk:
  boot 1: /healthz answers (time from QEMU start is measured), /announce answers as a
          WebSocket endpoint, systemd reports venuebox.service active (Type=notify, so only
          after READY=1) with its watchdog, its own user and only CAP_NET_BIND_SERVICE, the
          root is read-only, /data is writable and was grown to the end of the disk, the first
          boot generated the admin password and printed URL + password on the console (and
          not in the journal), staff log in over HTTPS with the banner's password and the
          certificate's fingerprint matches the banner, plain /admin redirects without a
          challenge; then the config on /data is changed (new HTTP port) and the box reboots.
  boot 2: the service answers on the port from /data's config, the admin password is the
          same, the boot id differs.
  then:   power cuts while /data is written, each followed by a boot: files whole, service up,
          the unit's limits applied (powercut.py).

usage: [ARCH=x86_64|aarch64] boottest.py <image-dir>   (disk.img, vmlinuz, initrd.img from
       mkimage.sh with the same ARCH; aarch64 boots QEMU's virt board, also under TCG)
Prints each check and the measured times; exits non-zero on the first failure.
"""

import base64
import hashlib
import http.client
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import time

import powercut

ARCH = os.environ.get("ARCH", "x86_64")
# What differs per architecture: the board, the console and the test shell's port (a second
# UART on q35; on virt a virtio console, a PCI device like the disk, so the PL011 is the console).
MACHINES = {
    "x86_64": {
        "qemu": ["qemu-system-x86_64", "-machine", "q35"],
        "console": "ttyS0",
        "shell": ["-serial", "chardev:shell"],
        "boot_timeout_s": 300,
    },
    "aarch64": {
        "qemu": ["qemu-system-aarch64", "-machine", "virt", "-cpu", "cortex-a72"],
        "console": "ttyAMA0",
        "shell": ["-device", "virtio-serial-pci", "-device", "virtconsole,chardev=shell"],
        "boot_timeout_s": 900,
    },
}
MACHINE = MACHINES[ARCH]
BOOT_TIMEOUT_S = MACHINE["boot_timeout_s"]
CMD_TIMEOUT_S = 180
PORT_IMAGE = 80
PORT_CHANGED = 8081
PORT_HTTPS = 443


class CheckFailed(Exception):
    """A boot-test assertion failed."""


def check(cond, what):
    """Prints a passed check, raises CheckFailed otherwise."""
    if not cond:
        raise CheckFailed(what)
    print(f"ok: {what}", flush=True)


def free_port():
    """A free TCP port on 127.0.0.1 for a QEMU host forward."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, headers=None, timeout=2.0, limit=4096):
    """GET on the forwarded port: (status, headers dict, body's first `limit` bytes) or None if
    nothing answers."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        body = resp.read(limit) if resp.status != 101 else b""
        result = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
        conn.close()
        return result
    except (OSError, http.client.HTTPException):
        return None


def https_get(port, path, headers=None, timeout=5.0):
    """GET over HTTPS (any certificate): (status, headers dict, body, certificate DER)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ctx)
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read(4096)
    der = conn.sock.getpeercert(binary_form=True)
    result = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, body, der)
    conn.close()
    return result


def wait_healthz(port, deadline):
    """Polls /healthz until it answers 200 "ok"; returns the time it first did."""
    while time.monotonic() < deadline:
        r = http_get(port, "/healthz", timeout=1.0)
        if r and r[0] == 200 and r[2].strip() == b"ok":
            return time.monotonic()
        time.sleep(0.1)
    raise CheckFailed(f"/healthz on forwarded port {port} did not answer within the timeout")


class Shell:
    """The test image's command channel on the guest's ttyS1 (a QEMU unix socket)."""

    def __init__(self, path, deadline):
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.buf = b""

    def sync(self, deadline):
        """Waits until the guest shell echoes a fresh token (it restarts at every boot)."""
        n = 0
        while time.monotonic() < deadline:
            n += 1
            token = f"__VB_SYNC_{os.getpid()}_{n}__"
            try:
                self._send(f"echo {token}")
            except (socket.timeout, TimeoutError):
                continue  # the guest's UART is not read yet and QEMU stopped reading us
            if self._read_until(token.encode() + b"\n", time.monotonic() + 10) is not None:
                self._read_until(b"__\n", time.monotonic() + 2)
                return
        raise CheckFailed("the guest command channel did not answer")

    def run(self, cmd):
        """Runs one shell command line in the guest; returns (status, output)."""
        self._send(cmd)
        got = self._read_until_re(rb"__VB_RC=(\d+)__\n", time.monotonic() + CMD_TIMEOUT_S)
        if got is None:
            raise CheckFailed(f"no answer from the guest to: {cmd}")
        out, rc = got
        return rc, out.decode(errors="replace").strip()

    def send(self, cmd):
        """Sends a command without waiting for an answer (reboot, poweroff)."""
        self._send(cmd)

    def _send(self, line):
        self.sock.settimeout(10)
        self.sock.sendall(line.encode() + b"\n")

    def _fill(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return False
        self.buf += data
        return bool(data)

    def _read_until(self, marker, deadline):
        while marker not in self.buf:
            if time.monotonic() >= deadline or not self._fill(deadline):
                return None
        before, _, self.buf = self.buf.partition(marker)
        return before

    def _read_until_re(self, pattern, deadline):
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.buf)
            if m:
                out, rc = self.buf[: m.start()], int(m.group(1))
                self.buf = self.buf[m.end():]
                return out, rc
            if time.monotonic() >= deadline or not self._fill(deadline):
                return None


def start_qemu(img, ports, sock_path, console_log):
    """Starts QEMU (TCG) on the disk with user networking forwarding the given ports."""
    fwd = ",".join(f"hostfwd=tcp:127.0.0.1:{h}-:{g}" for g, h in ports.items())
    cmdline = (f"root=PARTLABEL=rootfs-a ro console={MACHINE['console']} quiet loglevel=3"
               " systemd.show_status=0 mitigations=off")
    args = [
        *MACHINE["qemu"], "-accel", "tcg",
        "-smp", "1", "-m", "1024", "-nodefaults", "-no-user-config", "-display", "none",
        "-kernel", f"{img}/vmlinuz", "-initrd", f"{img}/initrd.img", "-append", cmdline,
        "-drive", f"file={img}/disk.img,format=raw,if=virtio,cache=unsafe",
        "-netdev", f"user,id=n0,{fwd}", "-device", "virtio-net-pci,netdev=n0,romfile=",
        "-device", "virtio-rng-pci", "-device", "i6300esb", "-action", "watchdog=reset",
        "-serial", f"file:{console_log}",
        "-chardev", f"socket,id=shell,path={sock_path},server=on,wait=off",
        *MACHINE["shell"],
    ]
    return subprocess.Popen(args, stdin=subprocess.DEVNULL)


def websocket_handshake(port, path="/announce"):
    """Status of a real WebSocket upgrade on `path`, and whether the accept key is right."""
    key = base64.b64encode(os.urandom(16)).decode()
    r = http_get(port, path, {
        "Connection": "Upgrade", "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key,
    }, timeout=15.0)
    if r is None:
        return None, False
    magic = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455
    want = base64.b64encode(hashlib.sha1((key + magic).encode()).digest()).decode()
    return r[0], r[1].get("sec-websocket-accept") == want


def check_system_running(sh):
    """Waits for the boot to finish, then requires no failed unit (state "running")."""
    _, state = sh.run("systemctl is-system-running --wait")
    _, failed = sh.run("systemctl list-units --failed --no-legend --plain")
    check(state == "running", f"boot finished with no failed unit ({state}; failed: {failed!r})")


def check_service(sh):
    """systemd's view of venuebox.service: active after READY=1, watchdog, user, capability."""
    rc, out = sh.run("systemctl show venuebox.service -p ActiveState -p SubState -p Type "
                     "-p WatchdogUSec -p NRestarts -p MainPID")
    props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    check(rc == 0 and props.get("Type") == "notify", "venuebox.service is Type=notify")
    check(props.get("ActiveState") == "active" and props.get("SubState") == "running",
          f"systemd reports venuebox active/running (READY=1 received): {props}")
    check(props.get("WatchdogUSec") not in (None, "0", "infinity"),
          f"service watchdog armed (WatchdogUSec={props.get('WatchdogUSec')})")
    check(props.get("NRestarts") == "0", "no restarts since boot")
    pid = props.get("MainPID")
    _, user = sh.run(f"stat -c %U /proc/{pid}")
    check(user == "venuebox", f"service runs as its own user ({user})")
    _, cap = sh.run(f"sed -n 's/^CapEff:[[:space:]]*//p' /proc/{pid}/status")
    check(int(cap, 16) == 1 << 10, f"only CAP_NET_BIND_SERVICE is effective (CapEff={cap})")
    _, wd = sh.run("systemctl show -p RuntimeWatchdogUSec --value; test -c /dev/watchdog0 && echo dev")
    check(wd.endswith("dev") and not wd.startswith("0"), f"hardware watchdog driven by systemd ({wd!r})")


def check_filesystems(sh):
    """Read-only root, writable /data grown to the end of the disk, /data owned right."""
    _, opts = sh.run("findmnt -no OPTIONS /")
    check(opts.split(",")[0] == "ro", f"root is mounted read-only ({opts})")
    rc, out = sh.run("touch /vb-write-probe")
    check(rc != 0 and "Read-only" in out, "writing to the root fails: read-only file system")
    _, opts = sh.run("findmnt -no OPTIONS /data")
    check(opts.split(",")[0] == "rw", f"/data is mounted read-write ({opts})")
    _, size = sh.run("findmnt -bno SIZE /data")
    check(int(size) > 80 * 2**20, f"/data grew past its 32 MiB image size ({int(size) >> 20} MiB)")
    _, owner = sh.run("stat -c '%U %a' /data/venuebox.toml /data/secrets /data/secrets/admin-password")
    check(owner.split("\n") == ["venuebox 600", "venuebox 700", "venuebox 600"],
          f"config and secrets on /data are private to the service ({owner!r})")
    _, name = sh.run("hostname")
    check(name == "venuebox", f"host name is venuebox ({name})")


def check_first_boot_console(sh, console_log):
    """The banner put URL and the generated password on the console, not in the journal."""
    _, pw = sh.run("cat /data/secrets/admin-password")
    check(len(pw) >= 16, "first boot generated an admin password")
    deadline = time.monotonic() + 60
    text = ""
    while time.monotonic() < deadline:
        with open(console_log, errors="replace") as f:
            text = f.read()
        if "Admin password:" in text and "HTTPS certificate SHA-256:" in text:
            break
        time.sleep(0.5)
    check(f"Admin password: {pw}" in text, "console shows the admin password")
    check(re.search(r"Viewers: http://\d+\.\d+\.\d+\.\d+/", text) is not None,
          "console shows the viewer URL by IP address")
    rc, _ = sh.run(f"journalctl -b --no-pager | grep -qF -- '{pw}'")
    check(rc == 1, "the admin password is not in the journal")
    return pw, text


def check_staff_login(ports, pw, console):
    """Staff log in over HTTPS with the banner's password; the certificate is the banner's."""
    auth = "Basic " + base64.b64encode(f"staff:{pw}".encode()).decode()
    r = http_get(ports[PORT_IMAGE], "/admin", headers={"Authorization": auth})
    check(r is not None and r[0] == 308 and "www-authenticate" not in r[1]
          and r[1].get("location", "").startswith("https://"),
          f"plain /admin redirects to HTTPS without a challenge ({r and r[0]})")
    status, _, _, der = https_get(ports[PORT_HTTPS], "/admin/data.json", headers={"Authorization": auth})
    check(status == 200, f"the banner's password logs in over HTTPS ({status})")
    digest = hashlib.sha256(der).hexdigest().upper()
    fingerprint = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
    check(f"HTTPS certificate SHA-256: {fingerprint}" in console,
          "the console shows the served certificate's fingerprint")


# ENABLE WHEN THE TRACKER LANDS: set to True once the router sends `/announce` to the tracker.
# Until then the test pins what the service does today (`/announce` is not routed: 404), so the
# tracker's merge fails this test until the flag is flipped and the real checks below run.
TRACKER_ROUTED = True


def check_http(port):
    """/healthz and the tracker's WebSocket endpoint, through the QEMU forward."""
    r = http_get(port, "/healthz")
    check(r is not None and r[0] == 200 and r[2].strip() == b"ok", "/healthz answers 200 ok")
    r = http_get(port, "/announce")
    if not TRACKER_ROUTED:
        check(r is not None and r[0] == 404,
              f"/announce is not routed yet (404; flip TRACKER_ROUTED when it is): {r and r[0]}")
        return
    check(r is not None and r[0] in (400, 426),
          f"/announce answers a plain GET as a WebSocket endpoint ({r and r[0]})")
    status, accepted = websocket_handshake(port)
    check(status == 101 and accepted, f"/announce accepts a WebSocket upgrade ({status})")
    status, accepted = websocket_handshake(port, "/signal")
    check(status == 101 and accepted, f"/signal accepts a WebSocket upgrade ({status})")


HLS_DIR = "/run/venuebox/hls"  # the image's ingest.hls_dir
PLAYLIST = "stream.m3u8"  # ingest.playlist's default


def make_hls(folder):
    """Two 2 s H.264 segments and their live playlist (no end tag), from the host's ffmpeg."""
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                    "-i", "testsrc2=size=160x90:rate=10", "-t", "4", "-c:v", "libx264", "-g", "20",
                    "-f", "hls", "-hls_time", "2", "-hls_list_size", "0",
                    "-hls_flags", "omit_endlist", "-hls_segment_filename", f"{folder}/seg-%d.ts",
                    f"{folder}/{PLAYLIST}"], check=True)
    return sorted(n for n in os.listdir(folder) if n.endswith(".ts"))


def push_file(sh, src, dest):
    """Copies a host file into the guest through the command channel (base64 lines); the name
    appears only once the file is complete."""
    with open(src, "rb") as f:
        data = base64.b64encode(f.read()).decode()
    rc, out = sh.run(f": >{dest}.part")
    for i in range(0, len(data), 8192):
        if rc == 0:
            rc, out = sh.run(f"printf %s '{data[i:i + 8192]}' | base64 -d >>{dest}.part")
    if rc == 0:
        rc, out = sh.run(f"mv {dest}.part {dest}")
    check(rc == 0, f"copied {os.path.basename(src)} into the guest's {os.path.dirname(dest)} ({out})")


def check_viewer_media(sh, port):
    """A stream written into the ingest folder reaches a viewer: the box's playlist lists it
    and a segment comes back over HTTP byte for byte."""
    with tempfile.TemporaryDirectory() as tmp:
        segments = make_hls(tmp)
        for name in segments + [PLAYLIST]:
            push_file(sh, f"{tmp}/{name}", f"{HLS_DIR}/{name}")
        sources = []
        for name in segments:
            with open(f"{tmp}/{name}", "rb") as f:
                sources.append(f.read())
    deadline = time.monotonic() + 60
    uris = []
    while len(uris) < len(sources) and time.monotonic() < deadline:
        r = http_get(port, "/hls/live.m3u8", limit=65536)
        if r and r[0] == 200:
            uris = [ln for ln in r[2].decode().splitlines() if ln and not ln.startswith("#")]
        time.sleep(0.5)
    check(len(uris) == len(sources),
          f"the viewer's playlist /hls/live.m3u8 lists the stream's segments {uris}")
    r = http_get(port, f"/hls/{uris[0]}", timeout=10.0, limit=16 << 20)
    check(r is not None and r[0] == 200 and r[2] == sources[0],
          f"a viewer gets the first segment over HTTP byte for byte ({r and r[0]}, "
          f"{r and len(r[2])} bytes)")


def first_boot(sh, ports, console_log):
    """Boot 1 checks, then change the HTTP port in /data's config and reboot."""
    check_http(ports[PORT_IMAGE])
    check_system_running(sh)
    check_service(sh)
    check_filesystems(sh)
    check_viewer_media(sh, ports[PORT_IMAGE])
    pw, console = check_first_boot_console(sh, console_log)
    check_staff_login(ports, pw, console)
    _, boot_id = sh.run("cat /proc/sys/kernel/random/boot_id")
    rc, _ = sh.run(f"sed -i 's/^listen = .*/listen = \"0.0.0.0:{PORT_CHANGED}\"/' "
                   "/data/venuebox.toml && grep -q ':8081' /data/venuebox.toml && sync")
    check(rc == 0, f"changed [http] listen to port {PORT_CHANGED} in /data/venuebox.toml")
    sh.send("systemctl reboot")
    return boot_id, pw


def second_boot(sh, ports, boot_id, pw):
    """Boot 2: the config from /data was used and the password kept."""
    sh.sync(time.monotonic() + BOOT_TIMEOUT_S)
    _, new_id = sh.run("cat /proc/sys/kernel/random/boot_id")
    check(new_id != boot_id, "the box rebooted (new boot id)")
    check(http_get(ports[PORT_CHANGED], "/healthz") is not None, "service answers on the new port")
    check(http_get(ports[PORT_IMAGE], "/healthz", timeout=1.0) is None, "old port is closed")
    _, pw2 = sh.run("cat /data/secrets/admin-password")
    check(pw2 == pw, "the admin password survived the reboot")
    check_system_running(sh)
    check_service(sh)


def main(img):
    ports = {PORT_IMAGE: free_port(), PORT_CHANGED: free_port(), PORT_HTTPS: free_port()}
    sock_path = f"{img}/shell.sock"
    console_log = f"{img}/console.log"
    for p in (sock_path, console_log):
        if os.path.exists(p):
            os.unlink(p)
    t0 = time.monotonic()
    qemu = start_qemu(img, ports, sock_path, console_log)
    try:
        t_health = wait_healthz(ports[PORT_IMAGE], t0 + BOOT_TIMEOUT_S)
        print(f"boot 1: QEMU start -> /healthz answering: {t_health - t0:.1f} s", flush=True)
        sh = Shell(sock_path, time.monotonic() + 10)
        sh.sync(time.monotonic() + 60)
        boot_id, pw = first_boot(sh, ports, console_log)
        t_reboot = time.monotonic()
        t_health2 = wait_healthz(ports[PORT_CHANGED], t_reboot + BOOT_TIMEOUT_S)
        print(f"boot 2: reboot -> /healthz answering: {t_health2 - t_reboot:.1f} s", flush=True)
        second_boot(sh, ports, boot_id, pw)
        sh, qemu = powercut.run(sys.modules[__name__], img, ports, sh, qemu)
        power_off(sh, qemu)
        print(f"boot test passed: healthz_s={t_health - t0:.1f} "
              f"reboot_healthz_s={t_health2 - t_reboot:.1f} total_s={time.monotonic() - t0:.1f}")
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        print_console_tail(console_log)
        return 1
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
    return 0


POWEROFF = ('echo "test: poweroff" >/dev/console; systemctl poweroff >/dev/console 2>&1 || '
            'echo "test: systemctl poweroff failed: $?" >/dev/console')


def power_off(sh, qemu, tries=1, wait_s=120):
    """Powers the guest off through the command channel and waits for QEMU to exit. A line the
    guest never ran (the update test's channel has dropped it after a fallback boot, cause not
    found, docs/BENCHMARKS.md) is sent again, up to `tries` times, `wait_s` apart."""
    # systemd's own log on the console from here, so a shutdown that hangs says where.
    sh.run("systemd-analyze set-log-level info && systemd-analyze set-log-target console")
    for attempt in range(1, tries + 1):
        sh.send(POWEROFF)
        try:
            qemu.wait(timeout=wait_s)
            if attempt > 1:
                print(f"poweroff took on attempt {attempt}", flush=True)
            return
        except subprocess.TimeoutExpired:
            try:
                _, out = sh.run("systemctl is-system-running; echo channel-alive")
                print(f"poweroff attempt {attempt}: guest still up ({out.split()})", flush=True)
            except CheckFailed:
                pass  # shutting down: the channel is gone
    raise CheckFailed(f"the guest did not power off ({tries} tries, {wait_s} s each)")


def print_console_tail(console_log, lines=60):
    """The guest console's last lines, for a failure report."""
    try:
        with open(console_log, errors="replace") as f:
            tail = f.read().splitlines()[-lines:]
        print("---- guest console (tail) ----", file=sys.stderr)
        print("\n".join(tail), file=sys.stderr)
    except OSError:
        pass


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(os.path.abspath(sys.argv[1])))
