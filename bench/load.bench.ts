// What isolating libbpf costs an object load: libbpf called in this process (what the root helper
// did before object hosts) against object.load through the helper, whose object host is either
// the warm spare (the usual case), started on demand (loads back to back), or the first of a
// session (cold). Each object is unloaded after each load. Needs root and clang.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelperClient } from '../src/core/connection/client';
import { localTransport } from '../src/core/connection/local';
import * as L from '../src/helper/libbpf';
import { loadObject } from '../src/helper/load';
import { bundleHelper } from './bpf';
import { printTable } from './table';

const root = path.resolve(__dirname, '..');
const REPS = 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function compile(src: string, out: string, extra: string[] = []): void {
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    '-D__TARGET_ARCH_x86',
    `-I/usr/include/${multiarch}`,
    ...extra,
    '-c',
    src,
    '-o',
    out,
  ]);
}

async function timeMs(fn: () => unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export default async function run(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the load bench needs root (it loads BPF programs)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-bench-'));
  const helperDir = path.dirname(await bundleHelper('bench-helper'));
  const objects = [
    {
      label: 'packet_counter (1 prog, 1 map)',
      file: path.join(dir, 'packet_counter.bpf.o'),
      src: path.join(root, 'bpf/examples/packet_counter.bpf.c'),
    },
    {
      label: 'maps fixture (7 progs, 8 maps)',
      file: path.join(dir, 'maps.bpf.o'),
      src: path.join(root, 'test/fixtures/helper/maps.bpf.c'),
    },
  ];
  for (const o of objects) compile(o.src, o.file);

  const rows: string[][] = [];
  const hostRss: number[] = [];
  try {
    for (const o of objects) {
      const bytes = fs.readFileSync(o.file);
      const inProcess: number[] = [];
      for (let i = 0; i < REPS; i++) {
        inProcess.push(
          await timeMs(() => {
            const { obj } = loadObject({ bytes, name: path.basename(o.file), what: o.file }, 0, undefined, () => undefined);
            L.objectClose(obj);
          }),
        );
      }
      // A new helper per object kind, so its first load is a cold one.
      const client = new HelperClient(localTransport({ helperPath: path.join(helperDir, 'helper.js') }));
      const pid = (await client.hello()).pid;
      let handle = 0;
      const cold = await timeMs(async () => (handle = (await client.loadObject({ path: o.file })).handle));
      await client.unloadObject(handle);
      const warm: number[] = [];
      const backToBack: number[] = [];
      for (let i = 0; i < REPS; i++) {
        await sleep(1500); // the spare host is up
        warm.push(await timeMs(async () => (handle = (await client.loadObject({ path: o.file })).handle)));
        if (i === 0) {
          for (const kid of execFileSync('ps', ['--ppid', String(pid), '-o', 'rss='], { encoding: 'utf8' })
            .split('\n')
            .filter(Boolean))
            hostRss.push(Number(kid) / 1024);
        }
        await client.unloadObject(handle);
      }
      for (let i = 0; i < REPS; i++) {
        backToBack.push(await timeMs(async () => (handle = (await client.loadObject({ path: o.file })).handle)));
        await client.unloadObject(handle);
      }
      await client.dispose();
      const base = median(inProcess);
      const cell = (x: number) => `${ms(x)} (${(x / base).toFixed(1)}x)`;
      rows.push([o.label, ms(base), cell(median(warm)), cell(median(backToBack)), cell(cold)]);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`object load, median of ${REPS} (cold: the first load of a helper), each followed by unload:\n`);
  printTable(['object', 'libbpf in this process', 'helper, spare host warm', 'helper, back to back', 'helper, cold'], rows);
  console.log(
    `\nRSS of the helper's hosts while one object is loaded (holder, spare): ${hostRss.map((r) => `${r.toFixed(0)} MB`).join(', ')}`,
  );
}
