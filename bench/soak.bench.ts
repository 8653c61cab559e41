// `npm run bench -- soak` (only when named: it runs for 10 minutes). SOAK_SECONDS=60 for a quick
// run; SOAK_KILLS (default 100) and SOAK_SEED change the kill phase.
//
// One helper counts every map of the host at 1 Hz (countAll compact, what a refresh tick sends)
// over an object of 1000 maps, loading and unloading an object of its own each tick, while a
// second helper loads and frees 100 maps at a time without pause (churn: maps vanish mid-count).
// Its open fds and RSS are reported at the start and the end. Meanwhile a client process of its
// own (bench/soak-kills.ts) has its helper killed SOAK_KILLS times mid-request: every pending
// request must fail with a clear error, the next one be answered by a new helper within 2 s, and
// that client process must end by itself once done, leaving no helper behind.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelperClient } from '../src/core/connection/client';
import { localTransport } from '../src/core/connection/local';
import { bundleHelper, manyMapsObject, median, percentile, root } from './bpf';
import type { KillReport } from './soak-kills';
import { printTable } from './table';

const MAPS = 1000;
const CHURN_MAPS = 100;
const OWN_MAPS = 8;
const RESTART_BOUND_MS = 2000;

interface Usage {
  fds: number;
  rssKiB: number;
  /** The helper with its object hosts (one process per loaded object). */
  tree: { processes: number; fds: number; rssKiB: number };
}

function own(pid: number): { fds: number; rssKiB: number } {
  try {
    const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { fds, rssKiB: rss ? Number(rss[1]) : 0 };
  } catch {
    return { fds: 0, rssKiB: 0 }; // an object host that just exited
  }
}

function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* gone */
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

function usage(pid: number): Usage {
  const self = own(pid);
  const tree = { processes: 1, ...self };
  for (const c of descendants(pid)) {
    const u = own(c);
    tree.processes++;
    tree.fds += u.fds;
    tree.rssKiB += u.rssKiB;
  }
  return { ...self, tree };
}

/** Is `pid` still this helper? (pid_max may be 32768 and the soak starts thousands of processes: pids come back.) */
function stillRunning(pid: number, helperPath: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(helperPath);
  } catch {
    return false;
  }
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

/** Runs the kill phase in its own process; resolves with its report and how long it outlived it. */
function killPhase(
  helperPath: string,
  kills: number,
  seed: number,
): Promise<{ report?: KillReport; lingerMs: number; stderr: string; code: number | null }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'soak-kills.ts'), helperPath, String(kills), String(seed)],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let stderr = '';
  let doneAt = 0;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!doneAt && out.includes('\n')) doneAt = performance.now();
  });
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve) => {
    // A client that hangs is a finding, not a reason for the bench to hang: end it after 60 s.
    let hung: NodeJS.Timeout | undefined;
    child.stdout.on('end', () => {
      if (doneAt) hung = setTimeout(() => child.kill('SIGKILL'), 60_000);
    });
    child.on('exit', (code) => {
      clearTimeout(hung);
      const lingerMs = doneAt ? performance.now() - doneAt : NaN;
      let report: KillReport | undefined;
      try {
        report = JSON.parse(out) as KillReport;
      } catch {
        /* reported as missing below */
      }
      resolve({ report, lingerMs, stderr, code });
    });
  });
}

export default async function soakBench(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the soak needs root (it loads BPF objects)');
    return;
  }
  const seconds = Number(process.env.SOAK_SECONDS ?? 600);
  const kills = Number(process.env.SOAK_KILLS ?? 100);
  const seed = Number(process.env.SOAK_SEED ?? 1);
  const helperPath = await bundleHelper('bench-soak-helper');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-soak-'));
  const many = manyMapsObject(dir, MAPS, 'many');
  const churn = manyMapsObject(dir, CHURN_MAPS, 'churn');
  const own = manyMapsObject(dir, OWN_MAPS, 'own');
  console.log(
    `${seconds} s at 1 Hz over ${MAPS} maps, churn of ${CHURN_MAPS} maps at a time, ${kills} kills; node ${process.version}, Linux ${os.release()}`,
  );

  const counter = new HelperClient(localTransport({ helperPath }));
  const churner = new HelperClient(localTransport({ helperPath }));
  let stopChurn = false;
  const churned = { loads: 0, maps: 0, errors: 0 };
  try {
    const { pid } = await counter.hello();
    const loaded = await counter.loadObject({ path: many });
    const ours = new Set(loaded.maps.map((m) => m.id));
    await churner.hello();

    const churning = (async () => {
      while (!stopChurn) {
        try {
          const o = await churner.loadObject({ path: churn });
          churned.loads++;
          churned.maps += o.maps.length;
          await churner.unloadObject(o.handle);
        } catch {
          churned.errors++;
        }
      }
    })();
    const kill = killPhase(helperPath, kills, seed);

    const latencies: number[] = [];
    const problems: string[] = [];
    let hostMaps = { min: Infinity, max: 0 };
    let start: Usage | undefined;
    let peakRss = 0;
    const perMinute: Usage[] = [];
    const t0 = performance.now();
    for (let tick = 0; performance.now() - t0 < seconds * 1000; tick++) {
      const due = t0 + tick * 1000;
      if (due > performance.now()) await new Promise((r) => setTimeout(r, due - performance.now()));
      const t = performance.now();
      try {
        const r = await counter.countAllMapsCompact();
        latencies.push(performance.now() - t);
        hostMaps = { min: Math.min(hostMaps.min, r.ids.length), max: Math.max(hostMaps.max, r.ids.length) };
        const seen = r.ids.filter((id, i) => ours.has(id) && r.counts[i] === 0).length;
        if (seen !== MAPS && problems.length < 10) problems.push(`tick ${tick}: ${seen} of our ${MAPS} maps counted 0`);
        // Its own load and unload each tick: what it opens it must close.
        const o = await counter.loadObject({ path: own });
        await counter.unloadObject(o.handle);
      } catch (e) {
        if (problems.length < 10) problems.push(`tick ${tick}: ${String(e)}`);
      }
      const u = usage(pid);
      start ??= u;
      if (tick % 60 === 0) perMinute.push(u);
      peakRss = Math.max(peakRss, u.rssKiB);
    }
    const end = usage(pid);
    stopChurn = true;
    await churning;
    const k = await kill;

    console.log('\ncounting (one helper, 1 Hz):\n');
    printTable(
      ['', 'value'],
      [
        ['ticks (countAll compact)', String(latencies.length)],
        ['maps on the host per tick', `${hostMaps.min}..${hostMaps.max}`],
        ['tick latency median / p99 / max', `${ms(median(latencies))} / ${ms(percentile(latencies, 99))} / ${ms(Math.max(...latencies))}`],
        [
          'maps churned by the other helper',
          `${churned.maps.toLocaleString('en-US')} (${churned.loads.toLocaleString('en-US')} loads, ${churned.errors} errors)`,
        ],
        ['helper fds start / end', `${start!.fds} / ${end.fds}`],
        ['helper RSS start / end / peak', `${mib(start!.rssKiB)} / ${mib(end.rssKiB)} / ${mib(peakRss)}`],
        [
          'with its object hosts: processes, fds, RSS start / end',
          `${start!.tree.processes}, ${start!.tree.fds}, ${mib(start!.tree.rssKiB)} / ${end.tree.processes}, ${end.tree.fds}, ${mib(end.tree.rssKiB)}`,
        ],
        ['helper RSS each minute', perMinute.map((u) => (u.rssKiB / 1024).toFixed(1)).join(', ') + ' MiB'],
        ['with object hosts each minute', perMinute.map((u) => (u.tree.rssKiB / 1024).toFixed(1)).join(', ') + ' MiB'],
        ['problems', problems.length ? problems.join('; ') : 'none'],
      ],
    );

    console.log(`\nkills (a client process of its own, ${kills} kills mid-request):\n`);
    const r = k.report;
    if (!r) {
      console.log(`the kill client gave no report (exit ${k.code}): ${k.stderr}`);
    } else {
      const left = r.pids.filter((pid) => stillRunning(pid, helperPath));
      const over = r.restartMs.filter((x) => x > RESTART_BOUND_MS).length;
      printTable(
        ['', 'value'],
        [
          ['requests failed / with a clear HELPER_EXITED', `${r.failed} / ${r.clear}`],
          ['requests answered before their kill', String(r.answered)],
          ['kills with no request pending (too late)', String(r.roundsWithoutFailure)],
          ['kill to next answer, new helper: median / max', `${ms(median(r.restartMs))} / ${ms(Math.max(...r.restartMs))}`],
          ['  of which kill to all pending failed: median / max', `${ms(median(r.failMs))} / ${ms(Math.max(...r.failMs))}`],
          ['  and then the new helper started: median / max', `${ms(median(r.startMs))} / ${ms(Math.max(...r.startMs))}`],
          [`restarts over ${RESTART_BOUND_MS} ms`, String(over)],
          ['hello() answered by a dead helper', String(r.stalePids)],
          ['client process ended after its last line', Number.isNaN(k.lingerMs) ? 'never reported' : ms(k.lingerMs)],
          ['helpers of that client still running', String(left.length)],
          ['unclear errors', r.unclear.length ? r.unclear.join(' | ') : 'none'],
        ],
      );
      const ok =
        r.failed === r.clear && r.unclear.length === 0 && over === 0 && r.stalePids === 0 && left.length === 0 && k.lingerMs < 2000;
      console.log(`\nverdict: ${ok && problems.length === 0 && end.fds === start!.fds ? 'pass' : 'FAIL'}`);
    }
  } finally {
    stopChurn = true;
    await churner.dispose();
    await counter.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
