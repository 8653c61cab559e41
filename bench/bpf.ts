// What benches that talk to a real helper share: clang for BPF objects, an object of many maps,
// and the helper bundled from the current source as dist/helper.js is (tsx would add overhead).
import { execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const root = path.resolve(__dirname, '..');

export function compile(src: string, out: string): void {
  const multiarch = execFileSync('clang', ['-print-multiarch'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${multiarch}`, '-c', src, '-o', out]);
}

/** A BPF object with `n` small hash maps named `${prefix}0`.. */
export function manyMapsSource(n: number, prefix = 'm'): string {
  const maps = Array.from(
    { length: n },
    (_, i) =>
      `struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, __u32); } ${prefix}${i} SEC(".maps");`,
  );
  return `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n${maps.join('\n')}\nchar LICENSE[] SEC("license") = "GPL";\n`;
}

/** Compiles an object of `n` maps into `dir`; returns its path. */
export function manyMapsObject(dir: string, n: number, name: string): string {
  const src = path.join(dir, `${name}.bpf.c`);
  fs.writeFileSync(src, manyMapsSource(n));
  const out = path.join(dir, `${name}.bpf.o`);
  compile(src, out);
  return out;
}

/** Builds the helper's BPF objects and bundles the helper into out/`name`; returns helper.js's path. */
export async function bundleHelper(name: string): Promise<string> {
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-bpf.mjs')], { stdio: 'inherit' });
  const dir = path.join(root, 'out', name);
  await esbuild.build({
    entryPoints: [path.join(root, 'src/helper/main.ts')],
    outfile: path.join(dir, 'helper.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['koffi'],
    logLevel: 'error',
  });
  fs.cpSync(path.join(root, 'dist', 'bpf'), path.join(dir, 'bpf'), { recursive: true });
  return path.join(dir, 'helper.js');
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
