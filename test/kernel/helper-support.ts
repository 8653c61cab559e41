// Shared by test/kernel/helper*.test.ts: compiles the fixtures with the real clang, starts the
// helper from source (through tsx) as a real child process, and checks the kernel with bpftool.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { HelperClient, HelperProcess, HelperTransport } from '../../src/core/connection/client';
import { localTransport } from '../../src/core/connection/local';

export const repoRoot = path.resolve(__dirname, '..', '..');
const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'helper');

/** Compiles `source` (a .bpf.c) with the real clang into `outDir`/`outName`.bpf.o; returns its path. */
export function compileBpf(source: string, outDir: string, extra: string[] = [], outName = path.basename(source, '.bpf.c')): string {
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  const out = path.join(outDir, `${outName}.bpf.o`);
  execFileSync('clang', ['-g', '-O2', '-target', 'bpf', '-Wall', `-I/usr/include/${multiarch}`, ...extra, '-c', source, '-o', out]);
  return out;
}

/** Compiles fixture `name`.bpf.c of test/fixtures/helper (with extra clang args) into `outDir`. */
export function compileFixture(outDir: string, name: string, extra: string[] = [], outName = name): string {
  return compileBpf(path.join(fixtureDir, `${name}.bpf.c`), outDir, extra, outName);
}

/** The helper and the CLI bundled as dist/ has them (helper.js, cli.js, bpf/), into `outDir`. */
export async function bundleCli(outDir: string): Promise<void> {
  const common = {
    bundle: true,
    platform: 'node' as const,
    format: 'cjs' as const,
    target: 'node20',
    external: ['koffi'],
    logLevel: 'error' as const,
  };
  await esbuild.build({ ...common, entryPoints: [path.join(repoRoot, 'src/helper/main.ts')], outfile: path.join(outDir, 'helper.js') });
  await esbuild.build({ ...common, entryPoints: [path.join(repoRoot, 'src/cli/main.ts')], outfile: path.join(outDir, 'cli.js') });
  fs.cpSync(path.join(repoRoot, 'dist', 'bpf'), path.join(outDir, 'bpf'), { recursive: true });
}

/** The helper's own BPF objects (dist/bpf), as `npm run build` makes them. */
export function buildHelperBpf(): void {
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-bpf.mjs')], { stdio: 'inherit' });
}

/** Polls `cond` every 20 ms until it holds; fails the test naming `what` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-helper-'));
}

/** A transport that runs src/helper/main.ts under tsx and remembers the processes it started. */
export function sourceTransport(): HelperTransport & { processes: HelperProcess[] } {
  const inner = localTransport({ nodeArgs: ['--import', 'tsx'], helperPath: path.join(repoRoot, 'src', 'helper', 'main.ts') });
  const processes: HelperProcess[] = [];
  return {
    description: inner.description,
    processes,
    async start() {
      const p = await inner.start();
      processes.push(p);
      return p;
    },
    explainStartFailure: inner.explainStartFailure,
  };
}

export function startHelper(): { client: HelperClient; transport: ReturnType<typeof sourceTransport> } {
  const transport = sourceTransport();
  return { client: new HelperClient(transport), transport };
}

/** Arguments of the fixture's raw_tp programs: up to three u64 as the test-run context. */
export function u64Args(...values: number[]): string {
  const b = Buffer.alloc(8 * 3);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), i * 8));
  return b.toString('base64');
}

/** Does the kernel still have this program / map? (bpftool, independent of our code) */
export function kernelHas(kind: 'prog' | 'map', id: number): boolean {
  try {
    execFileSync('bpftool', [kind, 'show', 'id', String(id)], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Waits until the kernel has freed a program or map (freeing is deferred after the last fd closes). */
export async function waitGone(kind: 'prog' | 'map', id: number, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (kernelHas(kind, id)) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

export function bpftoolJson<T>(args: string[]): T {
  return JSON.parse(execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8' })) as T;
}

/**
 * For tests that run as another user (nobody, a throwaway SSH user): root's home is mode 0700, so
 * that user cannot read the checkout. Copies what it needs into `dir` (root-owned, world-readable):
 * the helper bundle as it ships to SSH targets (dist/helper.js of `npm run build`, its BPF objects,
 * koffi) under `dir/helper/`, and
 * `entry` (a TypeScript file of the test's) bundled into one self-contained `dir/<name>.cjs`.
 */
export function readableCopy(dir: string, entry: string): { helperPath: string; script: string } {
  const { collectBundle } = require('../../src/core/connection/ship') as typeof import('../../src/core/connection/ship');
  const esbuild = require('esbuild') as typeof import('esbuild');
  buildHelperBpf();
  const bundle = collectBundle(repoRoot, os.machine(), 'glibc');
  for (const f of bundle.files) {
    const to = path.join(dir, 'helper', f.name);
    fs.mkdirSync(path.dirname(to), { recursive: true, mode: 0o755 });
    fs.writeFileSync(to, f.data, { mode: 0o644 });
  }
  const script = path.join(dir, `${path.basename(entry, '.ts')}.cjs`);
  esbuild.buildSync({
    entryPoints: [entry],
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
  });
  fs.chmodSync(script, 0o644);
  fs.chmodSync(dir, 0o755);
  return { helperPath: path.join(dir, 'helper', 'helper.js'), script };
}

/**
 * Tests that pin with a tool of their own (attach-pin.c, standing in for another loader) need
 * bpffs first, and mount it the way bpftool does when it pins. The helper mounts it by itself
 * (test/kernel/helper-mounts.test.ts proves that on a namespace without it).
 */
export function mountBpffsLikeBpftool(): void {
  if (fs.statfsSync('/sys/fs/bpf').type !== 0xcafe4a11) execFileSync('mount', ['-t', 'bpf', '-o', 'mode=0700', 'bpf', '/sys/fs/bpf']);
}

const crasherDir = path.resolve(__dirname, '../fixtures/helper/crashers');

/** The fixed regression cases: the real object with each crasher's two bits flipped. */
export function crashers(): { name: string; bytes: Buffer }[] {
  const spec = JSON.parse(fs.readFileSync(path.join(crasherDir, 'crashers.json'), 'utf8')) as {
    source: string;
    crashers: { mutant: number | string; bits: number[] }[];
  };
  const original = fs.readFileSync(path.join(crasherDir, spec.source));
  return spec.crashers.map((c) => {
    const bytes = Buffer.from(original);
    for (const b of c.bits) bytes[b >> 3] ^= 1 << (b & 7);
    return { name: `mutant ${c.mutant}`, bytes };
  });
}

/** The helper from source in a new mount namespace where `unmount` are unmounted first: a machine
 *  booted without them, without touching this one's mounts. */
export function unmountedTransport(unmount: string[], description: string): HelperTransport {
  // The test's own shell line (not the product's): unmount in the namespace, then become the helper.
  const script = unmount.map((m) => `umount -l ${m} 2>/dev/null; `).join('') + 'exec "$@"';
  const argv = ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', process.execPath, '--import', 'tsx'];
  argv.push(path.join(repoRoot, 'src', 'helper', 'main.ts'));
  return {
    description,
    async start() {
      const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], cwd: repoRoot });
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on('exit', (code, signal) => resolve({ code, signal })),
      );
      return { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr, exited, kill: (s) => child.kill(s) };
    },
  };
}
