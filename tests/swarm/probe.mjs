// The driver's side of prober.mjs: runs it as a child process (its own event loop, so the
// simulator's lag does not delay the probes), echoes its 10 s lines to stderr, marks the start
// of the measured period and collects its summary at the end.
import { spawn } from 'node:child_process';

/** Starts probing `base`; `mark()` starts the measured period, `stop()` resolves to its summary. */
export function startProber(base) {
  const child = spawn(process.execPath, [new URL('./prober.mjs', import.meta.url).pathname, base], { stdio: ['ignore', 'pipe', 'inherit'] });
  let summary = null;
  let rest = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdout.on('data', (d) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop();
    for (const l of lines) {
      if (l.startsWith('probe-summary ')) summary = JSON.parse(l.slice('probe-summary '.length));
      else console.error(l);
    }
  });
  return {
    mark: () => child.exitCode === null && child.kill('SIGUSR2'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      return summary;
    },
  };
}

/** The summary as one line: per path p50 / p99 / max ms, probes, timeouts, errors. */
export function probeLine(summary) {
  if (!summary) return 'no summary';
  const f = (x) => (x === null ? '-' : `${x.toFixed(1)}`);
  return Object.entries(summary).map(([p, s]) => `${p} p50 ${f(s.p50)} / p99 ${f(s.p99)} / max ${f(s.max)} ms, ${s.n} probes, ${s.timeouts} timed out, ${s.errors} failed`).join('; ');
}
