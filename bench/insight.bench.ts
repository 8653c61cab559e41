// Insight (#13) on a verifier log of 100 MB+: a real level-2 log of a program the verifier gives
// up on after 1,000,000 instructions (test/fixtures/insight/too-large.bpf.c, loaded in-process by
// the helper's own loader (src/helper/load.ts) so no message size limit applies). Each way runs in its own process,
// bundled like dist/, and reports time to the first view and peak RSS (VmHWM):
//   insight  — index the file, open the stepper at the error, compute the heat map;
//   analyze  — the verifier decoder (#4) streaming the same file (diagnostics only);
//   hold     — read the whole log into memory as lines, as a viewer that keeps the text does.
// Measured on its last 100 MB (the goal: first view < 2 s and < 300 MB) and on all of it. Needs root, clang and a BPF-capable kernel.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { kernelTestsUnavailable } from '../test/kernel/requirements';

const MB = 1024 * 1024;
const ROOT = path.join(__dirname, '..');

/** The last `bytes` of a log, from a line start: still a real log that ends at its error. */
function tail(file: string, bytes: number, out: string): string {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(Math.min(bytes + 4096, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    const start = buf.indexOf(10, buf.length - bytes) + 1;
    writeFileSync(out, buf.subarray(start));
  } finally {
    closeSync(fd);
  }
  return out;
}

async function realLog(dir: string): Promise<string> {
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  const object = path.join(dir, 'too-large.bpf.o');
  execFileSync('clang', [
    '-g',
    '-O2',
    '-target',
    'bpf',
    `-I/usr/include/${multiarch}`,
    '-c',
    path.join(ROOT, 'test/fixtures/insight/too-large.bpf.c'),
    '-o',
    object,
  ]);
  // The helper's own loader, in this process: no message size limit between it and the bench.
  const { loadObject } = await import('../src/helper/load');
  const { readFileSync } = await import('node:fs');
  const file = path.join(dir, 'too-large.level2.log');
  try {
    loadObject({ bytes: readFileSync(object), name: 'too-large.bpf.o', what: object }, 2, undefined, () => undefined);
    throw new Error('too-large.bpf.c loaded; the bench needs the verifier to give up');
  } catch (e) {
    const log = (e as { details?: { verifierLog?: string } }).details?.verifierLog;
    if (!log) throw e;
    writeFileSync(file, log);
  }
  return file;
}

export default async function run(): Promise<void> {
  const why = kernelTestsUnavailable();
  if (why) {
    console.log(`skipped: ${why} (the bench loads a real program to get a real verifier log)`);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'insight-bench-'));
  try {
    // The kernel's log of 1M instructions at level 2 outgrows the helper's largest buffer (256 MB):
    // the kernel then keeps its last part, which still ends at the error.
    const full = await realLog(dir);
    const script = path.join(dir, 'view.js');
    await build({
      entryPoints: [path.join(__dirname, 'insight-view.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: script,
      logLevel: 'silent',
    });
    const measure = (mode: string, log: string) => {
      const r = spawnSync(process.execPath, [script, mode, log], { encoding: 'utf8', maxBuffer: 16 * MB });
      if (r.status !== 0) throw new Error(`${mode}: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | string>;
    };
    const ms = (v: unknown) => `${Number(v).toFixed(0)} ms`;
    const logs = [tail(full, 100 * MB, path.join(dir, 'tail-100MB.log')), full];
    console.log('| log | way | first view | peak RSS | detail |');
    console.log('|---|---|---|---|---|');
    let met = true;
    for (const log of logs) {
      const insight = measure('insight', log);
      const analyze = measure('analyze', log);
      const hold = measure('hold', log);
      const what = `${(statSync(log).size / MB).toFixed(0)} MB, ${Number(insight.steps).toLocaleString('en-US')} insn lines`;
      console.log(
        `| ${what} | insight: index + stepper at the error + heat map | ${ms(insight.firstViewMs)} | ${Number(insight.peakMb).toFixed(0)} MB | index ${ms(insight.indexMs)}, stepper ${ms(insight.stepperMs)}, heat ${ms(insight.heatMs)}; then ${Number(insight.stepMs).toFixed(2)} ms per step; hottest ${insight.hottest} |`,
      );
      console.log(
        `| | verifier decoder streaming it (diagnostics only) | ${ms(analyze.firstViewMs)} | ${Number(analyze.peakMb).toFixed(0)} MB | ${analyze.findings} finding(s) |`,
      );
      console.log(`| | the whole log held as lines | ${ms(hold.firstViewMs)} | ${Number(hold.peakMb).toFixed(0)} MB | |`);
      if (log !== full) met = Number(insight.firstViewMs) < 2000 && Number(insight.peakMb) < 300;
    }
    console.log('');
    console.log(`error at the end of both: ${String(measure('insight', logs[0]).error)}`);
    console.log(`goal for 100 MB: first view < 2 s and < 300 MB -> ${met ? 'met' : 'MISSED'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) void run();
