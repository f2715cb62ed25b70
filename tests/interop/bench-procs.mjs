// Process plumbing for benchmarks: children that speak one JSON object per stdout line, and
// the memory and CPU figures of a process from /proc.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { readFileSync, readdirSync } from 'node:fs'

/** Spawns `cmd args`; `next(ms)` resolves to its next JSON line (rejects on timeout or exit). */
export function jsonChild (cmd, args) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const queued = []
  const waiting = []
  let exited = null
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg
    try { msg = JSON.parse(line) } catch { return }
    const w = waiting.shift()
    if (w) w.resolve(msg)
    else queued.push(msg)
  })
  child.once('exit', (code, signal) => {
    exited = `${cmd} exited (${code ?? signal})`
    waiting.splice(0).forEach((w) => w.reject(new Error(exited)))
  })
  const next = (ms = 120000) => {
    if (queued.length) return Promise.resolve(queued.shift())
    if (exited) return Promise.reject(new Error(exited))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(w), 1)
        reject(new Error(`no reply from ${cmd} within ${ms} ms`))
      }, ms)
      const w = {
        resolve: (m) => { clearTimeout(timer); resolve(m) },
        reject: (e) => { clearTimeout(timer); reject(e) }
      }
      waiting.push(w)
    })
  }
  const send = (line) => child.stdin.write(line + '\n')
  const cmdReply = (line, ms) => { const r = next(ms); send(line); return r }
  /** Closes stdin and waits for the exit, killing the child after `ms`. */
  const close = (ms = 10000) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    child.once('exit', () => { clearTimeout(timer); resolve() })
    child.stdin.end()
  })
  return { child, next, send, cmd: cmdReply, close }
}

/** Resident set size of process `pid` in bytes (VmRSS). */
export function rssBytes (pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)
  return Number(m[1]) * 1024
}

/** CPU seconds (user + system) process `pid` used so far (assumes 100 clock ticks per second). */
export function cpuSeconds (pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Open file descriptors of process `pid`. */
export const fdCount = (pid) => readdirSync(`/proc/${pid}/fd`).length

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls `check()` every 100 ms until it is truthy or `ms` passed; resolves to its last value. */
export async function waitFor (check, ms) {
  const end = Date.now() + ms
  let v = await check()
  while (!v && Date.now() < end) {
    await sleep(100)
    v = await check()
  }
  return v
}
