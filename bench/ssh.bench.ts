// The cost of SSH: one map.countAll round trip through a local helper against the same request
// through the real OpenSSH client to a throwaway sshd on 127.0.0.1 (same kernel, same helper
// bundle), medians side by side; plus connect times (first connect with upload, cached reconnect).
// Loopback hides network latency: on a real link add one network round trip per request.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelperClient } from '../src/core/connection/client';
import { localTransport } from '../src/core/connection/local';
import { sshHelperClient } from '../src/core/connection/ssh';
import { specFromSetting } from '../src/core/connection/sshTarget';
import { startSshd, sshdUnavailable } from '../test/support/sshd';

const N = 101;
const WARMUP = 5;
/** Copies of the example object loaded so countAll has maps to count (one hash map each). */
const OBJECTS = 100;
const root = path.resolve(__dirname, '..');

function compileExample(dir: string): Buffer {
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  const out = path.join(dir, 'packet_counter.bpf.o');
  execFileSync('clang', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    '-idirafter',
    `/usr/include/${multiarch}`,
    '-c',
    path.join(root, 'bpf', 'examples', 'packet_counter.bpf.c'),
    '-o',
    out,
  ]);
  return fs.readFileSync(out);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))];
}

const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;

async function roundTrips(client: HelperClient): Promise<{ us: number[]; helperUs: number[] }> {
  for (let i = 0; i < WARMUP; i++) await client.countAllMaps();
  const us: number[] = [];
  const helperUs: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    const r = await client.countAllMaps();
    us.push(Number(process.hrtime.bigint() - t) / 1000);
    helperUs.push(r.micros);
  }
  return { us, helperUs };
}

export default async function run(): Promise<void> {
  const why = sshdUnavailable();
  if (why) {
    console.log(`skipped: ${why}`);
    return;
  }
  const sshd = await startSshd();
  const local = new HelperClient(localTransport());
  const opts = { configFile: sshd.clientConfig };
  let remote = sshHelperClient(specFromSetting('ebpf-test'), opts);
  try {
    let t = Date.now();
    await remote.hello();
    const firstConnect = Date.now() - t;
    await remote.dispose();
    remote = sshHelperClient(specFromSetting('ebpf-test'), opts);
    t = Date.now();
    await remote.hello();
    const cachedConnect = Date.now() - t;
    await local.hello();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-sshbench-'));
    const bytes = compileExample(dir).toString('base64');
    fs.rmSync(dir, { recursive: true, force: true });
    for (let i = 0; i < OBJECTS; i++) await local.loadObject({ bytes });

    const l = await roundTrips(local);
    const r = await roundTrips(remote);
    const maps = (await local.countAllMaps()).counts.length;
    console.log(`map.countAll over ${maps} maps, ${N} round trips each (median, p90), loopback sshd, one process:\n`);
    console.log('| transport | round trip median | p90 | helper-side median |');
    console.log('|---|---|---|---|');
    console.log(`| local pipe | ${ms(median(l.us))} | ${ms(pct(l.us, 90))} | ${ms(median(l.helperUs))} |`);
    console.log(`| ssh (127.0.0.1) | ${ms(median(r.us))} | ${ms(pct(r.us, 90))} | ${ms(median(r.helperUs))} |`);
    console.log(`\nssh / local round trip: ${(median(r.us) / median(l.us)).toFixed(1)}x (+${ms(median(r.us) - median(l.us))} per request)`);
    console.log(`connect over ssh: first (probe + upload + start) ${firstConnect} ms, cached (probe + start) ${cachedConnect} ms`);
  } finally {
    await remote.dispose();
    await local.dispose();
    await sshd.stop();
  }
}
