// clangd configuration for BPF C: the same target and include flags as the build, applied only to
// *.bpf.c so user-space C in the same folder keeps its own flags.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { bpfCompileFlags } from './flags';

const MARKER = '# Written by eBPF Workbench';

export function clangdConfig(includeDirs: readonly string[], extraFlags: readonly string[] = []): string {
  // -g/-O2 change nothing for clangd's analysis; keep the flags that change what the code means.
  const flags = bpfCompileFlags(includeDirs, extraFlags).filter((f) => f !== '-g' && f !== '-O2');
  return [
    `${MARKER} for *.bpf.c (delete this line to keep your own edits from being replaced).`,
    'If:',
    '  PathMatch: .*\\.bpf\\.c',
    'CompileFlags:',
    `  Add: [${flags.map((f) => JSON.stringify(f)).join(', ')}]`,
    '',
  ].join('\n');
}

/**
 * Writes `.clangd` in the folder unless the user already has one of their own.
 * Returns what happened so the caller can say it.
 */
export async function writeClangdConfig(
  folder: string,
  includeDirs: readonly string[],
  extraFlags: readonly string[] = [],
): Promise<'written' | 'unchanged' | 'user-owned'> {
  const file = path.join(folder, '.clangd');
  const wanted = clangdConfig(includeDirs, extraFlags);
  const existing = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (existing === wanted) return 'unchanged';
  if (existing !== undefined && !existing.startsWith(MARKER)) return 'user-owned';
  await fs.writeFile(file, wanted);
  return 'written';
}
