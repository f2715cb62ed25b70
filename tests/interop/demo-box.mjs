// Starts the real `venuebox` service with its demo stream for the end-to-end interop tests: a
// config file in a fresh folder (loopback or namespace address, mDNS off, a known staff password,
// the seeder's candidates on that address) plus the test's own sections.
import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Spawns `BOX_BIN --config <file> --demo` listening on `host:port` (HTTPS, for the staff page,
 * on `port + 443`); returns the child. */
export function startDemoBox ({ host, port, extra = '' }) {
  const dir = mkdtempSync(join(tmpdir(), 'vb-box-'))
  const config = join(dir, 'venuebox.toml')
  writeFileSync(config, `
[http]
listen = "${host}:${port}"
https_listen = "${host}:${port + 443}"
[discovery]
mdns = false
[admin]
password = "interop-test-password"
state_dir = "${dir}"
[seeder]
udp_listen = "${host}:0"
public_host = "${host}"
candidate_ips = ["${host}"]
${extra}
`)
  return spawn(process.env.BOX_BIN, ['--config', config, '--demo'], { stdio: ['ignore', 'ignore', 'inherit'] })
}
