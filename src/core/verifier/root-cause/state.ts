// What a root-cause function gets: the finding, the walk, the sources, and readers over them.
import { contextField, programKind, type ProgramKind } from '../context';
import { type SourceLocation } from '../locate';
import { arithmeticSource, memoryOperandRegister, traceRegister, type HistoryRecord, type OriginStep } from '../provenance';
import { declaredName, fieldReadLine, functionHeader, sourceLine, statementText, withoutComment } from '../source-hints';
import { catalogEntry } from '../catalog';
import type { CatalogEntry, Finding, ProgramLog, RelatedLocation, RootCause } from '../types';
import { powerOfTwoMask, inlinedReturn } from './common';

/** What the analyzer knows when a finding is built: the finding, the walk, the sources. */
export interface CauseInput {
  f: Finding;
  /** The instruction the verifier stopped at (none for whole-program checks). */
  failing?: { index: number; disasm: string };
  /** The other lines printed with the message. */
  others: string[];
  records: readonly HistoryRecord[];
  /** The position of the last instruction in `records`. */
  pos: number;
  sources?: ReadonlyMap<string, string>;
  /** The register state before the failing instruction. */
  registers: Map<string, string>;
  log: ProgramLog;
  /** The SEC() name of the program. */
  section?: string;
  /** The text annotated at instruction 0 (the program's own line). */
  entryText?: string;
  /** The program libbpf named, when the verifier log did not. */
  libbpfProgram?: string;
  /** The loader's notes about symbols it did not relocate (`symbol has unknown section 6`). */
  relocationNotes?: readonly string[];
  /** `stack depth 24+440`: each function's frame (also when the log has no statistics line). */
  stackDepth?: string;
  locate(insn: number | undefined): SourceLocation | undefined;
  relatedAt(insn: number, message: string): RelatedLocation;
  findDisasm(insn: number): string | undefined;
}

export interface CauseState extends CauseInput {
  d: Record<string, string>;
  entry?: CatalogEntry;
  has(c: RootCause): boolean;
  program?: string;
  kind?: ProgramKind;
  /** The reference the message says was acquired and never released (`alloc_insn=N`). */
  alloc: RegExpExecArray | null;
  /** The register the message names (`R3`, or `arg#N` of a call as R(N+1)). */
  named?: number;
  /** The failing line's statement, with a call's continuation lines joined (for its arguments). */
  statement?: string;
  /** The register the message is about: the named one, else the failing access's base. */
  reg?: number;
  /** The register added to a pointer by the failing instruction (`r1 += r2`). */
  arith?: number;
  /** The context field the described register was loaded from. */
  fromField?: string;
  /** How the register's origin was explained: the origin step is left to the family's own cause. */
  branch?: 'stack' | 'origin' | 'released';
  /** The loop condition the verifier could not see change, when one was found. */
  loop?: { at: RelatedLocation; text?: string };
  steps: OriginStep[];
  origin(steps: OriginStep[]): OriginStep | undefined;
  isContext(at: number, reg: number): boolean;
  computed(steps: OriginStep[]): void;
  describe(steps: OriginStep[], what: string): void;
  posOf(insn: number): number;
}

export function stateOf(input: CauseInput): CauseState {
  const { f, records, pos, sources, relatedAt } = input;
  const entry = catalogEntry(f.catalogId);
  const d = f.details ?? {};
  const s: CauseState = { ...input, d, entry, steps: [], alloc: /alloc_insn=(\d+)/.exec(f.message) } as unknown as CauseState;
  s.has = (c) => !!entry?.causes?.includes(c) && (entry.causeWhen?.[c]?.test(f.message) ?? true);
  s.program = input.log.name;
  s.kind = programKind(input.section);
  s.origin = (steps: OriginStep[]) => steps[steps.length - 1];
  /** The register still holds the context pointer the program was called with (R1 at entry, or a copy of it). */
  s.isContext = (at: number, reg: number) => {
    const steps = traceRegister(records, at, reg);
    if (steps.some((x) => x.role !== 'copy')) return false;
    return steps.length ? /= r1$/.test(steps[steps.length - 1].disasm) : reg === 1;
  };
  /** The arithmetic on the value between its origin and here (`n - 1`, `pid & N`): where it was computed. */
  s.computed = (steps: OriginStep[]) => {
    const o = s.origin(steps);
    // A stack address (`r1 = r10; r1 += -16`) is not a computed value: its offset is the local's.
    if (o && /= r10$/.test(o.disasm)) return;
    const seen = new Set<number>();
    for (const st of steps) {
      if (st.role !== 'arith' || st === o) continue;
      const at = relatedAt(st.insnIndex, `the value is computed here (\`${st.disasm}\`)`);
      if (!at.line || at.line === f.line || seen.has(at.line) || seen.size >= 2) continue;
      seen.add(at.line);
      const mask = /&= (0x[0-9a-f]+|\d+)$/.exec(st.disasm);
      const n = mask ? Number(mask[1]) : NaN;
      const text = sourceLine(sources, at.file, at.line) ?? '';
      const name = /&\s*\(?\s*([A-Za-z_]\w*)\s*\)?/.exec(text.replace(/&&/g, ''))?.[1] ?? String(n);
      const masked = powerOfTwoMask(name, n);
      if (masked) {
        at.message = `masked with ${n} here (\`${st.disasm}\`): that keeps 0 and ${n}, not 0..${n - 1}`;
        f.explanation += ` The index is masked: ${masked}`;
        f.fix = `Mask with \`${name} - 1\`: \`x & (${name} - 1)\` keeps 0..${n - 1}.`;
      }
      f.related.push(at);
      const stmt = withoutComment(text);
      if (stmt && seen.size === 1 && !f.explanation.includes(stmt)) {
        // In another function (a helper returning the index): name it; an all-ones mask keeps 0..n.
        const header = sources && at.file && at.line && f.file && f.line ? functionHeader(sources, at.file, at.line) : undefined;
        const own = header && f.file && f.line ? functionHeader(sources!, f.file, f.line) : undefined;
        const fn =
          header && own && (header.line !== own.line || header.file !== own.file)
            ? declaredName(sourceLine(sources, header.file, header.line))
            : undefined;
        const ones = mask && n > 0 && ((n + 1) & n) === 0 ? `, which keeps 0..${n}` : '';
        f.explanation += ` The value is computed at \`${stmt}\`${fn ? ` in \`${fn}()\`` : ''}${ones}.`;
      }
      // The line calls an inlined function that does the arithmetic (`buf_idx(off)` masking its
      // argument): the line info names the call, the function's `return` is where it is written.
      const ret = sources && at.file ? inlinedReturn(sources, at.file, text, st.disasm) : undefined;
      if (ret && !f.related.some((r) => r.file === ret.file && r.line === ret.line)) {
        f.related.push({ file: ret.file, line: ret.line, message: `\`${ret.name}()\` computes the value here (\`${st.disasm}\`)` });
        if (!f.explanation.includes(ret.text)) f.explanation += ` \`${ret.name}()\` computes it: \`${ret.text}\`.`;
      }
    }
  };
  s.describe = (steps: OriginStep[], what: string) => {
    const o = s.origin(steps);
    if (!o) return;
    s.computed(steps);
    const at = relatedAt(o.insnIndex, `${what} (\`${o.disasm}\`)`);
    // A load from the context (`r1 = *(u64 *)(r1 +8)`): name the field, and when the compiler
    // moved the load onto the failing line (or line 0), the statement that reads that field.
    const ld = /^r\d+ = \*\(u\d+ \*\)\(r\d+ \+(\d+)\)$/.exec(o.disasm);
    const field =
      ld && s.kind?.struct && s.isContext(s.posOf(o.insnIndex), Number(/\(r(\d+)/.exec(o.disasm)![1]))
        ? contextField(s.kind.struct, Number(ld[1]))
        : undefined;
    if (field && field.off === Number(ld![1])) {
      s.fromField = field.name;
      at.message = `${what}: it is ctx->${field.name} (\`${o.disasm}\`)`;
      if (sources && f.file && f.line && (at.line === undefined || at.line === f.line)) {
        const read = fieldReadLine(sources, f.file, f.line, field.name);
        if (read) Object.assign(at, read);
      }
    }
    f.related.push(at);
  };
  s.posOf = (insn: number) => {
    for (let i = pos; i >= 0; i--) {
      const r = records[i];
      if (r.kind === 'insn' && r.index === insn) return i;
    }
    return pos;
  };

  const failing = input.failing;
  s.statement = statementText(input.sources, f.file, f.line, f.sourceText);
  s.named = f.details?.register ? Number(f.details.register.slice(1)) : undefined;
  const argNo = /\barg ?#?(\d)\b/.exec(f.message);
  if (s.named === undefined && argNo && failing && /^call /.test(failing.disasm)) s.named = Number(argNo[1]) + 1;
  // A message without a register whose continuation names one (`R4 max value is outside ...`).
  const continued = s.named === undefined ? /^R(\d+) /.exec(input.others.find((o) => /^R\d+ /.test(o)) ?? '') : null;
  if (continued && failing && /^call /.test(failing.disasm)) s.named = Number(continued[1]);
  s.arith = failing ? arithmeticSource(failing.disasm) : undefined;
  s.reg = s.named ?? (s.arith === undefined && failing ? memoryOperandRegister(failing.disasm) : undefined);
  return s;
}
