// Walks back through the instructions the verifier printed to find where a register got the
// value the verifier complains about: `r3 = r6` hands the question to r6, `r3 += 8` keeps the
// pointer's type, a stack spill is followed to the store, and anything else (a 64-bit address
// load, a helper call, a memory load) is the origin.

export type HistoryRecord = { kind: 'insn'; index: number; disasm: string } | { kind: 'branch'; from: number; to: number };

/** Keeps the most recent records only, so a 100 MB level-2 log is walked in bounded memory. */
export class History {
  private items: HistoryRecord[] = [];
  constructor(private readonly limit: number) {}

  push(r: HistoryRecord): void {
    this.items.push(r);
    if (this.items.length > this.limit * 2) this.items = this.items.slice(this.items.length - this.limit);
  }

  clear(): void {
    this.items = [];
  }

  get records(): readonly HistoryRecord[] {
    return this.items;
  }

  /** Position of the last instruction record. */
  lastInsnPos(): number {
    for (let i = this.items.length - 1; i >= 0; i--) if (this.items[i].kind === 'insn') return i;
    return -1;
  }
}

export interface OriginStep {
  insnIndex: number;
  disasm: string;
  /** What happened to the tracked value at this instruction. */
  role: 'origin' | 'copy' | 'arith' | 'spill' | 'fill' | 'call' | 'copied-in';
  register: number;
}

const REG = String.raw`[rw](\d+)`;
const RE_MOV = new RegExp(String.raw`^${REG} = (?:\(\w+\))?${REG}$`);
const RE_ARITH = new RegExp(String.raw`^${REG} (?:[-+*/%&|^]|<<|>>|s>>)= (.*)$`);
const RE_FILL = new RegExp(String.raw`^${REG} = \*\(\w+ \*\)\(r10 ([-+]\d+)\)$`);
const RE_ASSIGN = new RegExp(String.raw`^${REG} = (.*)$`);
const RE_SPILL = /^\*\(\w+ \*\)\(r10 ([-+]\d+)\) = r(\d+)$/;
const RE_MEM_OPERAND = /\*\(\w+ \*\)\(r(\d+) ([-+]\d+)\)/;

/** The base register of the memory operand of an instruction (`*(u32 *)(r1 +8)` -> 1). */
export function memoryOperandRegister(disasm: string): number | undefined {
  const m = RE_MEM_OPERAND.exec(disasm);
  return m ? Number(m[1]) : undefined;
}

/** The previous record in execution order: a `from A to B` record sends us back to the jump at A. */
export function previous(records: readonly HistoryRecord[], pos: number): number {
  const r = records[pos];
  if (r && r.kind === 'branch') {
    for (let i = pos - 1; i >= 0; i--) {
      const q = records[i];
      if (q.kind === 'insn' && q.index === r.from) return i;
    }
    return -1;
  }
  return pos - 1;
}

/**
 * Follow register `reg` back from the record before `fromPos`. Returns the chain of steps, the
 * last one being the origin (or the furthest point the log let us reach).
 */
export function traceRegister(
  records: readonly HistoryRecord[],
  fromPos: number,
  reg: number,
  maxSteps = 64,
  { throughCopies = false } = {},
): OriginStep[] {
  const steps: OriginStep[] = [];
  let slot: number | undefined; // tracking a stack slot instead of a register
  let pos = previous(records, fromPos);
  let guard = records.length + 8;
  while (pos >= 0 && guard-- > 0 && steps.length < maxSteps) {
    const r = records[pos];
    if (r.kind === 'insn') {
      const d = r.disasm;
      if (slot !== undefined) {
        const s = RE_SPILL.exec(d);
        // A helper that copies into a buffer (bpf_probe_read_kernel(&slot, ...)) wrote the slot last.
        if (
          !throughCopies &&
          /^call bpf_(?:probe_read\w*|copy_from_user\w*|skb_load_bytes\w*|get_current_comm|d_path|get_stack\w*)#/.test(d) &&
          bufferArgIs(records, pos, slot)
        ) {
          steps.push({ insnIndex: r.index, disasm: d, role: 'copied-in', register: 1 });
          return steps;
        }
        if (s && Number(s[1]) === slot) {
          reg = Number(s[2]);
          slot = undefined;
          steps.push({ insnIndex: r.index, disasm: d, role: 'spill', register: reg });
        }
      } else if (/^call /.test(d) && reg <= 5) {
        steps.push({ insnIndex: r.index, disasm: d, role: reg === 0 ? 'call' : 'origin', register: reg });
        return steps;
      } else {
        let m: RegExpExecArray | null;
        if ((m = RE_MOV.exec(d)) && Number(m[1]) === reg) {
          steps.push({ insnIndex: r.index, disasm: d, role: 'copy', register: reg });
          reg = Number(m[2]);
        } else if ((m = RE_ARITH.exec(d)) && Number(m[1]) === reg) {
          steps.push({ insnIndex: r.index, disasm: d, role: 'arith', register: reg });
        } else if ((m = RE_FILL.exec(d)) && Number(m[1]) === reg) {
          steps.push({ insnIndex: r.index, disasm: d, role: 'fill', register: reg });
          slot = Number(m[2]);
        } else if ((m = RE_ASSIGN.exec(d)) && Number(m[1]) === reg) {
          steps.push({ insnIndex: r.index, disasm: d, role: 'origin', register: reg });
          return steps;
        }
      }
    }
    pos = previous(records, pos);
  }
  return steps;
}

/** Whether R1 at the call at `pos` (a helper's destination buffer; R2 for bpf_skb_load_bytes' is R3) is the stack slot fp`slot`. */
function bufferArgIs(records: readonly HistoryRecord[], pos: number, slot: number): boolean {
  const call = records[pos];
  const reg = call.kind === 'insn' && /^call bpf_skb_load_bytes/.test(call.disasm) ? 3 : 1;
  for (let i = pos - 1, seen = 0; i >= 0 && seen < 8; i--, seen++) {
    const r = records[i];
    if (r.kind !== 'insn') return false;
    const add = new RegExp(String.raw`^r${reg} \+= (-?\d+)$`).exec(r.disasm);
    if (add)
      return Number(add[1]) === slot && records.slice(Math.max(0, i - 4), i).some((q) => q.kind === 'insn' && q.disasm === `r${reg} = r10`);
    if (new RegExp(String.raw`^r${reg} = `).test(r.disasm)) return false;
  }
  return false;
}

/** In `rD += rS` style arithmetic, the source register (the offset added to a pointer), if any. */
export function arithmeticSource(disasm: string): number | undefined {
  const m = RE_ARITH.exec(disasm);
  if (!m) return undefined;
  const s = /^[rw](\d+)$/.exec(m[2].trim());
  return s ? Number(s[1]) : undefined;
}
