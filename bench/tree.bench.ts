// Extension-side cost of one refresh tick of the Programs & Maps tree with 10, 100 and 1000 extra
// maps on the host: the map.countAll { compact: true } round trip to the real helper plus the tree
// model update (TargetModel.applyCompactCounts and NodeRenderer.view of every node whose count changed, which is what VS Code
// asks for after onDidChangeTreeData). Counts really change between ticks: before each measured
// tick a BPF program (test-run through the helper) adds one element to every map. This process
// never loads libbpf itself, like the extension host. Then the heap after a long run of ticks,
// to show that ticking does not grow memory. Needs root, clang, and `npm run build` (dist/helper.js).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { HelperClient } from '../src/core/connection/client';
import { localTransport } from '../src/core/connection/local';
import { ModelNode, TargetModel } from '../src/core/maps/model';
import { NodeRenderer } from '../src/core/maps/render';
import { printTable } from './table';

const root = path.resolve(__dirname, '..');
const SIZES = [10, 100, 1000];
const TICKS = 50;
const MEMORY_TICKS = 3000; // 50 minutes of ticking at the default 1 s interval

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** `n` hash maps, and syscall programs (a program may use at most 64 maps) that add key
 *  `args->key` to every map when test-run. */
function manyMapsSource(n: number): string {
  const maps = Array.from(
    { length: n },
    (_, i) =>
      `struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 256); __type(key, __u32); __type(value, __u64); } tree_bench_${i} SEC(".maps");`,
  );
  const progs: string[] = [];
  for (let start = 0; start < n; start += 64) {
    const updates = Array.from(
      { length: Math.min(64, n - start) },
      (_, i) => `\tbpf_map_update_elem(&tree_bench_${start + i}, &key, &one, BPF_ANY);`,
    );
    progs.push(
      `SEC("syscall")\nint fill_${start / 64}(struct args *args)\n{\n\t__u32 key = args->key;\n\t__u64 one = 1;\n${updates.join('\n')}\n\treturn 0;\n}\n`,
    );
  }
  return `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n${maps.join('\n')}\nstruct args { __u32 key; };\n${progs.join('\n')}char LICENSE[] SEC("license") = "GPL";\n`;
}

function compile(src: string, out: string): void {
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', src, '-o', out]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))];
}

const ms = (x: number) => `${x.toFixed(2)} ms`;
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(2)} MiB`;

export default async function run(): Promise<void> {
  const helperPath = path.join(root, 'dist', 'helper.js');
  if (!fs.existsSync(helperPath)) throw new Error('dist/helper.js is missing: run npm run build first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-tree-bench-'));
  const client = new HelperClient(localTransport({ helperPath }));
  const rows: string[][] = [];
  let memoryLine = '';
  try {
    const hello = await client.hello();
    for (const n of SIZES) {
      const src = path.join(dir, `maps${n}.bpf.c`);
      const obj = path.join(dir, `maps${n}.bpf.o`);
      fs.writeFileSync(src, manyMapsSource(n));
      compile(src, obj);
      const loaded = await client.loadObject({ path: obj });
      const fillers = loaded.programs.filter((p) => p.name.startsWith('fill_'));
      const addKey = async (k: number) => {
        const args = Buffer.alloc(4);
        args.writeUInt32LE(k);
        for (const f of fillers) await client.testRun({ id: f.id, ctxIn: args.toString('base64') });
      };
      try {
        const model = new TargetModel('local', 'This machine');
        const renderer = new NodeRenderer(model);
        model.setState({ kind: 'connected', hello });
        // First tick: inventory (map.list + prog.list) and the whole tree rendered once.
        const t0 = performance.now();
        const first = await client.countAllMaps();
        const [maps, progs] = await Promise.all([client.listMaps(), client.listPrograms()]);
        const t1 = performance.now();
        model.applyInventory(maps, progs, Date.now());
        model.applyCounts(first);
        const hostMaps = first.counts.length;
        // Every node rendered (label, description) as a fully expanded tree shows them; tooltips are built on hover only.
        const all = walk(model, model.root);
        for (const node of all) renderer.view(node);
        const firstMs = performance.now() - t0;
        const firstRenderMs = performance.now() - t1;
        const rendered = all.length;

        const roundTrip: number[] = [];
        const helperSide: number[] = [];
        const update: number[] = [];
        const total: number[] = [];
        let changedPerTick = 0;
        let structureTicks = 0;
        for (let tick = 0; tick < TICKS; tick++) {
          await addKey(tick); // every map gains one element
          const a = performance.now();
          const counts = await client.countAllMapsCompact();
          const b = performance.now();
          if (model.needsInventory(counts)) {
            // Another process created or removed maps: a structure tick, not the steady state measured here.
            const [maps2, progs2] = await Promise.all([client.listMaps(), client.listPrograms()]);
            model.applyInventory(maps2, progs2, Date.now());
            model.applyCompactCounts(counts);
            for (const node of walk(model, model.root)) renderer.view(node);
            structureTicks++;
            continue;
          }
          const change = model.applyCompactCounts(counts);
          for (const node of change.nodes) renderer.view(node); // what getTreeItem does for each fired node
          const c = performance.now();
          changedPerTick = change.nodes.length;
          roundTrip.push(b - a);
          helperSide.push(counts.micros / 1000);
          update.push(c - b);
          total.push(c - a);
        }
        // The full answer (CLI, Count Map Elements) for comparison: what a tick cost before `compact`.
        const full: number[] = [];
        for (let i = 0; i < TICKS; i++) {
          const a = performance.now();
          await client.countAllMaps();
          full.push(performance.now() - a);
        }
        rows.push([
          String(n),
          String(hostMaps),
          `${changedPerTick}${structureTicks ? ` (${structureTicks} ticks skipped: maps created by others)` : ''}`,
          `${ms(median(roundTrip))} (helper ${ms(median(helperSide))})`,
          ms(median(full)),
          ms(median(update)),
          ms(median(total)),
          ms(p95(total)),
          `${ms(firstMs)} (render of ${rendered} nodes: ${ms(firstRenderMs)})`,
        ]);

        if (n === SIZES[SIZES.length - 1]) {
          // Memory: ticks where counts change, then the heap after GC compared with after warm-up.
          for (let i = 0; i < 100; i++) model.applyCompactCounts(await client.countAllMapsCompact());
          gc();
          const before = process.memoryUsage();
          const t = performance.now();
          for (let i = 0; i < MEMORY_TICKS; i++) {
            if (i % 10 === 0) await addKey(TICKS + ((i / 10) % 200));
            const change = model.applyCompactCounts(await client.countAllMapsCompact());
            for (const node of change.nodes) renderer.view(node);
          }
          const elapsed = performance.now() - t;
          gc();
          const after = process.memoryUsage();
          memoryLine =
            `memory over ${MEMORY_TICKS} ticks at ${hostMaps} maps (${(elapsed / 1000).toFixed(1)} s, counts changing every 10th tick): ` +
            `heap ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} (${after.heapUsed >= before.heapUsed ? '+' : ''}${((after.heapUsed - before.heapUsed) / 1024).toFixed(0)} KiB), ` +
            `rss ${mib(before.rss)} -> ${mib(after.rss)}`;
        }
      } finally {
        await client.unloadObject(loaded.handle);
      }
    }
  } finally {
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  printTable(
    [
      'extra maps',
      'maps on host',
      'nodes redrawn',
      'compact countAll round trip',
      'full countAll (before)',
      'model update',
      'tick total (median)',
      'tick total (p95)',
      'first tick (inventory + full render)',
    ],
    rows,
  );
  console.log('');
  console.log(`- ${TICKS} ticks per size, every map gaining one element before each tick; target: tick total < 5 ms at 1000 maps`);
  console.log(`- ${memoryLine}`);
  console.log(`- kernel ${os.release()}, ${os.cpus().length} CPUs, Node ${process.version}`);
}

function walk(model: TargetModel, node: ModelNode): ModelNode[] {
  return [node, ...model.children(node).flatMap((c) => walk(model, c))];
}
