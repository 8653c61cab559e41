// Counting hash maps of 1k / 100k / 1M elements: our default (the iterator kfunc) against each
// fallback, `bpftool map dump` (whole process) and a get_next_key + lookup walk, plus
// map.countAll over 1000 maps. Everything runs in one process, one after the other, and the
// table shows medians and ratios. Needs root, clang and bpftool (as the kernel tests do).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as L from '../src/helper/libbpf';
import { HelperClient } from '../src/core/connection/client';
import { localTransport } from '../src/core/connection/local';
import type { CountMethod } from '../src/protocol';
import { bundleHelper } from './bpf';
import { printTable } from './table';

const root = path.resolve(__dirname, '..');
const SIZES = [
  { label: '1k', n: 1000, map: 'h1k', which: 0 },
  { label: '100k', n: 100_000, map: 'h100k', which: 1 },
  { label: '1M', n: 1_000_000, map: 'h1m', which: 2 },
] as const;
/** Repetitions per method: up to MAX_REPS, but stop once a method has used BUDGET_US (at least one run). */
const MAX_REPS = 31;
const BUDGET_US = 2_000_000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function fmt(us: number): string {
  if (us < 1000) return `${us.toFixed(us < 10 ? 1 : 0)} us`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

function timeUs(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1000;
}

/** Median of repeated runs of a measurement (each returns its own microseconds), within the budget. */
async function repeat(measure: () => number | Promise<number>, maxReps = MAX_REPS): Promise<number> {
  const us: number[] = [];
  let spent = 0;
  while (us.length < maxReps && (us.length === 0 || spent < BUDGET_US)) {
    const t = process.hrtime.bigint();
    us.push(await measure());
    spent += Number(process.hrtime.bigint() - t) / 1000;
  }
  return median(us);
}

function compile(src: string, out: string): void {
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', src, '-o', out]);
}

/** A BPF object with `n` small hash maps, for countAll. */
function manyMapsSource(n: number): string {
  const maps = Array.from(
    { length: n },
    (_, i) =>
      `struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, __u32); } m${i} SEC(".maps");`,
  );
  return `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n${maps.join('\n')}\nchar LICENSE[] SEC("license") = "GPL";\n`;
}

/** get_next_key + lookup for every key, from this process through koffi (what bpftool and cilium/ebpf do). */
function walkWithLookup(mapId: number): number {
  const fd = L.mapFdById(mapId);
  try {
    let key: Buffer | null = null;
    let next: Buffer = Buffer.alloc(4);
    const value = Buffer.alloc(8);
    let n = 0;
    while (L.mapGetNextKey(fd, key, next) === 0) {
      L.mapLookup(fd, next, value);
      n++;
      const t = key ?? Buffer.alloc(4);
      key = next;
      next = t;
    }
    return n;
  } finally {
    L.closeFd(fd);
  }
}

/** The iterator read itself, in this process: the floor our default method can reach. */
function rawIterator(): { read: () => number; close: () => void } {
  const obj = L.objectOpenFile(path.join(root, 'dist', 'bpf', 'map_count.bpf.o'));
  if (L.objectLoad(obj) < 0) throw new Error('map_count.bpf.o did not load');
  const link = L.program.attachIter(L.objectPrograms(obj)[0]);
  const chunk = Buffer.alloc(256 * 1024);
  return {
    read: () => {
      const fd = L.iterCreate(L.link.fd(link));
      try {
        return L.readAll(fd, chunk).length;
      } finally {
        L.closeFd(fd);
      }
    },
    close: () => {
      L.link.destroy(link);
      L.objectClose(obj);
    },
  };
}

export default async function countBench(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the count bench needs root (it loads BPF programs)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-bench-'));
  const helperDir = path.dirname(await bundleHelper('bench-helper'));
  const client = new HelperClient(localTransport({ helperPath: path.join(helperDir, 'helper.js') }));
  const raw = rawIterator();
  try {
    const benchObj = path.join(dir, 'count-bench.bpf.o');
    compile(path.join(root, 'test', 'fixtures', 'helper', 'count-bench.bpf.c'), benchObj);
    fs.writeFileSync(path.join(dir, 'many.bpf.c'), manyMapsSource(1000));
    compile(path.join(dir, 'many.bpf.c'), path.join(dir, 'many.bpf.o'));

    const loaded = await client.loadObject({ path: benchObj });
    const fillId = loaded.programs.find((p) => p.name === 'fill')!.id;
    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const s of SIZES) {
      const args = Buffer.alloc(24);
      args.writeBigUInt64LE(BigInt(s.which), 0);
      args.writeBigUInt64LE(BigInt(s.n), 8);
      const filled = (await client.testRun({ id: fillId, ctxIn: args.toString('base64') })).retval;
      if (filled !== s.n) throw new Error(`filled ${filled} of ${s.n}`);
      const mapId = loaded.maps.find((m) => m.name === s.map)!.id;

      const results: Array<{ name: string; us: number; count: number }> = [];
      const helperSide = async (method: CountMethod | undefined, name: string) => {
        let count = -1;
        const us = await repeat(async () => {
          const r = await client.countMap({ id: mapId, ...(method ? { method } : {}) });
          count = r.count;
          return r.micros;
        });
        results.push({ name, us, count });
      };
      await helperSide(undefined, 'default (iterator kfunc)');
      // The floor: the iterator read alone, in this process. Back to back it runs with hot caches;
      // after a helper round trip it starts from the same just-woken state as a helper request.
      results.push({ name: 'raw iterator read, hot loop', us: await repeat(() => timeUs(() => raw.read())), count: s.n });
      const rawWoken = await repeat(async () => {
        await client.enableStats(false); // a cheap round trip: we wait on the pipe like the helper does
        return timeUs(() => raw.read());
      });
      results.push({ name: 'raw iterator read, after a round trip', us: rawWoken, count: s.n });
      await helperSide('for_each', 'for_each + PROG_TEST_RUN');
      await helperSide('batch', 'lookup_batch');
      await helperSide('walk', 'get_next_key walk');
      let walkCount = 0;
      results.push({
        name: 'get_next_key + lookup',
        us: await repeat(() => timeUs(() => (walkCount = walkWithLookup(mapId)))),
        count: walkCount,
      });
      let dumpCount = 0;
      const dumpUs = await repeat(() =>
        timeUs(() => {
          const out = execFileSync('bpftool', ['map', 'dump', 'id', String(mapId)], { encoding: 'utf8', maxBuffer: 1 << 30 });
          // Plain "key: .. value: .." lines, or BTF-formatted `"key": ...` when the map has BTF.
          dumpCount = (out.match(/^(key:|\s*"key":)/gm) ?? []).length;
        }),
      );
      results.push({ name: 'bpftool map dump (process)', us: dumpUs, count: dumpCount });

      const ours = results[0].us;
      for (const r of results) {
        rows.push([
          s.label,
          r.name,
          fmt(r.us),
          String(r.count),
          r === results[0] ? '1x' : `${(r.us / ours).toFixed(r.us / ours < 10 ? 2 : 0)}x`,
        ]);
        if (r.count !== s.n) rows[rows.length - 1][3] += ` (expected ${s.n})`;
      }
      if (s.label === '1M') {
        ratios.push(
          `1M: our count ${fmt(ours)} vs raw iterator read after a round trip ${fmt(results[2].us)} = ${(ours / results[2].us).toFixed(2)}x (target <= 2x); vs the hot loop ${fmt(results[1].us)} = ${(ours / results[1].us).toFixed(2)}x`,
        );
        ratios.push(
          `1M: bpftool map dump / our count = ${Math.round(results[results.length - 1].us / ours).toLocaleString('en-US')}x (target >= 10,000x)`,
        );
      }
    }

    const many = await client.loadObject({ path: path.join(dir, 'many.bpf.o') });
    let hostMaps = 0;
    const allUs = await repeat(async () => {
      const r = await client.countAllMaps();
      hostMaps = r.counts.length;
      return r.micros;
    }, 101);
    const rtUs = await repeat(async () => {
      const t = process.hrtime.bigint();
      await client.countAllMaps();
      return Number(process.hrtime.bigint() - t) / 1000;
    });
    rows.push([`${hostMaps} maps`, 'map.countAll (helper side)', fmt(allUs), `${hostMaps} counts`, '']);
    rows.push([`${hostMaps} maps`, 'map.countAll (client round trip)', fmt(rtUs), '', '']);
    ratios.push(`countAll over ${hostMaps} maps: ${fmt(allUs)} helper-side (target < 1 ms)`);
    await client.unloadObject(many.handle);
    await client.unloadObject(loaded.handle);

    printTable(['size', 'method', 'median', 'count', 'vs default'], rows);
    console.log('');
    for (const r of ratios) console.log(`- ${r}`);
    console.log(`- helper-side times exclude JSON-RPC; kernel ${os.release()}, ${os.cpus().length} CPUs, medians`);
  } finally {
    raw.close();
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(helperDir, { recursive: true, force: true });
  }
}
