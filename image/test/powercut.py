"""Power cuts while the box writes /data, and the service unit's limits (issue 18 items 4, 5).

Called by boottest.py after its second boot, on the same running QEMU. Each cut:
  1. a writer in the guest rewrites /data in a loop: the config through replace-file (as staff
     edits and firstboot write it), the staff password the same way, and, by moving an extra
     address, makes the service renew its TLS key, certificate, info and fingerprint
     (appliance/src/atomic_file.rs);
  2. after a few seconds QEMU is killed (SIGKILL: the guest's RAM and page cache are lost,
     what the guest had submitted to the disk stays, as after a power cut);
  3. on the host, a copy of the data partition gets its journal replayed by e2fsck (what the
     kernel does at mount) and every file is checked whole: the config parses and is the old
     or a written version, the password is the old or a whole new one, key and certificate
     parse, the info and fingerprint files are complete;
  4. the disk boots again: /healthz answers, systemd reports the service active after
     READY=1, HTTPS serves the certificate the fingerprint file names, the unit's
     LimitNOFILE, TasksMax and MemoryMax are applied and the service's /metrics figures are
     under them.
Prints each check, what the writer did before each cut, and QEMU start -> /healthz per boot.
"""

import base64
import hashlib
import http.client
import json
import os
import re
import ssl
import subprocess
import tempfile
import time
import tomllib

CUT_AFTER_S = (4.0, 7.0, 10.5)  # one cut per entry: seconds of writing before the cut
# How many of them to make (each costs a boot): VB_POWER_CUTS, default all.
CUTS = int(os.environ.get("VB_POWER_CUTS", len(CUT_AFTER_S)))
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULTS = f"{REPO}/buildroot-config/rootfs-overlay/usr/share/venuebox/venuebox.toml"
UNIT = f"{REPO}/buildroot-config/rootfs-overlay/usr/lib/systemd/system/venuebox.service"

WRITER = f"""#!/bin/sh
# Boot test: rewrites /data until the power is cut.
dev=$(ip -o link show | sed -n 's/^[0-9]*: \\([^:@]*\\).*/\\1/p' | grep -v '^lo$' | head -n 1)
replace=/usr/libexec/venuebox/replace-file
i=0
while :; do
    i=$((i + 1))
    # A new address every round: the service's certificate no longer covers the box's names.
    ip addr add "10.0.2.$((100 + i % 100))/32" dev "$dev"
    ip addr del "10.0.2.$((100 + (i - 1) % 100))/32" dev "$dev" 2>/dev/null || true
    {{ cat /usr/share/venuebox/venuebox.toml; printf '\\n[window]\\nmax_segments = %d\\n' $((32 + i % 32)); }} |
        "$replace" /data/venuebox.toml 0600 venuebox:venuebox
    head -c 15 /dev/urandom | base64 | tr '+/' 'xz' |
        "$replace" /data/secrets/admin-password 0600 venuebox:venuebox
    echo "vb-cut-writer: round $i written, certificate $(cat /data/secrets/tls-cert.sha256)" >/dev/console
    sleep 1
done
"""


def run(bt, img, ports, sh, qemu):
    """The cuts, each followed by a boot and its checks; returns the last (shell, QEMU)."""
    console = f"{img}/console.log"
    try:
        for n, after in enumerate(CUT_AFTER_S[:CUTS], 1):
            before = read_state(sh)
            qemu = cut(bt, sh, qemu, after, n)
            files = check_files(bt, img, before, n)
            print_writes(console, n)
            console = f"{img}/console-cut{n}.log"
            sh, qemu = boot(bt, img, ports, console, files, n)
            check_service_after_cut(bt, sh, ports, files, n)
            check_limits(bt, sh, ports[files["port"]])
            print_boot_analysis(sh, n)
    except BaseException:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
        bt.print_console_tail(console)
        raise
    return sh, qemu


def print_boot_analysis(sh, n):
    """systemd-analyze's view of the boot after the cut (the boot-time figures in BENCHMARKS)."""
    _, total = sh.run("systemd-analyze")
    _, chain = sh.run("systemd-analyze critical-chain venuebox.service --no-pager")
    print(f"after cut {n}: systemd-analyze: {total.splitlines()[0] if total else '?'}\n{chain}", flush=True)


def read_state(sh):
    """The config and password before the writer starts (a cut may come before its first write)."""
    _, config = sh.run("base64 -w0 /data/venuebox.toml")
    _, password = sh.run("base64 -w0 /data/secrets/admin-password")
    return {"config": base64.b64decode(config), "password": base64.b64decode(password)}


def cut(bt, sh, qemu, after, n):
    """Starts the writer, lets it write for `after` seconds, kills QEMU."""
    script = base64.b64encode(WRITER.encode()).decode()
    rc, out = sh.run(f"echo {script} | base64 -d >/run/vb-cut-writer && "
                     "{ nohup sh /run/vb-cut-writer >/dev/null 2>&1 & }")
    bt.check(rc == 0, f"cut {n}: the writer rewrites /data in the guest ({out})")
    time.sleep(after)
    qemu.kill()
    qemu.wait()
    sh.sock.close()
    print(f"cut {n}: QEMU killed (SIGKILL) after {after:.1f} s of writing", flush=True)
    return qemu


def print_writes(console_log, n):
    """What the writer and the service had done before the cut, from the guest console."""
    try:
        with open(console_log, errors="replace") as f:
            text = f.read()
    except OSError:
        return
    rounds = re.findall(r"vb-cut-writer: round \d+ written, certificate (\S+)", text)
    print(f"cut {n}: before it, {len(rounds)} writer rounds finished (config + password) and the writer "
          f"saw {len(set(rounds))} certificates (renewed by the service)", flush=True)


def data_partition(img):
    """(start, size) in bytes of the partition named "data" in the disk image."""
    out = subprocess.run(["sfdisk", "-J", f"{img}/disk.img"], capture_output=True, check=True).stdout
    parts = json.loads(out)["partitiontable"]["partitions"]
    part = next(p for p in parts if p.get("name") == "data")
    return part["start"] * 512, part["size"] * 512


def read_data_files(img, work):
    """Copies /data out of the disk image, replays its journal (e2fsck), dumps the files."""
    start, size = data_partition(img)
    copy = f"{work}/data.ext4"
    subprocess.run(["dd", f"if={img}/disk.img", f"of={copy}", "bs=1M", "conv=sparse", "status=none",
                    "iflag=skip_bytes,count_bytes", f"skip={start}", f"count={size}"], check=True)
    fsck = subprocess.run(["e2fsck", "-fy", copy], capture_output=True, text=True)
    out = f"{work}/data"
    os.mkdir(out)
    subprocess.run(["debugfs", "-R", f"rdump / {out}", copy], capture_output=True, check=True)
    return fsck, out


def check_files(bt, img, before, n):
    """Every file /data holds after the cut is whole: the old content or a new one."""
    with tempfile.TemporaryDirectory(dir=img) as work:
        fsck, root = read_data_files(img, work)
        replayed = "recovering journal" in fsck.stdout + fsck.stderr
        bt.check(fsck.returncode <= 1, f"cut {n}: /data's file system is consistent after the journal "
                 f"replay (e2fsck {fsck.returncode}; journal replayed: {replayed})")
        files = {name: read(f"{root}/{name}") for name in (
            "venuebox.toml", "secrets/admin-password", "secrets/tls-key.pem", "secrets/tls-cert.pem",
            "secrets/tls-cert.info", "secrets/tls-cert.sha256")}
        leftovers = [p for d in ("", "secrets") for p in os.listdir(f"{root}/{d}")
                     if p.startswith(".") and p != ".venuebox-grown"]
    config = files["venuebox.toml"]
    with open(DEFAULTS, "rb") as f:
        written = re.fullmatch(re.escape(f.read()) + rb"\n\[window\]\nmax_segments = (\d+)\n", config or b"")
    bt.check(config == before["config"] or (written and 32 <= int(written.group(1)) < 64),
             f"cut {n}: /data/venuebox.toml is whole: the old one or a written one "
             f"({'old' if config == before['config'] else 'max_segments = ' + written.group(1).decode()})")
    port = int(tomllib.loads(config.decode())["http"]["listen"].rsplit(":", 1)[1])
    pw = files["secrets/admin-password"]
    bt.check(pw == before["password"] or re.fullmatch(rb"[A-Za-z0-9]{20}\n", pw or b"") is not None,
             f"cut {n}: the staff password file is whole ({'old' if pw == before['password'] else 'new'}, "
             f"{len(pw or b'')} bytes)")
    check_certificate_files(bt, files, n)
    print(f"cut {n}: temporary files a cut left on /data (removed by the next write): {leftovers}", flush=True)
    return {"port": port}


def check_certificate_files(bt, files, n):
    """Key and certificate parse; info and fingerprint are complete."""
    key = files["secrets/tls-key.pem"] or b""
    m = re.fullmatch(rb"-----BEGIN PRIVATE KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END PRIVATE KEY-----\r?\n", key)
    bt.check(m is not None and len(base64.b64decode(m.group(1))) > 32, f"cut {n}: the TLS key file is whole")
    cert = (files["secrets/tls-cert.pem"] or b"").decode()
    try:
        der = ssl.PEM_cert_to_DER_cert(cert)
    except ValueError:
        der = b""
    bt.check(len(der) > 100 and cert.count("BEGIN CERTIFICATE") == 1, f"cut {n}: the TLS certificate file is whole")
    info = (files["secrets/tls-cert.info"] or b"").decode().splitlines()
    bt.check(len(info) >= 4 and info[0] == "localhost" and info[-1].isdigit() and int(info[-1]) > time.time(),
             f"cut {n}: the certificate's info file is whole ({len(info) - 1} names and its expiry)")
    fp = files["secrets/tls-cert.sha256"] or b""
    bt.check(re.fullmatch(rb"([0-9A-F]{2}:){31}[0-9A-F]{2}\n", fp) is not None, f"cut {n}: the fingerprint file is whole")
    same = fp.decode().strip() == fingerprint(der)
    print(f"cut {n}: the fingerprint file names {'this' if same else 'the previous'} certificate "
          "(the service writes it again at start)", flush=True)


def fingerprint(der):
    """SHA-256 of a DER certificate as AB:CD:..."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def read(path):
    """A dumped file's bytes, or None if /data did not hold it."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def boot(bt, img, ports, console, files, n):
    """Boots the disk after the cut; returns (shell, QEMU) once /healthz answers."""
    sock = f"{img}/shell.sock"
    if os.path.exists(sock):
        os.unlink(sock)
    t0 = time.monotonic()
    qemu = bt.start_qemu(img, ports, sock, console)
    try:
        t = bt.wait_healthz(ports[files["port"]], t0 + bt.BOOT_TIMEOUT_S)
        print(f"after cut {n}: QEMU start -> /healthz answering: {t - t0:.1f} s", flush=True)
        sh = bt.Shell(sock, time.monotonic() + 10)
        sh.sync(time.monotonic() + 60)
    except BaseException:
        qemu.kill()
        qemu.wait()
        raise
    return sh, qemu


def check_service_after_cut(bt, sh, ports, files, n):
    """The service came up after the cut and serves the certificate its files name."""
    bt.check_system_running(sh)
    bt.check_service(sh)
    _, fp = sh.run("cat /data/secrets/tls-cert.sha256")
    status, _, _, der = bt.https_get(ports[bt.PORT_HTTPS], "/healthz")
    bt.check(status == 200 and fingerprint(der) == fp,
             f"after cut {n}: HTTPS serves the certificate /data/secrets/tls-cert.sha256 names ({status})")


def unit_limits():
    """LimitNOFILE, TasksMax and MemoryMax as the image's unit file sets them."""
    with open(UNIT) as f:
        text = f.read()
    want = {k: v for k, v in re.findall(r"^(LimitNOFILE|TasksMax|MemoryMax)=(\S+)$", text, re.M)}
    if want.get("MemoryMax", "").endswith("M"):
        want["MemoryMax"] = str(int(want["MemoryMax"][:-1]) << 20)
    return want


def metrics_text(port):
    """The service's whole /metrics text through the forwarded port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        return resp.read().decode() if resp.status == 200 else ""
    finally:
        conn.close()


def check_limits(bt, sh, port):
    """systemd applied the unit's limits, and the service's own figures are under them."""
    want = unit_limits()
    bt.check(len(want) == 3, f"the unit file sets LimitNOFILE, TasksMax and MemoryMax ({want})")
    _, out = sh.run("systemctl show venuebox.service -p LimitNOFILE -p TasksMax -p MemoryMax")
    got = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    bt.check(all(got.get(k) == v for k, v in want.items()), f"systemd applied the unit's limits ({got})")
    text = metrics_text(port)
    figure = {name: float(v) for name, v in re.findall(r"^venuebox_(process_\w+) (\S+)$", text, re.M)}
    fds, threads, rss = (figure.get(f"process_{k}", -1) for k in ("open_fds", "threads", "resident_memory_bytes"))
    bt.check(0 < fds < int(want["LimitNOFILE"]) and 0 < threads < int(want["TasksMax"])
             and 0 < rss < int(want["MemoryMax"]),
             f"/metrics: the service's open fds {fds:.0f}, threads {threads:.0f}, RSS {rss / 2**20:.1f} MiB "
             "are under the unit's limits")
