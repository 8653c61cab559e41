// Source placement that the line info alone gets wrong: the value a `return` statement returns
// (named constants included, so a hoisted `r0 = -1` finds its `return -EPERM;`), and the
// parameters of BPF_PROG()/BPF_KPROBE()-style wrappers, whose argument loads the compiler puts on
// the macro's line although the program reads them where the parameter is first used.

/** Constants of C and the UAPI headers that programs return by name (values are stable ABI). */
const KNOWN: Record<string, number> = {
  false: 0,
  true: 1,
  NULL: 0,
  XDP_ABORTED: 0,
  XDP_DROP: 1,
  XDP_PASS: 2,
  XDP_TX: 3,
  XDP_REDIRECT: 4,
  TC_ACT_UNSPEC: -1,
  TC_ACT_OK: 0,
  TC_ACT_RECLASSIFY: 1,
  TC_ACT_SHOT: 2,
  TC_ACT_PIPE: 3,
  TC_ACT_STOLEN: 4,
  TC_ACT_QUEUED: 5,
  TC_ACT_REPEAT: 6,
  TC_ACT_REDIRECT: 7,
  SK_DROP: 0,
  SK_PASS: 1,
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  ERANGE: 34,
  ENOTSUPP: 524,
  EOPNOTSUPP: 95,
  ECONNREFUSED: 111,
};

const NUMBER = /^(?:0x[0-9a-fA-F]+|\d+)[uUlL]*$/;

/** `#define NAME value` (a plain number or a known constant) in a source, by name. */
export function definesOf(lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) {
    const m = /^\s*#\s*define\s+([A-Za-z_]\w*)\s+\(?\s*(-?)\s*(\w+)\s*\)?\s*(?:\/[*/].*)?$/.exec(l);
    if (!m) continue;
    const v = NUMBER.test(m[3]) ? parseInt(m[3], m[3].startsWith('0x') ? 16 : 10) : (out.get(m[3]) ?? KNOWN[m[3]]);
    if (v !== undefined) out.set(m[1], m[2] ? -v : v);
  }
  return out;
}

/** The value of the expression a `return` returns, when it is a constant: `0`, `(-1)`, `-EPERM`, `XDP_DROP`. */
export function returnedConstant(statement: string, defines: ReadonlyMap<string, number> = new Map()): number | undefined {
  const m = /\breturn\s*\(?\s*(-?)\s*(\w+)\s*\)?\s*;/.exec(statement);
  if (!m) return undefined;
  const name = m[2];
  const v = NUMBER.test(name) ? parseInt(name, name.startsWith('0x') ? 16 : 10) : (defines.get(name) ?? KNOWN[name]);
  return v === undefined ? undefined : m[1] ? -v : v;
}

/** A `return` whose value is a call or an expression: the value is set wherever that code is (an inlined helper). */
export const returnsComputed = (statement: string): boolean =>
  /\breturn\b/.test(statement) && returnedConstant(statement) === undefined && !/\breturn\s+[A-Za-z_]\w*\s*;/.test(statement);

/**
 * The wrapper macros of bpf_tracing.h and the argument each context offset loads. BPF_PROG and
 * its relatives read u64 slots of an array (`ctx[n]`); BPF_KPROBE reads pt_regs registers
 * (x86-64 offsets of di, si, dx, cx, r8, r9).
 */
const KPROBE_X86 = [112, 104, 96, 88, 72, 64];

export function wrapperArgument(macro: string, disasm: string): number | undefined {
  const m = /^r\d+ = \*\(u(?:64|32|16|8) \*\)\(r\d+ \+(\d+)\)$/.exec(disasm);
  if (!m) return undefined;
  const off = Number(m[1]);
  if (/^BPF_(?:PROG|PROG2|TRACE|STRUCT_OPS)$/.test(macro)) return off % 8 === 0 ? off / 8 : undefined;
  if (/^BPF_(?:KPROBE|UPROBE|KRETPROBE|URETPROBE|KSYSCALL|KPROBE_SYSCALL)$/.test(macro)) {
    const i = KPROBE_X86.indexOf(off);
    return i >= 0 ? i : undefined;
  }
  return undefined;
}

/**
 * A wrapper's header at `line` (it may span lines): the macro and the names of its parameters,
 * the first argument being the program's name.
 */
export function wrapperHeader(lines: readonly string[], line: number): { macro: string; params: string[]; bodyStart: number } | undefined {
  const first = lines[line - 1];
  const m = first ? /\b(BPF_[A-Z_0-9]+)\s*\(/.exec(first) : null;
  if (!m) return undefined;
  let text = first.slice(m.index + m[0].length);
  let end = line - 1;
  let depth = 1;
  const close = () => {
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) return i;
    }
    return -1;
  };
  let at = close();
  while (at < 0 && end + 1 < lines.length && end < line + 8) {
    end++;
    depth = 1;
    text += ` ${lines[end]}`;
    at = close();
  }
  if (at < 0) return undefined;
  const parts = text
    .slice(0, at)
    .replace(/\/\*.*?\*\//g, '')
    .split(',')
    .map((s) => s.trim());
  const params = parts.slice(1).map((p) => /(\w+)\s*(?:\[[^\]]*\])?$/.exec(p)?.[1] ?? '');
  return { macro: m[1], params, bodyStart: end + 2 };
}

/** The first line of the function body from `bodyStart` that uses identifier `name`, before the function ends. */
export function firstUse(lines: readonly string[], bodyStart: number, name: string): number | undefined {
  const re = new RegExp(String.raw`\b${name}\b`);
  for (let i = bodyStart - 1; i < lines.length; i++) {
    if (/^\}/.test(lines[i])) return undefined;
    const code = lines[i].replace(/\/\*.*?\*\/|\/\/.*$/g, '');
    if (re.test(code)) return i + 1;
  }
  return undefined;
}
