// `npm run bench -- events`: how many records per second the helper consumes from a busy ring
// buffer and how many reach the client, side by side with a C libbpf consumer (ring_buffer__new +
// ring_buffer__poll) in the same run, under the same producer (a C loop of BPF_PROG_TEST_RUN on an
// XDP program that writes one 40-byte record per run into a 16 MiB ring). The client either keeps
// up (acknowledges at once) or is slow (20 ms per batch): it then gets fewer records, never more than
// one batch behind, and the rest are counted as dropped. Needs root, clang and libbpf-dev.
import { execFileSync, spawn } from 'node:child_process';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HelperClient } from '../src/core/connection/client';
import { localTransport } from '../src/core/connection/local';
import type { EventsBatch } from '../src/protocol';
import { printTable } from './table';

const root = path.resolve(__dirname, '..');
const SECONDS = 3;

function run(tool: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(tool, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`${tool} ${args.join(' ')} exited ${code}`))));
  });
}

const rate = (n: number) => `${(n / SECONDS / 1e6).toFixed(2)} M/s`;

export default async function eventsBench(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('skipped: the events bench needs root (it loads BPF programs)');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-bench-events-'));
  const helperDir = path.join(root, 'out', 'bench-events-helper');
  await esbuild.build({
    entryPoints: [path.join(root, 'src/helper/main.ts')],
    outfile: path.join(helperDir, 'helper.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['koffi'],
    logLevel: 'error',
  });
  const tool = path.join(dir, 'ringbuf-tool');
  execFileSync('clang', ['-O2', path.join(__dirname, 'events', 'ringbuf-tool.c'), '-lbpf', '-o', tool]);
  const obj = path.join(dir, 'producer.bpf.o');
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    `-I/usr/include/${multiarch}`,
    '-c',
    path.join(__dirname, 'events', 'producer.bpf.c'),
    '-o',
    obj,
  ]);

  const client = new HelperClient(localTransport({ helperPath: path.join(helperDir, 'helper.js') }));
  try {
    const loaded = await client.loadObject({ path: obj });
    const progId = loaded.programs[0].id;
    const ringId = loaded.maps.find((m) => m.name === 'samples')!.id;
    const countersId = loaded.maps.find((m) => m.name === 'produced')!.id;
    const counters = async () => {
      const { entries } = await client.mapEntries({ id: countersId });
      return entries.map((e) => Number(Buffer.from(e.value!, 'base64').readBigUInt64LE(0)));
    };
    const reset = async () => {
      // Whatever an earlier scenario left in the ring is consumed, then the counters start at zero.
      const drain = await client.subscribeEvents({ id: ringId }, { onBatch: () => undefined });
      await new Promise((r) => setTimeout(r, 300));
      await drain.dispose();
      await client.mapClear(countersId);
    };

    const rows: string[][] = [];
    const result = async (name: string, consumed: number, delivered: number | undefined, lag?: string) => {
      const [written, full] = await counters();
      rows.push([
        name,
        rate(written + full),
        rate(consumed),
        delivered === undefined ? '-' : rate(delivered),
        `${full.toLocaleString('en-US')}`,
        lag ?? '-',
      ]);
      return consumed;
    };

    // 1. The C consumer.
    await reset();
    const cConsumer = run(tool, ['consume', String(ringId), String(SECONDS + 0.5)]);
    await new Promise((r) => setTimeout(r, 100));
    await run(tool, ['produce', String(progId), String(SECONDS)]);
    const cConsumed = await result('C libbpf consumer (ring_buffer__poll, memcpy)', await cConsumer, undefined);

    // 2 and 3. The helper, with a client that keeps up and with a slow one.
    const helperRun = async (name: string, clientMsPerBatch: number) => {
      await reset();
      let last: EventsBatch | undefined;
      let delivered = 0;
      let maxLagMs = 0;
      const sub = await client.subscribeEvents(
        { id: ringId, batch: 256 },
        {
          onBatch: async (b) => {
            last = b;
            delivered += b.records.length;
            // How old the oldest record of the batch is when the client gets it.
            if (b.records.length) maxLagMs = Math.max(maxLagMs, Date.now() - b.records[0].time);
            if (clientMsPerBatch) await new Promise((r) => setTimeout(r, clientMsPerBatch));
          },
        },
      );
      await run(tool, ['produce', String(progId), String(SECONDS)]);
      await new Promise((r) => setTimeout(r, 500));
      await sub.dispose();
      const consumed = last?.received ?? 0;
      const lag = `${maxLagMs} ms; dropped ${(last?.dropped ?? 0).toLocaleString('en-US')}`;
      return result(name, consumed, delivered, lag);
    };
    const fast = await helperRun('helper (client acknowledges at once)', 0);
    const slow = await helperRun('helper (client takes 20 ms per batch)', 20);

    printTable(['consumer', 'offered', 'consumed', 'reached the client', 'ring full (producer dropped)', 'client lag max; dropped'], rows);
    console.log('');
    console.log(
      `- helper-side consumption vs C: ${(cConsumed / fast).toFixed(2)}x slower with a fast client, ${(cConsumed / slow).toFixed(2)}x with a slow one (goal: within 2x)`,
    );
    console.log(
      '- a batch is sent only after the previous one is acknowledged: the client is never more than one batch (256 records) behind; the rest is counted as dropped',
    );
    console.log(
      `- ${SECONDS} s of production per row; offered = records written + reservations that found the ring full; kernel ${os.release()}, ${os.cpus().length} CPUs`,
    );
  } finally {
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(helperDir, { recursive: true, force: true });
  }
}
