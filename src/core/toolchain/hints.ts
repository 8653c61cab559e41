// Extra advice for clang messages that BPF newcomers hit, and a check that a file is BPF C at all.
// Pure: no vscode, no I/O.

interface Hint {
  matches: RegExp;
  hint: string;
}

const hints: Hint[] = [
  {
    matches: /'vmlinux\.h' file not found/,
    hint: "vmlinux.h is generated from the target kernel's BTF: run 'eBPF: Generate vmlinux.h' (it is written to the workspace folder, which is on the include path).",
  },
  {
    matches: /'(gnu\/stubs-32\.h|bits\/[\w.-]+|sys\/cdefs\.h|stdio\.h|stdlib\.h|string\.h)' file not found/,
    hint: 'BPF programs cannot include C library (glibc) headers: they run in the kernel. Use vmlinux.h or linux/*.h for types, and bpf/bpf_helpers.h for helpers (__builtin_memcpy/__builtin_memset replace string.h).',
  },
  {
    matches: /'asm\/(types|byteorder|posix_types)\.h' file not found/,
    hint: "linux/*.h needs the kernel's UAPI headers for your architecture: install them (Debian/Ubuntu: 'sudo apt install linux-libc-dev'), or include vmlinux.h instead.",
  },
  {
    matches: /'bpf\/bpf_(helpers|tracing|core_read|endian)\.h' file not found/,
    hint: "libbpf's headers are missing: install them (Debian/Ubuntu: 'sudo apt install libbpf-dev') or add their folder with -I in 'ebpfWorkbench.clang.extraFlags'.",
  },
  {
    matches: /BPF stack limit of 512 bytes is exceeded/,
    hint: 'A BPF program has 512 bytes of stack for all its local variables, including inlined functions. Keep large buffers in a BPF_MAP_TYPE_PERCPU_ARRAY map with one element and look it up at the start of the program.',
  },
  {
    matches: /[Uu]nsupport(ed)? signed division/,
    hint: 'The BPF instruction set before v4 (clang -mcpu=v4, kernel 6.6) has only unsigned division and modulo. Divide unsigned values (cast both operands), or build with -mcpu=v4 if your kernel and clang (18+) support it.',
  },
  {
    matches: /too many args to|only up to 5 args|too many arguments/i,
    hint: 'BPF functions take at most 5 arguments (registers R1-R5). Pass a pointer to a struct for more.',
  },
  {
    matches: /A call to built-in function '(\w+)' is not supported/,
    hint: 'BPF has no C library: the compiler turned this into a library call. Use __builtin_memcpy/__builtin_memset with a constant size, or a bounded loop.',
  },
  {
    matches: /[Uu]nsupported stack size|stack arguments are not supported|pass by value not supported/,
    hint: 'Arguments of BPF-to-BPF calls must fit in registers: pass structs by pointer.',
  },
];

export function hintFor(message: string): string | undefined {
  return hints.find((h) => h.matches.test(message))?.hint;
}

/**
 * libbpf finds programs and maps by ELF section: a file without SEC() would build into an object
 * with nothing to load, which usually means it is user-space C named *.bpf.c by mistake.
 */
export function looksLikeBpfC(source: string): boolean {
  return /\bSEC\s*\(|__attribute__\s*\(\(\s*section\s*\(/.test(source);
}
