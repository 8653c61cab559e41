// Compiles the BPF C shipped with the helper (bpf/count/*.bpf.c) into dist/bpf/*.bpf.o.
// Called by esbuild.mjs; runnable alone: node scripts/build-bpf.mjs. CLANG overrides the compiler.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'bpf/count');
const outDir = path.join(root, 'dist/bpf');

export function buildBpf({ quiet = false } = {}) {
  const clang = process.env.CLANG || 'clang';
  // <linux/bpf.h> includes <asm/types.h>, which lives in the multiarch include directory.
  let multiarch;
  try {
    multiarch = execFileSync(clang, ['-print-multiarch'], { encoding: 'utf8' }).trim();
  } catch (e) {
    throw new Error(`build-bpf: cannot run ${clang} (${e.code ?? e.message}); install clang (apt install clang libbpf-dev) or set CLANG`, {
      cause: e,
    });
  }
  mkdirSync(outDir, { recursive: true });
  const built = [];
  for (const f of readdirSync(srcDir).filter((n) => n.endsWith('.bpf.c'))) {
    const src = path.join(srcDir, f);
    const out = path.join(outDir, f.replace(/\.c$/, '.o'));
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) continue;
    const args = ['-g', '-O2', '-target', 'bpf', '-Wall', '-Werror', '-c', src, '-o', out];
    if (multiarch) args.splice(4, 0, `-I/usr/include/${multiarch}`);
    execFileSync(clang, args, { stdio: 'inherit' });
    built.push(path.relative(root, out));
  }
  if (!quiet && built.length) console.log(`build-bpf: ${built.join(', ')}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildBpf();
