// A BPF instruction printer that writes what the kernel's own printer (kernel/bpf/disasm.c, used
// by the verifier log and by `bpftool prog dump xlated`) writes, so our lines can be compared with
// theirs character for character. Pure: 8-byte instructions in, text out. There is no JS library
// for BPF instructions; this file is the whole of it.

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** How the caller names what the bytes cannot: call targets and 64-bit immediates (map ids, symbols). */
export interface PrintOptions {
  /** Name of a call target (helper, kfunc, subprogram), e.g. from kallsyms; undefined: the kernel's default. */
  callName?: (insn: BpfInsn, index: number) => string | undefined;
  /** Text of a 64-bit immediate load; undefined: `0x...` as the kernel prints it. */
  immName?: (insn: BpfInsn, next: BpfInsn, full: bigint, index: number) => string | undefined;
  /** Helper names by id (func_id_str in the kernel), for calls with a small helper id. */
  helperName?: (id: number) => string | undefined;
}

export interface PrintedInsn {
  index: number;
  /** `(op) text` exactly as the kernel prints it after `N: `. */
  text: string;
  /** 2 for a 64-bit immediate load (ld_imm64), else 1. */
  width: 1 | 2;
}

// Classes, ops and modes of include/uapi/linux/bpf_common.h and bpf.h.
const LD = 0x00,
  LDX = 0x01,
  ST = 0x02,
  STX = 0x03,
  ALU = 0x04,
  JMP = 0x05,
  JMP32 = 0x06,
  ALU64 = 0x07;
const X = 0x08; // source operand is a register (BPF_X), not the immediate (BPF_K)
const MODE_IMM = 0x00,
  MODE_ABS = 0x20,
  MODE_IND = 0x40,
  MODE_MEM = 0x60,
  MODE_MEMSX = 0x80,
  MODE_ATOMIC = 0xc0;
const SIZE_DW = 0x18;
const OP_DIV = 0x30,
  OP_NEG = 0x80,
  OP_MOD = 0x90,
  OP_MOV = 0xb0,
  OP_END = 0xd0;
const OP_CALL = 0x80,
  OP_EXIT = 0x90,
  OP_JA = 0x00,
  OP_JCOND = 0xe0;
const FETCH = 0x01,
  XCHG = 0xe0 | FETCH,
  CMPXCHG = 0xf0 | FETCH,
  LOAD_ACQ = 0x100,
  STORE_REL = 0x110;
const PSEUDO_MAP_FD = 1,
  PSEUDO_MAP_VALUE = 2,
  PSEUDO_CALL = 1,
  PSEUDO_KFUNC_CALL = 2,
  MAY_GOTO = 0;

const CLASS = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];
const ALU_OP: Record<number, string> = {
  0x00: '+=',
  0x10: '-=',
  0x20: '*=',
  0x30: '/=',
  0x40: '|=',
  0x50: '&=',
  0x60: '<<=',
  0x70: '>>=',
  0x80: 'neg',
  0x90: '%=',
  0xa0: '^=',
  0xb0: '=',
  0xc0: 's>>=',
  0xd0: 'endian',
};
const ALU_SIGNED: Record<number, string> = { 0x30: 's/=', 0x90: 's%=' };
const MOVSX: Record<number, string> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };
const ATOMIC_OP: Record<number, string> = { 0x00: 'add', 0x50: 'and', 0x40: 'or', 0xa0: 'xor' };
const SIZE = ['u32', 'u16', 'u8', 'u64'];
const SIZE_SX = ['s32', 's16', 's8', ''];
const JMP_OP: Record<number, string> = {
  0x00: 'jmp',
  0x10: '==',
  0x20: '>',
  0x30: '>=',
  0x40: '&',
  0x50: '!=',
  0x60: 's>',
  0x70: 's>=',
  0x80: 'call',
  0x90: 'exit',
  0xa0: '<',
  0xb0: '<=',
  0xc0: 's<',
  0xd0: 's<=',
};

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const signed = (n: number) => (n >= 0 ? `+${n}` : `${n}`);
const u32hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/** Decodes little-endian instructions (the only byte order the kernel dumps on x86 and arm64). */
export function decodeInsns(bytes: Uint8Array): BpfInsn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let i = 0; i + 8 <= bytes.byteLength; i += 8) {
    const regs = view.getUint8(i + 1);
    out.push({
      code: view.getUint8(i),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(i + 2, true),
      imm: view.getInt32(i + 4, true),
    });
  }
  return out;
}

export const isLdImm64 = (insn: BpfInsn) => insn.code === (LD | MODE_IMM | SIZE_DW);

/** Every instruction, printed; the second half of an ld_imm64 has no line of its own. */
export function printProgram(insns: BpfInsn[], options: PrintOptions = {}): PrintedInsn[] {
  const out: PrintedInsn[] = [];
  for (let i = 0; i < insns.length; i++) {
    const wide = isLdImm64(insns[i]) && i + 1 < insns.length;
    out.push({ index: i, text: printInsn(insns, i, options), width: wide ? 2 : 1 });
    if (wide) i++;
  }
  return out;
}

/** One instruction as `(op) text`, the kernel's print_bpf_insn with the same callbacks bpftool gives it. */
export function printInsn(insns: BpfInsn[], index: number, options: PrintOptions = {}): string {
  const insn = insns[index];
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const p = `(${hex2(code)})`;
  if (cls === ALU || cls === ALU64) {
    const r = cls === ALU ? 'w' : 'r';
    if (op === OP_END) {
      if (cls === ALU64) return `${p} r${dst} = bswap${imm} r${dst}`;
      return `${p} r${dst} = ${code & X ? 'be' : 'le'}${imm} r${dst}`;
    }
    if (op === OP_NEG) return `${p} ${r}${dst} = -${r}${dst}`;
    if (code === (ALU64 | OP_MOV | X) && off === 1)
      return `${p} r${dst} = addr_space_cast(r${src}, ${(imm >>> 16) & 0xffff}, ${imm & 0xffff})`;
    if (code === (ALU64 | OP_MOV | X) && off === -1) return `${p} r${dst} = &(void __percpu *)(r${src})`;
    const sdiv = (op === OP_DIV || op === OP_MOD) && off === 1;
    const name = (sdiv ? ALU_SIGNED[op] : ALU_OP[op]) ?? '';
    if (code & X) {
      const sx = op === OP_MOV ? (MOVSX[off] ?? '') : '';
      return `${p} ${r}${dst} ${name} ${sx}${r}${src}`;
    }
    return `${p} ${r}${dst} ${name} ${imm}`;
  }
  const size = (code >> 3) & 0x03;
  const mode = code & 0xe0;
  if (cls === STX) {
    if (mode === MODE_MEM) return `${p} *(${SIZE[size]} *)(r${dst} ${signed(off)}) = r${src}`;
    if (mode === MODE_ATOMIC) {
      const w = size === SIZE_DW >> 3 ? '64' : '';
      if (ATOMIC_OP[imm] !== undefined) return `${p} lock *(${SIZE[size]} *)(r${dst} ${signed(off)}) ${ALU_OP[imm]} r${src}`;
      if (imm & FETCH && ATOMIC_OP[imm & ~FETCH] !== undefined)
        return `${p} r${src} = atomic${w}_fetch_${ATOMIC_OP[imm & ~FETCH]}((${SIZE[size]} *)(r${dst} ${signed(off)}), r${src})`;
      if (imm === CMPXCHG) return `${p} r0 = atomic${w}_cmpxchg((${SIZE[size]} *)(r${dst} ${signed(off)}), r0, r${src})`;
      if (imm === XCHG) return `${p} r${src} = atomic${w}_xchg((${SIZE[size]} *)(r${dst} ${signed(off)}), r${src})`;
      if (imm === LOAD_ACQ) return `${p} r${dst} = load_acquire((${SIZE[size]} *)(r${src} ${signed(off)}))`;
      if (imm === STORE_REL) return `${p} store_release((${SIZE[size]} *)(r${dst} ${signed(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }
  if (cls === ST) {
    if (mode === MODE_MEM) return `${p} *(${SIZE[size]} *)(r${dst} ${signed(off)}) = ${imm}`;
    if (mode === 0xc0) return `${p} nospec`;
    return `BUG_st_${hex2(code)}`;
  }
  if (cls === LDX) {
    if (mode !== MODE_MEM && mode !== MODE_MEMSX) return `BUG_ldx_${hex2(code)}`;
    return `${p} r${dst} = *(${mode === MODE_MEM ? SIZE[size] : SIZE_SX[size]} *)(r${src} ${signed(off)})`;
  }
  if (cls === LD) {
    if (mode === MODE_ABS) return `${p} r0 = *(${SIZE[size]} *)skb[${imm}]`;
    if (mode === MODE_IND) return `${p} r0 = *(${SIZE[size]} *)skb[r${src} + ${imm}]`;
    if (mode === MODE_IMM && size === SIZE_DW >> 3) {
      const next = insns[index + 1] ?? { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
      const full = (BigInt(next.imm >>> 0) << 32n) | BigInt(imm >>> 0);
      const named = options.immName?.(insn, next, full, index);
      return `${p} r${dst} = ${named ?? `0x${full.toString(16)}`}`;
    }
    return `BUG_ld_${hex2(code)}`;
  }
  if (cls === JMP || cls === JMP32) {
    if (op === OP_CALL) {
      if (src === PSEUDO_CALL) return `${p} call pc${funcName(insn, index, options) ?? signed(imm)}`;
      const name = funcName(insn, index, options) ?? (src === PSEUDO_KFUNC_CALL ? 'kernel-function' : 'unknown');
      return `${p} call ${name}#${imm}`;
    }
    if (code === (JMP | OP_JA)) return `${p} goto pc${signed(off)}`;
    if (code === (JMP | OP_JCOND) && src === MAY_GOTO) return `${p} may_goto pc${signed(off)}`;
    if (code === (JMP32 | OP_JA)) return `${p} gotol pc${signed(imm)}`;
    if (code === (JMP | OP_EXIT)) return `${p} exit`;
    const r = cls === JMP32 ? 'w' : 'r';
    if (code & X) return `${p} if ${r}${dst} ${JMP_OP[op] ?? ''} ${r}${src} goto pc${signed(off)}`;
    return `${p} if ${r}${dst} ${JMP_OP[op] ?? ''} ${u32hex(imm)} goto pc${signed(off)}`;
  }
  return `${p} ${CLASS[cls]}`;
}

/** The kernel's __func_get_name: a helper id it knows, else the caller's name for the target. */
function funcName(insn: BpfInsn, index: number, options: PrintOptions): string | undefined {
  if (insn.src === 0 && insn.imm >= 0) {
    const helper = options.helperName?.(insn.imm);
    if (helper) return helper;
  }
  return options.callName?.(insn, index);
}

/** bpftool's names for 64-bit immediates of a dumped (xlated) program: map ids and subprogram offsets. */
export function xlatedImmName(insn: BpfInsn, next: BpfInsn, full: bigint): string {
  if (insn.src === PSEUDO_MAP_FD) return `map[id:${insn.imm}]`;
  if (insn.src === PSEUDO_MAP_VALUE) return `map[id:${insn.imm}][0]+${next.imm}`;
  if (insn.src === 6 /* BPF_PSEUDO_MAP_IDX_VALUE */) return `map[idx:${insn.imm}]+${next.imm}`;
  if (insn.src === 4 /* BPF_PSEUDO_FUNC */) return `subprog[${signed(insn.imm)}]`;
  return `0x${full.toString(16)}`;
}

/** Registers an instruction writes and reads, for the backward slice over a log (r0..r10; fp offsets for stack slots). */
export interface InsnEffect {
  writes: string[];
  reads: string[];
  /** Stack slot written (`fp-8`) by a store through r10, or read by a load through r10. */
  stackWrite?: string;
  stackRead?: string;
}

/** What an instruction printed as text (`r1 = *(u64 *)(r10 -8)`, `call bpf_x#1`) defines and uses. */
export function effectOfText(disasm: string): InsnEffect {
  const text = disasm.replace(/^\([0-9a-f]{2}\)\s*/, '');
  const regs = (s: string) => [...s.matchAll(/\b[rw](\d+)\b/g)].map((m) => `r${m[1]}`);
  let m: RegExpExecArray | null;
  // A call reads its arguments and leaves r1-r5 unreadable (NOT_INIT); r0 is its result.
  if (/^call /.test(text)) return { writes: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5'], reads: ['r1', 'r2', 'r3', 'r4', 'r5'] };
  if (text === 'exit') return { writes: [], reads: ['r0'] };
  if ((m = /^\*\((?:u|s)\d+ \*\)\(r(\d+) ([+-]\d+)\) = (.*)$/.exec(text))) {
    const stackWrite = m[1] === '10' ? `fp${m[2] === '+0' ? '0' : m[2]}` : undefined;
    return { writes: [], reads: [`r${m[1]}`, ...regs(m[3])], stackWrite };
  }
  if ((m = /^lock \*\(\w+ \*\)\(r(\d+) [+-]\d+\) \S+ r(\d+)$/.exec(text))) return { writes: [], reads: [`r${m[1]}`, `r${m[2]}`] };
  if ((m = /^if [rw](\d+) \S+ (?:[rw](\d+)|\S+) goto/.exec(text)))
    return { writes: [], reads: m[2] ? [`r${m[1]}`, `r${m[2]}`] : [`r${m[1]}`] };
  if (/^(?:goto|gotol|may_goto) /.test(text)) return { writes: [], reads: [] };
  if ((m = /^[rw](\d+) = \*\((?:u|s)\d+ \*\)\(r(\d+) ([+-]\d+)\)$/.exec(text))) {
    const stackRead = m[2] === '10' ? `fp${m[3]}` : undefined;
    return { writes: [`r${m[1]}`], reads: [`r${m[2]}`], stackRead };
  }
  if ((m = /^[rw](\d+) = (.*)$/.exec(text))) return { writes: [`r${m[1]}`], reads: regs(m[2]) };
  if ((m = /^[rw](\d+) \S+= (.*)$/.exec(text))) return { writes: [`r${m[1]}`], reads: [`r${m[1]}`, ...regs(m[2])] };
  return { writes: [], reads: regs(text) };
}
