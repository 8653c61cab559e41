// Instructions interleaved with the source lines they came from: for a loaded program from the
// kernel's xlated dump and line info (what `bpftool prog dump xlated linum` prints), for a rejected
// one from its verifier log (the instructions the verifier printed, with the log's annotations).
// The text form is the "instructions document" the editor shows (syntaxes/bpf-instructions).
import type { ProgInsnsResult } from '../../protocol/types';
import { decodeInsns, printProgram, xlatedImmName } from './disasm';
import type { LogIndex, ProgramIndex } from './logIndex';

export interface ListedInsn {
  index: number;
  /** `(op) text`, as bpftool / the verifier print it after `N: `. */
  text: string;
  file?: string;
  /** 1-based; 0 for compiler-made code. */
  line?: number;
  column?: number;
  /** The source text of the line-info record covering the instruction. */
  source?: string;
  /** This instruction starts a line-info record (bpftool prints the `;` line before it). */
  startsLine: boolean;
  /** The function (BTF func info) that starts here. */
  functionName?: string;
  /** Byte range of its line's machine code in the JIT image, on the record's first instruction. */
  jited?: { offset: number; length: number };
}

export interface Listing {
  program: string;
  origin: 'xlated' | 'log';
  insns: ListedInsn[];
}

/** The last record whose instruction is at or before `insn` (libbpf's bpf_prog_linfo__lfind). */
function covering<T extends { insn: number }>(records: T[], insn: number): number {
  let lo = 0;
  let hi = records.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid].insn <= insn) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function listXlated(r: ProgInsnsResult): Listing {
  const insns = decodeInsns(Buffer.from(r.xlated, 'base64'));
  const printed = printProgram(insns, {
    callName: (_insn, index) => r.callNames[index],
    immName: (insn, next, full) => xlatedImmName(insn, next, full),
  });
  const records = [...r.lineInfo].sort((a, b) => a.insn - b.insn);
  const fnAt = new Map(r.functions.map((f) => [f.insn, f.name]));
  let last = -1;
  const jitedEnd = r.jited ? Buffer.from(r.jited.bytes, 'base64').length : 0;
  const out: ListedInsn[] = printed.map((p) => {
    const k = covering(records, p.index);
    const rec = k >= 0 ? records[k] : undefined;
    const startsLine = k >= 0 && k !== last;
    last = k;
    let jited: ListedInsn['jited'];
    if (startsLine && rec?.jitedOffset !== undefined) {
      const next = records.slice(k + 1).find((x) => x.jitedOffset !== undefined && x.jitedOffset > rec.jitedOffset!);
      const fn = r.jited?.functions.find((f) => rec.jitedOffset! >= f.offset && rec.jitedOffset! < f.offset + f.length);
      const end = Math.min(next?.jitedOffset ?? jitedEnd, fn ? fn.offset + fn.length : jitedEnd);
      jited = { offset: rec.jitedOffset, length: Math.max(0, end - rec.jitedOffset) };
    }
    return {
      index: p.index,
      text: p.text,
      file: rec?.file,
      line: rec?.line,
      column: rec?.column,
      source: rec?.text,
      startsLine,
      functionName: fnAt.get(p.index),
      jited,
    };
  });
  return { program: r.name, origin: 'xlated', insns: out };
}

/**
 * A rejected program's instructions from its log: level 2's liveness table lists every one (6.x);
 * otherwise those the verifier walked. Source lines are the log's annotations before each one.
 */
export async function listFromLog(
  index: LogIndex,
  program: ProgramIndex,
  readStep: (step: number) => Promise<string>,
  name = program.name ?? 'program',
): Promise<Listing> {
  const firstStepAt = new Map<number, number>();
  for (let s = program.firstStep; s < program.endStep; s++) if (!firstStepAt.has(index.stepInsn[s])) firstStepAt.set(index.stepInsn[s], s);
  const all = new Set<number>([...program.listing.keys(), ...firstStepAt.keys()]);
  const out: ListedInsn[] = [];
  let lastLine = -2;
  for (const insn of [...all].sort((a, b) => a - b)) {
    const step = firstStepAt.get(insn);
    let text = program.listing.get(insn);
    if (text === undefined && step !== undefined) text = (await readStep(step)).replace(/^\d+: /, '').replace(/\s+;.*$/, '');
    const lineId = step === undefined ? -1 : index.stepLine[step];
    const src = lineId >= 0 ? index.lines[lineId] : undefined;
    out.push({
      index: insn,
      text: text ?? '',
      file: src?.file,
      line: src?.line,
      source: src?.text,
      startsLine: lineId >= 0 && lineId !== lastLine,
    });
    if (lineId >= 0) lastLine = lineId;
  }
  return { program: name, origin: 'log', insns: out };
}

/** The document text: `name:` headers, `; source @ file:line` before each line's instructions, `  N: (op) text`. */
export function formatListing(listing: Listing, options: { basenames?: boolean } = {}): string {
  const out: string[] = [`${listing.program}:`];
  const base = (f: string) => (options.basenames ? f.slice(f.lastIndexOf('/') + 1) : f);
  for (const i of listing.insns) {
    if (i.functionName && i.index > 0) out.push('', `${i.functionName}:`);
    if (i.startsLine) {
      const where = i.file !== undefined ? ` @ ${base(i.file)}:${i.line ?? 0}` : '';
      out.push(`; ${(i.source ?? '').trim()}${where}${i.jited ? `  [jit ${i.jited.length} B at +0x${i.jited.offset.toString(16)}]` : ''}`);
    }
    out.push(`${String(i.index).padStart(4)}: ${i.text}`);
  }
  return out.join('\n') + '\n';
}
