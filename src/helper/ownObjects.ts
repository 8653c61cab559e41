// The helper's own BPF objects (bpf/count/*.bpf.c, built by scripts/build-bpf.mjs): trusted, so
// libbpf loads them in the root helper itself (counting) and to warm up object hosts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HelperError } from './errors';

/** Where the BPF objects built by scripts/build-bpf.mjs are: next to the bundle, or in dist/ from source. */
export function bpfObjectPath(name: string): string {
  const candidates = [
    process.env.EBPF_WORKBENCH_BPF_DIR,
    path.join(__dirname, 'bpf'),
    path.join(__dirname, '..', '..', 'dist', 'bpf'),
  ].filter((d): d is string => !!d);
  for (const d of candidates) {
    const p = path.join(d, name);
    if (fs.existsSync(p)) return p;
  }
  throw new HelperError('FILE_NOT_FOUND', `${name} is missing (looked in ${candidates.join(', ')})`, {
    fix: 'build the extension (npm run build compiles bpf/count/*.bpf.c with clang)',
  });
}
