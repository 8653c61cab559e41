// The clang command line for BPF objects, shared by the build, the task provider and clangd's config.
// Pure apart from checking which include folders exist.
import { existsSync } from 'node:fs';

/** Node's process.arch → the __TARGET_ARCH_* name libbpf's bpf_tracing.h expects. */
const targetArch: Record<string, string> = {
  x64: 'x86',
  ia32: 'x86',
  arm64: 'arm64',
  arm: 'arm',
  s390x: 's390',
  ppc64: 'powerpc',
  riscv64: 'riscv',
  loong64: 'loongarch',
  mips: 'mips',
  mipsel: 'mips',
};

/** Debian/Ubuntu keep asm/types.h (needed by linux/bpf.h) under a multiarch folder. */
const multiarch: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  s390x: 's390x-linux-gnu',
  ppc64: 'powerpc64le-linux-gnu',
  riscv64: 'riscv64-linux-gnu',
  loong64: 'loongarch64-linux-gnu',
};

export function targetArchDefine(arch: string = process.arch): string {
  return `-D__TARGET_ARCH_${targetArch[arch] ?? arch}`;
}

export function systemIncludeDirs(arch: string = process.arch): string[] {
  const dir = multiarch[arch] && `/usr/include/${multiarch[arch]}`;
  return dir && existsSync(dir) ? [dir] : [];
}

/**
 * Flags for compiling BPF C, without input and output. `includeDirs` are searched before the
 * system folders (the workspace folder, where vmlinux.h is generated, goes there).
 */
export function bpfCompileFlags(includeDirs: readonly string[], extraFlags: readonly string[] = []): string[] {
  return [
    '-g',
    '-O2',
    '-target',
    'bpf',
    targetArchDefine(),
    ...includeDirs.map((d) => `-I${d}`),
    ...systemIncludeDirs().map((d) => `-idirafter${d}`),
    ...extraFlags,
  ];
}
