// The streaming analyzer: lines in, findings out. It keeps only what a finding can need —
// the annotation table of the current program, a bounded window of recent instructions for the
// provenance walk, the current register state, and the lines since the last instruction (the
// error candidates) — so memory stays bounded however long the log is.
import { catalogEntry } from './catalog';
import { sectionName } from './context';
import { explainMessage, matchEntry, matchFamily, stripMessagePrefixes } from './explain';
import { AnnotationTable, basename, findSource, resolveAnnotation, type Annotation, type SourceLocation } from './locate';
import { definesOf, firstUse, returnedConstant, returnsComputed, wrapperArgument, wrapperHeader } from './placement';
import { classifyLine, LineSplitter, parseRegisterState, splitRunOnLines, type LogLine } from './parse';
import { History, memoryOperandRegister, traceRegister } from './provenance';
import {
  mapAttributeLine,
  mapDefinitionProblem,
  functionEnd,
  programDefinition,
  returnAfter,
  sectionAbove,
  symbolDeclaration,
  sourceLine,
  argumentExpression,
  functionLocals,
  type LocalVariable,
  withoutComment,
  functionHeader,
  declaredName,
  ifBlock,
  statementText,
} from './source-hints';
import { errnoOf, errnoWords, libbpfSubject } from './libbpf-evidence';
import { findRootCause } from './root-cause';
import type { Analysis, AnalyzeOptions, Explanation, Finding, ProgramLog, RelatedLocation } from './types';
import { continuationPrefix, normalizeLine, Unframer, unflatten } from './unframe';

const MAX_CANDIDATES = 64;
const CLOSING_BRACE = /^\s*\}\s*;?\s*$/;
/** A global function's parameter of a type without a size, as the verifier notes it. */
const UNSIZED_ARG = /^arg#\d+ reference type\('.*'\) size cannot be determined/;
const NOTE =
  /^(?:reg type unsupported for arg#\d+ function|Unrecognized arg#\d+ type|func '\S+' arg\d+ |arg#\d+ reference type|btf_vmlinux is malformed)/;

interface ProgramState {
  log: ProgramLog;
  annotations: AnnotationTable;
  pending?: Annotation; // printed, waiting for its instruction
  fresh?: Annotation; // covers the current run of instructions until a jump
  lastInsnIndex?: number;
  lastOpcode?: string;
  history: History;
  // Register state, kept as raw text and parsed only when a finding needs it: the last full
  // state plus the changes printed after it (bounded; folded into `registers` when long).
  registers: Map<string, string>;
  stateDeltas: string[];
  lastInsn?: { index: number; disasm: string };
  candidates: string[];
  // 6.x prints time and stack depth before the `processed` line, older kernels after it.
  timeUsec?: number;
  stackDepth?: string;
  ended: boolean; // stats line seen: the next instruction starts a new program
  wrapped: boolean; // inside libbpf's BEGIN/END markers
  sawEnd: boolean;
  validating?: number; // `Validating f() func#N...` seen, its first instruction not yet
  validatingName?: string; // the last global function `Validating f() func#N...` named
}

export interface LogParser {
  push(chunk: string): void;
  end(): Analysis;
}

/** A streaming parser: feed chunks of any size, get the analysis at the end. */
export function createLogParser(options: AnalyzeOptions = {}): LogParser {
  options = { ...options, sources: objectSources(options.sources, options.lineInfo) };
  const historyLimit = options.historyLimit ?? 20000;
  const maxFindings = options.maxFindings ?? 1000;
  const maxPrograms = options.maxPrograms ?? 1000;
  const findings: Finding[] = [];
  const programs: ProgramLog[] = [];
  const omitted = { findings: 0, programs: 0 };
  const unframer = new Unframer();
  // Findings read from a loader's one-line summary; dropped when the full log states the same error.
  const fromSummary = new WeakSet<Finding>();
  const crashFindings = new WeakSet<Finding>();
  const summaryTexts = new Set<string>();
  // aya's `Caused by:` chain repeats the log it just printed.
  let repeating = false;
  /** iproute2's words are in the log (it goes on without BTF when the kernel refuses it). */
  let iproute2 = false;
  const addFinding = (f: Finding): boolean => {
    if (repeating && findings.some((g) => g.message === f.message)) return false;
    if (findings.length >= maxFindings) {
      omitted.findings++;
      return false;
    }
    findings.push(f);
    return true;
  };
  const libbpfLines: { program?: string; text: string; raw: string; bare?: boolean }[] = [];
  let current: ProgramState | undefined;
  let lines = 0;
  let bytes = 0;
  let lastName: string | undefined;
  // The SEC() of programs as loaders name it (libbpf's debug lines, aya's errors): program -> section.
  const loggedSections = new Map<string, string>();
  const noteSection = (text: string) => {
    const m = /\bsec '([^']+)': found program '(\w+)'/.exec(text) ?? /\bfailed program load ([\w./-]+) (\w+)$/.exec(text);
    if (m && loggedSections.size < 1000) loggedSections.set(m[2], m[1]);
  };

  const open = (name?: string, wrapped = false): ProgramState => {
    if (current) close();
    const log: ProgramLog = { name, instructionLines: 0, subprograms: [], truncated: false, failed: false };
    if (programs.length < maxPrograms) programs.push(log);
    else omitted.programs++;
    current = {
      log,
      annotations: new AnnotationTable(),
      history: new History(historyLimit),
      registers: new Map(),
      stateDeltas: [],
      candidates: [],
      ended: false,
      wrapped,
      sawEnd: false,
    };
    return current;
  };

  const ensure = (): ProgramState => (current && !current.ended ? current : open(lastName));

  const close = () => {
    const p = current;
    if (!p) return;
    current = undefined;
    if (!p.ended) conclude(p);
    if (!p.log.stats && (p.log.instructionLines > 0 || p.log.failed)) p.log.truncated = true;
    if (p.wrapped && !p.sawEnd) p.log.truncated = true;
  };

  /** Decide the error of a finished program log and turn it into a finding. */
  const conclude = (p: ProgramState) => {
    p.ended = true;
    // Tables other tools print around logs (veristat's summary) are not messages.
    const cands = p.candidates.filter(
      (c) => !/^arg#\d+ reference type\('UNKNOWN ?'\) size cannot be determined/.test(c) && !/^-{3,}|\S {2,}\S+ {2,}\S/.test(c),
    );
    const last = p.candidates[p.candidates.length - 1] ?? '';
    const unsizedLast = cands.length === 0 && UNSIZED_ARG.test(last);
    if (cands.length === 0 && !unsizedLast) return;
    // A message wrapped in a mail or terminal: `... should have been` / `in [0, 1]` is one line.
    for (let i = cands.length - 2; i >= 0; i--)
      if (/ should have been$/.test(cands[i]) && /^in [[(]/.test(cands[i + 1])) cands.splice(i, 2, `${cands[i]} ${cands[i + 1]}`);
    // Notes the verifier prints while checking a global function's or the program's argument
    // types (`R1 type=ctx expected=fp`, `reg type unsupported for arg#0 function f#1`) are not
    // the error when an error follows them.
    const notes = new Set<string>();
    cands.forEach((c, i) => {
      if (NOTE.test(c) || (/^R\d+ type=\S+ expected=\S+$/.test(c) && NOTE.test(cands[i + 1] ?? ''))) notes.add(c);
    });
    const errors = cands.filter((c) => !notes.has(c) && matchEntry(c));
    // A global function's parameter of unknown size, noted right before the call is refused, is
    // why it is refused (`arg#0 reference type('UNKNOWN ') size cannot be determined` for void *).
    let unsized = p.candidates.findIndex((c, i) => UNSIZED_ARG.test(c) && /^Caller passes invalid args/.test(p.candidates[i + 1] ?? ''));
    // ... and the error itself when the verifier said nothing after it (it stopped before the first instruction).
    if (unsizedLast) unsized = p.candidates.length - 1;
    if (unsized >= 0) {
      cands.unshift(p.candidates[unsized]);
      errors.unshift(p.candidates[unsized]);
    }
    // iproute2's summary of a refused BTF (`BTF debug data section '.BTF' rejected`) comes before
    // the kernel's own words, which name the type.
    if (errors.length > 1 && /^BTF debug data section /.test(errors[0])) {
      const typed = errors.find((e) => /^\[\d+\] [A-Z]/.test(e));
      if (typed) errors.unshift(typed);
    }
    const message = errors[0] ?? cands.find((c) => matchEntry(c)) ?? cands.find((c) => matchFamily(c)) ?? cands[0];
    p.log.failed = true;
    // Past the cap a rejected program is only counted: explaining it would cost as much as the
    // kept ones and be thrown away.
    if (findings.length >= maxFindings) {
      if (!(repeating && findings.some((g) => g.message === message))) omitted.findings++;
      return;
    }
    const f = buildFinding(
      p,
      message,
      cands.filter((c) => c !== message),
    );
    // The argument note names no function: the global function being checked is the one it belongs to.
    const arg = /^arg#(\d+) /.exec(message);
    if (arg && p.validatingName && !f.explanation.includes(p.validatingName))
      f.explanation += ` The argument is arg#${arg[1]} of the global function \`${p.validatingName}()\`, which the verifier checks on its own from its BTF prototype.`;
    if (addFinding(f) && summaryTexts.has(message)) fromSummary.add(f);
  };

  const locate = (p: ProgramState, insn: number | undefined): SourceLocation | undefined => {
    if (insn === undefined) return undefined;
    const found = p.annotations.find(insn);
    // The log printed no annotation for this instruction: the object's line info knows its line.
    const exact = !found.known && p.log.name ? options.lineInfo?.locate(p.log.name, insn) : undefined;
    if (exact) {
      const at = resolveAnnotation({ text: '', file: basename(exact.file), line: exact.line }, options.sources);
      if (at) return { ...at, text: at.text || sourceLine(options.sources, at.file, at.line) || '' };
    }
    return resolveAnnotation(found.annotation, options.sources);
  };

  /**
   * Where the verifier stopped. Errors raised at an `exit` (a leaked reference, a lock or RCU
   * section still open, a return value out of range) belong on the `return` of the path the
   * verifier walked, never on a closing brace: the statement annotated after the last branch of
   * that path, or else the `return` that branch leads to in the source.
   */
  const locateStop = (p: ProgramState, failing: { index: number; disasm: string }, message = ''): SourceLocation | undefined => {
    const loc = locate(p, failing.index);
    if (failing.disasm !== 'exit') return (loc && wrapperUse(p, failing.disasm, loc)) ?? loc;
    const at = locateExit(p, failing.index, loc, message);
    const r0text = currentRegisters(p).get('R0');
    const r0 = r0text && /^-?(?:0x[0-9a-f]+|\d+)$/.test(r0text) ? Number(r0text) : undefined;
    return (at?.text && /\breturn\b/.test(at.text) && hoistedReturn(p, at, r0)) || at;
  };

  const locateExit = (p: ProgramState, index: number, loc: SourceLocation | undefined, message: string): SourceLocation | undefined => {
    const own = p.annotations.find(index);
    // An exit annotated with its own `return` says where it is; a closing brace or the line of a
    // BPF_PROG()-style wrapper does not.
    // The value the program returns, when the verifier knows it.
    const r0text = currentRegisters(p).get('R0');
    const r0 = r0text && /^-?(?:0x[0-9a-f]+|\d+)$/.test(r0text) ? Number(r0text) : undefined;
    const path = exitPath(p);
    if (own.known && loc?.text && /\breturn\b/.test(loc.text)) return inlinedReturn(p, loc, r0, message) ?? loc;
    // The function's own line (where BPF_PROG()-style wrappers put their return) is not a statement.
    const entryText = p.annotations.exactly(0)?.text;
    for (let i = path.after.length - 1; i >= 0; i--) {
      const a = p.annotations.exactly(path.after[i]);
      // (Nor is the header of a BPF_PROG()-style program, which level-2 logs put on the shared exit.)
      const wrapperLine = a?.text && /^\s*(?:static\s+)?(?:int|long|unsigned\s+int|__u32|u32|__s32|s32)\s+BPF_[A-Z0-9_]+\s*\(/.test(a.text);
      if (a && a.text && a.text !== entryText && !wrapperLine && !CLOSING_BRACE.test(a.text) && (a.line === undefined || a.line > 0)) {
        const at = resolveAnnotation(a, options.sources);
        // The last statement of the path is not the return (the compiler shares one exit between
        // returns): the path leaves through the first `return` written after that statement.
        if (at && !/\breturn\b/.test(at.text) && options.sources && at.file && at.line) {
          let ret = returnAfter(options.sources, at.file, at.line, true, r0) ?? returnAfterInlined(p, at, r0);
          // The statement may carry the wrong line (`r7 = 1` for a loop's `return 1;` put on the
          // line after the loop): when its return does not return R0, the branch's return may.
          if (ret && r0 !== undefined && returnedConstant(ret.text, definesOfFile(ret.file)) !== r0 && path.branch !== undefined) {
            const from = locate(p, path.branch.index);
            // (The side of the branch the path took, when the object's line info tells: a return
            // of an inlined helper whose value the caller turned into another.)
            const side = from ? sideReturn(p, path.branch, from, r0) : undefined;
            const alt =
              side ?? (from?.file && from.line ? returnAfter(options.sources, from.file, from.line, path.branch.taken, r0) : undefined);
            if (alt && (side || returnedConstant(alt.text, definesOfFile(alt.file)) === r0)) ret = alt;
          }
          if (ret) return inlinedReturn(p, ret, r0, message) ?? ret;
        }
        if (at) return inlinedReturn(p, at, r0, message) ?? at;
      }
    }
    if (options.sources && path.branch !== undefined) {
      // A branch the compiler put on the closing brace belongs to the condition written before it.
      let from = locate(p, path.branch.index);
      if (from?.text !== undefined && CLOSING_BRACE.test(from.text)) {
        for (let k = path.branch.index - 1; k >= 0 && k > path.branch.index - 64; k--) {
          const a = p.annotations.exactly(k);
          if (a?.text && !CLOSING_BRACE.test(a.text)) {
            from = resolveAnnotation(a, options.sources);
            break;
          }
        }
      }
      const ret =
        (from && sideReturn(p, path.branch, from, r0)) ??
        (from?.file && from.line ? returnAfter(options.sources, from.file, from.line, path.branch.taken, r0) : undefined);
      if (ret) return inlinedReturn(p, ret, r0, message) ?? ret;
    }
    if (!options.sources || !loc?.file || !loc.line) return loc;
    // Programs written with BPF_PROG()/BPF_KPROBE() return through the macro's wrapper, whose
    // line is the one annotated at the program's first instruction.
    const entry = p.annotations.exactly(0);
    if (entry?.text && /\bBPF_[A-Z_0-9]+\s*\(/.test(entry.text)) return resolveAnnotation(entry, options.sources) ?? loc;
    const ret = returnAfter(options.sources, loc.file, loc.line, false, r0);
    if (ret) return ret;
    const end = functionEnd(options.sources, loc.file, loc.line);
    return end ? { file: end.file, line: end.line, text: '}' } : loc;
  };

  /**
   * `if (err) { release(); return 1; } return 1;`: which side of the `if` the path left through,
   * from the line of the instruction the branch did not go to (the object's line info knows it
   * when the log printed nothing there): falling through into the block means the jump left it.
   */
  const sideReturn = (
    p: ProgramState,
    branch: { index: number; taken: boolean },
    from: SourceLocation,
    r0: number | undefined,
  ): SourceLocation | undefined => {
    const sources = options.sources;
    const block = sources && from.file && from.line ? ifBlock(sources, from.file, from.line) : undefined;
    if (!sources || !block || !from.file || block.first === from.line) return undefined;
    const next = locate(p, branch.index + 1);
    if (!next?.line || next.file !== from.file || CLOSING_BRACE.test(next.text)) return undefined;
    const inside = next.line >= block.first && next.line <= block.last;
    const end = block.other?.last ?? block.last;
    if (!inside && next.line <= end && !(block.other && next.line >= block.other.first)) return undefined;
    // (An instruction of another function, the caller's shared exit, says nothing of the sides.)
    if (functionHeader(sources, next.file, next.line)?.line !== functionHeader(sources, from.file, from.line!)?.line) return undefined;
    // The path's side: the block when it fell through into it, or jumped over what follows it.
    const intoBlock = inside !== branch.taken;
    if (intoBlock) {
      const ret = returnAfter(sources, from.file, block.first, true, r0);
      return ret && ret.line <= block.last ? ret : undefined;
    }
    // The other side: the `else` (its own return, or what follows it), or what follows the block.
    const inElse = block.other ? returnAfter(sources, from.file, block.other.first, true, r0) : undefined;
    if (inElse && block.other && inElse.line <= block.other.last) return inElse;
    return returnAfter(sources, from.file, end + 1, true, r0);
  };

  /**
   * A `return` inside a function the program inlines (`static __always_inline int fill(...)`)
   * ends that function, not the program: the program leaves through the `return` after its call.
   * Unless the reference that leaks was taken in that function: its early return is the leak.
   */
  const inlinedReturn = (p: ProgramState, at: SourceLocation, r0: number | undefined, message: string): SourceLocation | undefined => {
    const sources = options.sources;
    if (!sources || !at.file || !at.line || !/\breturn\b/.test(at.text ?? '')) return undefined;
    const callee = functionHeader(sources, at.file, at.line);
    const header = callee ? `${sourceLine(sources, callee.file, callee.line - 1)} ${sourceLine(sources, callee.file, callee.line)}` : '';
    if (!callee || !/\binline\b|always_inline/.test(header)) return undefined;
    const alloc = /alloc_insn=(\d+)/.exec(message)?.[1];
    const acquired = alloc ? locate(p, Number(alloc)) : undefined;
    if (acquired?.file && acquired.line && functionHeader(sources, acquired.file, acquired.line)?.line === callee.line) return undefined;
    return returnAfterInlined(p, at, r0);
  };

  /**
   * The path's last statement is in a function the program inlines (a void helper with no
   * `return` of its own): the path leaves through the `return` after the call of that helper,
   * in the program's function, that the path came from.
   */
  const returnAfterInlined = (p: ProgramState, at: SourceLocation, r0: number | undefined): SourceLocation | undefined => {
    const sources = options.sources;
    const entry = p.annotations.exactly(0);
    const start = entry ? resolveAnnotation(entry, sources) : undefined;
    const own = start?.file && start.line && sources ? functionHeader(sources, start.file, start.line) : undefined;
    const callee = at.file && at.line && sources ? functionHeader(sources, at.file, at.line) : undefined;
    if (!sources || !own || !callee || !at.file || callee.line === own.line || callee.file !== own.file) return undefined;
    const name = declaredName(sourceLine(sources, callee.file, callee.line));
    const lines = (findSource(sources, own.file)?.[1] ?? '').split('\n');
    const end = functionEnd(sources, own.file, own.line + 1)?.line ?? lines.length;
    if (!name) return undefined;
    // The last line of the program's own function that the path went through before the helper.
    const records = p.history.records;
    for (let i = records.length - 1; i >= 0 && i > records.length - 4096; i--) {
      const r = records[i];
      if (r.kind !== 'insn') continue;
      const l = resolveAnnotation(p.annotations.find(r.index).annotation, sources);
      if (!l?.line || l.file !== own.file || l.line <= own.line || l.line >= end) continue;
      const calls = new RegExp(String.raw`\b${name}\s*\(`);
      for (let k = l.line; k <= end && k <= l.line + 8; k++)
        if (calls.test(withoutComment(lines[k - 1] ?? ''))) return returnAfter(sources, own.file, k, true, r0);
      return undefined;
    }
    return undefined;
  };

  /**
   * An instruction on the line of a BPF_PROG()/BPF_KPROBE()-style wrapper is the wrapper reading
   * an argument out of the context (or a use of that value the compiler kept there). The program
   * reads that argument where its parameter is first used, so that line is the place.
   */
  const wrapperUse = (p: ProgramState, disasm: string, loc: SourceLocation): SourceLocation | undefined => {
    const sources = options.sources;
    if (!sources || !loc.file || !loc.line || !/\bBPF_[A-Z_0-9]+\s*\(/.test(loc.text)) return undefined;
    const src = findSource(sources, loc.file);
    const lines = src ? src[1].split('\n') : [];
    const header = wrapperHeader(lines, loc.line);
    if (!header) return undefined;
    let arg = wrapperArgument(header.macro, disasm);
    const base = arg === undefined ? memoryOperandRegister(disasm) : undefined;
    if (base !== undefined) {
      const steps = traceRegister(p.history.records, p.history.lastInsnPos(), base);
      const o = steps[steps.length - 1];
      if (o?.role === 'origin') arg = wrapperArgument(header.macro, o.disasm);
    }
    const name = arg !== undefined ? header.params[arg] : undefined;
    const use = name ? firstUse(lines, header.bodyStart, name) : undefined;
    return use ? { file: loc.file, line: use, text: lines[use - 1].trim() } : undefined;
  };

  /**
   * The compiler shares one exit between returns and sets R0 early, often on the line of the
   * condition before it (`r0 = -1` hoisted above `if`), or inside an inlined helper whose
   * `return -EPERM;` has no instruction of its own. When the exit's `return` does not return the
   * value the verifier saw, the `return` of that value after where R0 was set is the one taken.
   */
  const hoistedReturn = (p: ProgramState, loc: SourceLocation, r0: number | undefined): SourceLocation | undefined => {
    const sources = options.sources;
    if (r0 === undefined || !sources || !loc.file || !loc.line) return undefined;
    const own = findSource(sources, loc.file);
    const defines = definesOf(own ? own[1].split('\n') : []);
    const value = returnedConstant(loc.text, defines);
    if (value === r0 || (value === undefined && !returnsComputed(loc.text))) return undefined;
    const steps = traceRegister(p.history.records, p.history.lastInsnPos(), 0);
    const set = steps[steps.length - 1];
    if (!set || set.role !== 'origin' || !/^[rw]0 = -?(?:0x[0-9a-f]+|\d+)$/.test(set.disasm)) return undefined;
    const from = locate(p, set.insnIndex);
    // All of an inlined function's code may carry its caller's line (`return verdict(ctx);`):
    // the `return` of that value in the function the statement calls.
    if (from?.file === loc.file && from.line === loc.line) return returnInCallee(loc, r0);
    if (!from?.file || !from.line) return undefined;
    const ret = returnAfter(sources, from.file, from.line, true, r0);
    if (!ret || ret.line === loc.line) return undefined;
    const file = findSource(sources, ret.file);
    return returnedConstant(ret.text, definesOf(file ? file[1].split('\n') : [])) === r0 ? ret : undefined;
  };

  const definesOfFile = (file: string | undefined): Map<string, number> => {
    const src = options.sources && file ? findSource(options.sources, file) : undefined;
    return definesOf(src ? src[1].split('\n') : []);
  };

  const returnInCallee = (loc: SourceLocation, r0: number): SourceLocation | undefined => {
    const sources = options.sources;
    const callee = /\breturn\s+(\w+)\s*\(/.exec(withoutComment(loc.text))?.[1];
    const def = callee && sources ? programDefinition(sources, callee, loc.file) : undefined;
    const src = def && sources ? findSource(sources, def.file) : undefined;
    if (!def || !src) return undefined;
    const lines = src[1].split('\n');
    const defines = definesOf(lines);
    for (let i = def.line; i < lines.length && !/^\}/.test(lines[i]); i++)
      if (returnedConstant(lines[i], defines) === r0) return { file: def.file, line: i + 1, text: lines[i].trim() };
    return undefined;
  };

  /** The instructions the verifier walked after the last conditional branch before the exit. */
  const exitPath = (p: ProgramState): { branch?: { index: number; taken: boolean }; after: number[] } => {
    const records = p.history.records;
    const after: number[] = [];
    for (let i = records.length - 1; i >= 0; i--) {
      const r = records[i];
      if (r.kind === 'branch') return { branch: { index: r.from, taken: true }, after: after.reverse() };
      if (/^if /.test(r.disasm) && i < records.length - 1) {
        const next = records[i + 1];
        const taken = next.kind === 'branch' || (next.kind === 'insn' && next.index !== r.index + 1);
        return { branch: { index: r.index, taken }, after: after.reverse() };
      }
      after.push(r.index);
      if (after.length > 64) break;
    }
    return { after: after.reverse() };
  };

  /** The SEC() name of the program: above its definition, or above the failing line. */
  const sectionOf = (p: ProgramState, loc: SourceLocation | undefined): string | undefined => {
    if (commandLineType) return commandLineType;
    const sources = options.sources;
    // Without sources, the section the loader named for this program (or for the only one it named).
    const logged =
      (p.log.name && loggedSections.get(p.log.name)) || (loggedSections.size === 1 ? [...loggedSections.values()][0] : undefined);
    if (!sources) return logged;
    const def = p.log.name ? programDefinition(sources, p.log.name, loc?.file) : undefined;
    const at = def ?? (loc?.file && loc.line ? { file: loc.file, line: loc.line } : undefined);
    const sec = at ? sectionAbove(sources, at.file, at.line) : undefined;
    return (sec ? sectionName(sourceLine(sources, sec.file, sec.line)) : undefined) ?? logged;
  };

  const relatedAt = (p: ProgramState, insn: number, message: string): RelatedLocation => {
    const loc = locate(p, insn);
    return { file: loc?.file, line: loc?.line, message, insnIndex: insn };
  };

  const buildFinding = (p: ProgramState, message: string, others: string[]): Finding => {
    const ex0 = explainMessage(message);
    // Where the verifier stopped: a message naming `insn N` says so itself; whole-program checks
    // (stack depth of call chains, BTF, func_info) run after the walk, so the last instruction
    // printed is not their place.
    const named = /(?<!alloc_)insn (\d+)\b/.exec(message);
    let failing: ProgramState['lastInsn'] = p.lastInsn;
    if (named) failing = { index: Number(named[1]), disasm: findDisasm(p, Number(named[1])) ?? '' };
    if (catalogEntry(ex0.catalogId)?.wholeProgram) failing = undefined;
    const helper = p.lastInsn && /^call (\w+)#\d+/.exec(p.lastInsn.disasm)?.[1];
    const loc = failing ? locateStop(p, failing, message) : undefined;
    const access = !failing
      ? undefined
      : /^\*\(\w+ \*\)\(r\d+ [-+]\d+\) = /.test(failing.disasm)
        ? 'write'
        : /= \*\(\w+ \*\)\(r\d+/.test(failing.disasm)
          ? 'read'
          : undefined;
    const ex = explainMessage(message, { helper, section: sectionOf(p, loc), access });
    const finding: Finding = {
      ...explained(ex, message, 'verifier'),
      file: loc?.file,
      line: loc?.line,
      insnIndex: failing?.index,
      sourceText: loc?.text,
      // The failing instruction printed no state of its own: what we hold is the state before it.
      registers: formatRegisters(currentRegisters(p)),
      program: p.log.name,
    };
    if (others.length) {
      finding.details = { ...finding.details, alsoReported: others.join(' | ') };
      // The lines the verifier printed with the message belong to it: quote them.
      // (Not the fence of a markdown block the log was pasted in.)
      const more = others
        .filter((o) => o.length < 200 && /[A-Za-z]/.test(o) && !/^(?:`{3}|~{3})/.test(o.trim()) && !finding.explanation.includes(o))
        .slice(0, 2);
      if (more.length) finding.explanation += ` The verifier adds: ${more.map((o) => `\`${o.trim()}\``).join(', ')}.`;
    }
    nameCallArgument(finding, failing?.disasm, options.sources);
    nameCalledFunction(finding, failing?.disasm);
    nameRegisterMap(finding, currentRegisters(p));
    addRootCause(p, finding, failing, others);
    return finding;
  };

  /** Related locations and quick fixes: where the offending value came from. */
  const addRootCause = (p: ProgramState, f: Finding, failing: ProgramState['lastInsn'], others: string[] = []) =>
    findRootCause({
      f,
      failing,
      others,
      records: p.history.records,
      pos: p.history.lastInsnPos(),
      sources: options.sources,
      registers: currentRegisters(p),
      log: p.log,
      section: sectionOf(p, f.file && f.line ? { file: f.file, line: f.line, text: '' } : undefined),
      entryText: p.annotations.exactly(0)?.text,
      libbpfProgram: libbpfLines.find((l) => l.program)?.program,
      relocationNotes,
      stackDepth: p.log.stats?.stackDepth ?? p.stackDepth,
      locate: (insn) => locate(p, insn),
      relatedAt: (insn, message) => relatedAt(p, insn, message),
      findDisasm: (insn) => findDisasm(p, insn),
    });

  const isError = (text: string) => matchFamily(text) !== undefined;
  // Evidence other tools print around the error: the log size they were configured with, and
  // the line a bare errno text (`No space left on device`) finishes.
  const logSizes: string[] = [];
  // What the tools call the program and the object that failed (`prog 'x'`, `program x:`, tc's
  // `Prog section 'x'`, bcc's `name: x`, `failed to load object 'x'`).
  const programNames = new Set<string>();
  const objectNames = new Set<string>();
  const errnoContext = new Map<string, string>();
  // A loader's own statement of the load's errno (aya's `the BPF_PROG_LOAD syscall returned ...`,
  // bcc's `bpf: Failed to load program: ...`): the finding when the log after it names no error
  // (it was cut, or not printed).
  const errnoStatements: string[] = [];
  const loaderErrnos: { text: string; errno: ReturnType<typeof errnoOf> & object }[] = [];
  // A loader's note that it left a symbol unrelocated (`symbol has unknown section 6`): the
  // address a constant in the program stands for.
  const relocationNotes: string[] = [];
  // `bpftool prog load x.o /sys/fs/bpf/x type cgroup/skb`: the program type given on the command
  // line, which overrides the SEC() name.
  let commandLineType: string | undefined;
  // The first line saying a program's load failed with EINVAL (`BPF program load failed: Invalid argument`).
  let einvalLoad: string | undefined;
  let previous = '';
  const noteContext = (raw: string) => {
    // Instruction, state and annotation lines (most of a level-2 log) carry none of this.
    if (/^\s*(?:\d+: |; |R\d|from \d|mark_precise|last_idx|regs=|parent )/.test(raw)) {
      previous = '';
      return;
    }
    const text = raw.trim();
    if (
      logSizes.length < 4 &&
      (text.includes('log') || text.includes('LOG') || text.includes('Log')) &&
      /\b(?:bpf[-_ ]?)?log[-_ ]?(?:size|buf(?:fer)?[-_ ]?size)\b\W{0,4}\d+/i.test(text)
    )
      logSizes.push(text.slice(0, 160));
    if (errnoContext.size < 16 && text.length < 64 && /:$/.test(previous) && /^[A-Z][a-z]+(?: [a-z]+){1,6}$/.test(text))
      errnoContext.set(text, previous.slice(0, 200));
    if (text) previous = text;
    if (!commandLineType && text.includes('bpftool'))
      commandLineType = /\bbpftool\s+(?:-\S+\s+)*prog\s+load(?:all)?\s.*?\btype\s+([\w/]+)/.exec(text)?.[1];
    if (
      relocationNotes.length < 3 &&
      text.length < 200 &&
      /\bunknown section\b|\b(?:unsupported|unknown|invalid) relo(?:cation)?\b/i.test(text)
    )
      relocationNotes.push(
        text
          .replace(/^(?:>\s*)+/, '')
          .replace(/^libbpf: /, '')
          .replace(/\s+/g, ' '),
      );
    // The loader's own one-line verdict (`Couldn't load BPF program: Unknown error 4001`): the errno
    // a libbpf warning above it did not print.
    if (
      loaderErrnos.length < 4 &&
      !text.startsWith('libbpf: ') &&
      /\b(?:error|fail|[Cc]ouldn't|[Cc]annot)/.test(text) &&
      text.length < 300
    ) {
      const e = errnoOf(text);
      if (e) loaderErrnos.push({ text, errno: e });
    }
    if (
      !einvalLoad &&
      text.length < 300 &&
      /\b(?:[Ii]nvalid argument|EINVAL)\b/.test(text) &&
      /\b[Ll]oad\b/.test(text) &&
      !/\bobject\b|\bobj\b/.test(text)
    )
      einvalLoad = text;
    if (errnoStatements.length < 4 && (text.includes('BPF_PROG_LOAD') || text.includes('bpf: Failed'))) {
      const stated = /\b(?:the BPF_PROG_LOAD syscall (?:returned|failed)|bpf: Failed to load program:) [^.]*?(?:\(os error \d+\)|$)/.exec(
        text,
      );
      if (stated) errnoStatements.push(stated[0].trim());
    }
    if (programNames.size < 8 && (text.includes('rog') || text.includes('name: ') || text.includes('cannot load')))
      for (const m of text.matchAll(
        /\bprog(?:ram)? (?!(?:failed|load|loading|type)\b)'?([\w.]+)'?: |\bProg section '([^']+)'|\bname: ([A-Za-z_]\w+)|\bcannot load ([A-Za-z_]\w+):/g,
      ))
        programNames.add(m[1] ?? m[2] ?? m[3] ?? m[4]);
    if (objectNames.size < 4 && (text.includes('failed to load') || text.includes('libbpf: loading')))
      for (const m of text.matchAll(/\bfailed to load (?:object|BPF skeleton) '([^']+)'|\blibbpf: loading (\S+\.o)\b/g))
        objectNames.add(m[1] ?? m[2]);
  };
  // A log quoted in a mail (quoted-printable): `=3D` for `=`, and lines broken with a final `=`.
  let quotedPrintable = false;
  let softBroken = '';
  const onLine = (input: string) => {
    lines++;
    bytes += input.length + 1;
    let raw = normalizeLine(input);
    if (!quotedPrintable && raw.includes('=3D')) quotedPrintable = true;
    if (quotedPrintable) {
      // The rest of a broken line has no quote prefix of its own and starts no log line.
      if (softBroken && /^\s*(?:>|\d+: \(|; |libbpf: |processed \d+ insns)/.test(raw)) splitAndRead(unquotePrintable(softBroken));
      else raw = softBroken + raw.slice(continuationPrefix(softBroken, raw).length);
      softBroken = '';
      if (raw.endsWith('=') && !raw.endsWith('==') && raw.length < 4096) {
        softBroken = raw.slice(0, -1);
        return;
      }
      raw = unquotePrintable(raw);
    }
    splitAndRead(raw);
  };
  // A log whose newlines were lost, as its lines (undefined when the line is one line of a log).
  const flattened = (raw: string) =>
    raw.length > 120 && (raw.indexOf(': (', 12) > 0 || raw.indexOf('libbpf: ', 1) > 0) ? unflatten(raw, isError) : undefined;
  const splitAndRead = (raw: string) => {
    const flat = flattened(raw);
    if (flat) for (const part of flat) onLogLine(part);
    else onLogLine(raw);
  };
  const onLogLine = (raw: string) => {
    noteContext(raw);
    const l = classifyLine(raw);
    if (l.kind !== 'text') return onParsed(l);
    if (/^\s*Caused by:\s*$/.test(raw)) repeating = true;
    // An unrecognised line may be a log line inside another tool's output.
    const inner = l.text ? unframer.unframe(raw, isError) : undefined;
    if (inner) {
      // A summary is a whole report of one rejected program: it gets a program log of its own.
      const summary = inner.some((u) => u.summary);
      if (summary && current && !current.ended) conclude(current);
      if (summary) open(lastName);
      // A structured logger's field can hold the summary and the whole log after it: the summary
      // ends its own program log, and the lines after it start the next one.
      for (const u of inner) {
        if (u.summary) summaryTexts.add(u.text.trim());
        // The lines inside another tool's output say what the loader said, as the bare lines do.
        if (u.text !== raw) noteContext(u.text);
        // A field can hold a whole log whose newlines were lost: its lines, one by one.
        const flat = u.text !== raw ? flattened(u.text) : undefined;
        if (flat) for (const part of flat) onText(part);
        else onText(u.text);
        if (u.summary && current && !current.ended) conclude(current);
      }
      return;
    }
    onText(raw, l);
  };
  // Only an unrecognised line can be an error that ran into the statistics after it.
  const onText = (raw: string, parsed?: LogLine) => {
    const l = parsed ?? classifyLine(raw);
    if (l.kind !== 'text') onParsed(l);
    else for (const part of splitRunOnLines(raw)) onParsed(part === raw ? l : classifyLine(part));
  };

  const onParsed = (l: LogLine) => {
    switch (l.kind) {
      case 'begin':
        lastName = l.program;
        open(l.program, true);
        return;
      case 'end': {
        const p = current;
        if (p) {
          p.sawEnd = true;
          close();
        }
        return;
      }
      case 'insn': {
        // An error message, then instructions that start over at a lower index: the verifier
        // stopped there, and what follows is another attempt or a listing pasted after the log.
        const before = current && !current.ended ? current : undefined;
        if (
          before?.lastInsnIndex !== undefined &&
          l.index < before.lastInsnIndex &&
          before.candidates.some((c) => matchEntry(c)?.entry.origin === 'verifier')
        )
          conclude(before);
        const p = ensure();
        p.log.instructionLines++;
        if (p.pending) {
          p.annotations.set(l.index, p.pending);
          p.fresh = p.pending;
          p.pending = undefined;
        } else {
          // ld_imm64 (opcode 18) takes two slots; anything else non-sequential is a jump.
          const next = p.lastInsnIndex === undefined ? undefined : p.lastInsnIndex + (p.lastOpcode === '18' ? 2 : 1);
          if (p.fresh && next === l.index) p.annotations.cover(l.index, p.fresh);
          else p.fresh = undefined;
        }
        if (p.validating !== undefined) {
          if (!p.log.subprograms.some((x) => x.index === p.validating)) p.log.subprograms.push({ index: p.validating, insn: l.index });
          p.validating = undefined;
        }
        p.lastInsnIndex = l.index;
        p.lastOpcode = l.opcode;
        p.lastInsn = { index: l.index, disasm: l.disasm };
        if (l.state) addDelta(p, l.state);
        p.history.push({ kind: 'insn', index: l.index, disasm: l.disasm });
        p.candidates = [];
        return;
      }
      case 'state': {
        const p = ensure();
        // A full state at an instruction always holds R10 (the frame pointer); newer kernels also
        // print `7: R4=0`, only what changed, after their loop (SCC) notes.
        if (l.index !== undefined && /\bR10=/.test(l.state)) setFullState(p, l.state);
        else addDelta(p, l.state);
        return;
      }
      case 'branch': {
        const p = ensure();
        setFullState(p, l.state);
        p.history.push({ kind: 'branch', from: l.from, to: l.to });
        p.fresh = undefined;
        p.lastInsnIndex = undefined;
        p.candidates = [];
        return;
      }
      case 'pruned':
        if (current) {
          current.candidates = [];
          current.fresh = undefined;
          current.lastInsnIndex = undefined;
        }
        return;
      case 'annotation': {
        const p = ensure();
        p.pending = { text: l.text, file: l.file, line: l.line };
        p.candidates = [];
        return;
      }
      case 'subprog':
        ensure().log.subprograms.push({ index: l.index, insn: l.insn });
        return;
      case 'stats': {
        const p = current ?? open(lastName);
        p.log.stats = {
          insnsProcessed: l.insnsProcessed,
          insnLimit: l.insnLimit,
          maxStatesPerInsn: l.maxStatesPerInsn,
          totalStates: l.totalStates,
          peakStates: l.peakStates,
          markRead: l.markRead,
          verificationTimeUsec: p.timeUsec,
          stackDepth: p.stackDepth,
        };
        // A log cut down to its statistics (an excerpt, a summary) whose count ran past the limit:
        // that line is all there is of the complexity error.
        const over = l.insnLimit !== undefined && l.insnsProcessed > l.insnLimit;
        if (over && !p.ended && !p.candidates.some((c) => matchEntry(c)?.entry.origin === 'verifier')) p.candidates.push(l.raw.trim());
        if (!p.ended) conclude(p);
        return;
      }
      case 'time':
        if (current) current.timeUsec = l.usec;
        if (current?.log.stats) current.log.stats.verificationTimeUsec = l.usec;
        return;
      case 'stack':
        if (current) current.stackDepth = l.depth;
        if (current?.log.stats) current.log.stats.stackDepth = l.depth;
        return;
      case 'libbpf':
        if (l.program) lastName = l.program;
        noteSection(l.text);
        if (libbpfLines.length < 1000) libbpfLines.push({ program: l.program, text: l.text, raw: l.raw });
        return;
      case 'clang':
        // clang's `fatal error: too many errors emitted` only says it stopped listing them.
        if (l.severity !== 'note' && !/^too many errors emitted/.test(l.text)) {
          const f = clangFinding(l, options.sources);
          if (l.backendCrash) crashFindings.add(f);
          addFinding(f);
        }
        return;
      case 'trace': {
        // Level 1 announces each global function it checks: the next instruction starts it.
        const v = /^Validating (\w+)\(\) func#(\d+)\.\.\.$/.exec(l.raw.trim());
        if (v) Object.assign(ensure(), { validating: Number(v[2]), validatingName: v[1] });
        return;
      }
      case 'text': {
        if (!l.text) return;
        if (/\bfailed program load /.test(l.text)) noteSection(l.text.trim());
        if (/^(?:BTF debug data|Prog) section '[^']*' rejected/.test(l.text)) iproute2 = true;
        // Text outside any program log is bpftool's or the loader's chatter — unless it is a
        // verifier message printed before any instruction (a raw log that starts with the error).
        let p = current && !current.ended ? current : undefined;
        const hit = p ? undefined : matchFamily(l.text);
        // Loaders other than libbpf (cilium/ebpf, aya, bcc) print libbpf's kind of errors without its prefix.
        if (hit && hit.origin === 'libbpf') {
          if (libbpfLines.length < 1000) libbpfLines.push({ text: l.text, raw: l.raw.trim(), bare: true });
          return;
        }
        if (hit?.origin === 'verifier' && !/^(?:Error|Warning): /.test(l.text)) p = open(lastName);
        // (Not an empty line of a quoted mail, `>` alone, nor the dots of a log cut short.)
        if (p && p.candidates.length < MAX_CANDIDATES && !/^[>\s]*$|^\s*['"`]?(?:\.{1,3}|…)['"`]?\s*$/.test(l.raw))
          p.candidates.push(l.raw.trim());
        return;
      }
    }
  };

  const splitter = new LineSplitter(onLine);
  return {
    push: (chunk) => splitter.push(chunk),
    end: () => {
      splitter.end();
      if (softBroken) splitAndRead(unquotePrintable(softBroken));
      close();
      const lib = libbpfFindings(libbpfLines, findings.length > 0, options.sources, options.lineInfo);
      // A libbpf warning without an errno, and the loader's verdict after it that has one.
      const verdict = loaderErrnos[0];
      for (const f of lib)
        if (verdict && !errnoOf(f.message) && !f.explanation.includes(verdict.errno.name))
          f.explanation += ` The loader then reports \`${verdict.text}\`: ${errnoWords(verdict.errno)}.`;
      // A libbpf line that says what a verifier finding already says (CO-RE) adds nothing.
      for (const l of lib) if (!findings.some((f) => f.catalogId === l.catalogId)) addFinding(l);
      if (!findings.length)
        for (const text of errnoStatements) {
          const ex = explainMessage(text);
          if (ex.catalogId && addFinding(explained(ex, text, ex.origin))) break;
        }
      // The verifier's log is only its statistics (it found no error) and the load failed with
      // EINVAL: the kernel refused the program after verifying it.
      const accepted = programs.length > 0 && programs.every((pr) => pr.stats && !pr.failed && pr.instructionLines === 0);
      if (accepted && einvalLoad && findings.every((f) => f.catalogId === 'libbpf-load-failed')) {
        const ex = explainMessage(einvalLoad, { afterVerifier: true });
        const at = findings.findIndex((f) => f.catalogId === 'libbpf-load-failed');
        const f = { ...explained(ex, einvalLoad, 'libbpf'), ...(at >= 0 ? { file: findings[at].file, line: findings[at].line } : {}) };
        if (at >= 0) findings[at] = f;
        else addFinding(f);
      }
      // iproute2 loads the programs without BTF when the kernel refuses it: a program refused after
      // that is what failed the load, the BTF only a warning on the way.
      if (iproute2 && findings[0]?.catalogId === 'btf-invalid') {
        const program = findings.findIndex((f) => f.catalogId !== 'btf-invalid');
        if (program > 0) findings.unshift(...findings.splice(program, 1));
      }
      mergeDuplicateClang(findings);
      latestAttemptFirst(findings);
      stackBeforeBuiltin(findings);
      dropRestatements(findings, fromSummary, crashFindings);
      for (const f of findings) {
        const before = errnoContext.get(stripMessagePrefixes(f.message));
        if (before && !f.explanation.includes(before))
          f.explanation += ` The tool reports it as: \`${before} ${stripMessagePrefixes(f.message)}\`.`;
        // A finding with no place in the sources: name what failed, when the log names one program
        // (or object) and the words do not yet, since the log is all the reader has.
        const said = `${f.title} ${f.explanation}`;
        const program = f.program ?? (programNames.size === 1 ? [...programNames][0] : undefined);
        if (!f.file && program && !said.includes(program)) f.explanation += ` The program is \`${program}\`.`;
        const object = objectNames.size === 1 ? [...objectNames][0] : undefined;
        if (!f.file && object && !said.includes(object)) f.explanation += ` The object is \`${object}\`.`;
        if (f.catalogId === 'log-too-small' && logSizes.length)
          f.explanation += ` The log size this load was given: ${logSizes.map((s) => `\`${s}\``).join(', ')}; the log needed more.`;
      }
      const analysis: Analysis = { findings, truncated: programs.some((p) => p.truncated), programs, stats: { lines, bytes } };
      if (omitted.findings || omitted.programs || splitter.longLines)
        analysis.omitted = { findings: omitted.findings, programs: omitted.programs, longLines: splitter.longLines };
      return analysis;
    },
  };
}

/**
 * A loader's one-line summary, or LLVM's crash report, restates an error that is also reported
 * in full: keep the full report only.
 */
function dropRestatements(findings: Finding[], summaries: WeakSet<Finding>, crashes: WeakSet<Finding>): void {
  const key = (f: Finding) => stripMessagePrefixes(f.message).replace(/\s+/g, ' ');
  for (let i = findings.length - 1; i >= 0; i--) {
    const f = findings[i];
    if (summaries.has(f) && findings.some((g) => g !== f && !summaries.has(g) && key(g) === key(f))) findings.splice(i, 1);
    else if (crashes.has(f) && findings.some((g) => g !== f && !crashes.has(g) && g.origin === 'clang' && (g.line === f.line || !f.line)))
      findings.splice(i, 1);
    else if (crashes.has(f) && findings.some((g, j) => j < i && crashes.has(g) && g.line === f.line)) findings.splice(i, 1);
  }
}

/** Analyze a complete log text. */
export function analyzeLog(log: string, options: AnalyzeOptions = {}): Analysis {
  const parser = createLogParser(options);
  parser.push(log);
  return parser.end();
}

function setFullState(p: ProgramState, state: string): void {
  p.registers = new Map();
  p.stateDeltas = [state];
}

function addDelta(p: ProgramState, state: string): void {
  p.stateDeltas.push(state);
  if (p.stateDeltas.length > 256) currentRegisters(p);
}

/** Folds the pending state texts into the register map. */
function currentRegisters(p: ProgramState): Map<string, string> {
  for (const s of p.stateDeltas) for (const [k, v] of parseRegisterState(s)) p.registers.set(k, v);
  p.stateDeltas = [];
  return p.registers;
}

function formatRegisters(regs: Map<string, string>): string | undefined {
  if (regs.size === 0) return undefined;
  return [...regs].map(([k, v]) => `${k}=${v}`).join(' ');
}

/** The disassembly the log printed for instruction `index`, if still in the window. */
function findDisasm(p: { history: History }, index: number): string | undefined {
  const records = p.history.records;
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    if (r.kind === 'insn' && r.index === index) return r.disasm;
  }
  return undefined;
}

/**
 * A helper argument the verifier names by register (R1..R5 of a call): quote the expression the
 * user wrote for it, from the call's source line.
 */
function nameCallArgument(f: Finding, disasm: string | undefined, sources?: ReadonlyMap<string, string>): void {
  const reg = f.details?.register;
  const n = reg ? Number(reg.slice(1)) : NaN;
  if (!disasm || !/^call /.test(disasm) || !(n >= 1 && n <= 5) || !f.sourceText) return;
  const expr = argumentExpression(statementText(sources, f.file, f.line, f.sourceText), n - 1);
  if (!expr) return;
  const callee = /^call (\w+)/.exec(disasm)?.[1];
  f.details = { ...f.details, argument: expr };
  f.explanation += ` ${reg} is argument ${n} of ${callee ?? 'the call'}: \`${expr}\` in your code.`;
  f.fix = f.fix.replace(/\.$/, '') + ` — here, \`${expr}\`.`;
}

/** The register the message names points into a map's value: name the map, as the program calls it. */
function nameRegisterMap(f: Finding, registers: Map<string, string>): void {
  const reg = f.details?.register;
  const map = reg ? /^map_value(?:_or_null)?\((?:[^)]*,)?map=([\w.]+)/.exec(registers.get(reg) ?? '')?.[1] : undefined;
  // `.bss`/`.data` maps are the program's globals (`prog.bss`): say so rather than a map name.
  if (!map || f.explanation.includes(`\`${map}\``) || f.explanation.includes(`map ${map}`)) return;
  const global = /\.(?:bss|data|rodata)\b/.exec(map)?.[0];
  f.explanation += global ? ` ${reg} points into the program's ${global} globals.` : ` ${reg} points into a value of map \`${map}\`.`;
}

/**
 * Only the sources the loaded object was built from, when its line info names them: a
 * same-looking line (a map or program of the same name) in another file of the workspace is never
 * the place. The headers they include come along (iterating over the Map while adding visits the
 * added ones, so includes of includes too). All sources when the object names none of them.
 */
function objectSources(sources: AnalyzeOptions['sources'], lineInfo: AnalyzeOptions['lineInfo']): AnalyzeOptions['sources'] {
  const files = lineInfo?.files?.().map((f) => basename(f));
  if (!sources || !files?.length) return sources;
  const mine = new Map([...sources].filter(([k]) => files.includes(basename(k))));
  // The headers they include hold their types and macros but no instructions: keep those too.
  for (const [, text] of mine)
    for (const m of text.matchAll(/^\s*#\s*include\s*"([^"]+)"/gm))
      for (const [k, v] of sources) if (!mine.has(k) && basename(k) === basename(m[1])) mine.set(k, v);
  return mine.size ? mine : sources;
}

/** A BPF-to-BPF call refused where it stands (`call pc+44` inside a lock or an RCU / preemption section): name the callee from the source. */
function nameCalledFunction(f: Finding, disasm: string | undefined): void {
  if (!disasm || !/^call pc[+-]\d+$/.test(disasm) || !f.sourceText || !/function calls are not allowed/.test(f.message)) return;
  const callee = [...f.sourceText.matchAll(/\b([A-Za-z_]\w*)\s*\(/g)]
    .map((m) => m[1])
    .find((n) => !/^(?:if|while|for|switch|return|sizeof|likely|unlikely|__builtin_\w+|bpf_\w+)$/.test(n));
  if (!callee || f.explanation.includes(`\`${callee}()\``)) return;
  f.explanation += ` The call refused here is \`${callee}()\`, a BPF-to-BPF call: \`${f.sourceText.trim()}\`.`;
  f.fix += ` Here: make \`${callee}()\` static __always_inline (or static, so it is verified with the caller), or call it outside the section.`;
}

function clangFinding(l: Extract<LogLine, { kind: 'clang' }>, sources?: ReadonlyMap<string, string>): Finding {
  // The BPF backend names the function it was compiling (`<unknown>:0:0: in function f i32 (ptr): ...`,
  // the location often only in that prefix): the message is what follows, the function is the place.
  const inFunction = /^(?:(\S+?):(\d+):(?:\d+:)? )?in function ([\w.$]+) [^:]*: (.+)$/.exec(l.text);
  const ex = explainMessage(inFunction?.[4] ?? l.text);
  const unknownFile = !l.file || l.file === '<unknown>';
  let file = unknownFile ? undefined : l.file;
  if (file && sources) {
    for (const key of sources.keys()) if (basename(key) === basename(file)) file = key;
  }
  const fn = inFunction?.[3];
  const def = fn && sources ? programDefinition(sources, fn.replace(/\.\d+$/, ''), file) : undefined;
  if (fn && ex.catalogId && !ex.explanation.includes(fn)) ex.explanation += ` clang reports it while compiling function \`${fn}\`.`;
  if (!file && def) {
    file = def.file;
    l = { ...l, line: def.line };
  }
  // The stack limit: the locals of the function clang names (or whose definition it points at).
  // memcpy/memset that clang would not expand: the size this call passes.
  const builtin = ex.catalogId === 'clang-builtin-not-supported' ? /built-in function '(\w+)'/.exec(l.text)?.[1] : undefined;
  const callText = builtin && sources && file && l.line ? withoutComment(sourceLine(sources, file, l.line)) : '';
  const call = builtin ? new RegExp(String.raw`\b(?:__builtin_)?${builtin}\s*\(.*`).exec(callText)?.[0] : undefined;
  const size = call ? argumentExpression(call, 2) : undefined;
  if (builtin && size) {
    const constant = /^(?:\d+|sizeof\s*\(?[^()]*\)?)$/.test(size);
    ex.explanation += constant
      ? ` This ${builtin}() copies \`${size}\` bytes: a constant, but too large for clang to expand into loads and stores.`
      : ` This ${builtin}() gets the size \`${size}\`, known only at run time, so clang cannot expand it into a fixed sequence of loads and stores.`;
    ex.fix = constant
      ? `Copy in smaller constant pieces (or a bounded loop), or move the data with bpf_probe_read_kernel() into a map value.`
      : `Give ${builtin}() a constant size (\`sizeof(...)\` of the destination) and keep \`${size}\` as the length field, or copy \`${size}\` bytes with bpf_probe_read_kernel(dst, ${size} & (MAX - 1), src), a helper that takes a run-time size the verifier can bound.`;
  }
  // The largest of them is the line to change (clang points at the function, or at any use).
  let biggest: LocalVariable | undefined;
  if (ex.catalogId === 'stack-too-large' && sources && file && l.line) {
    const locals = functionLocals(sources, file, l.line);
    const sized = (x: LocalVariable) => {
      const parts = [
        x.size ? `${x.size.bytes} bytes` : '',
        x.size?.largest && x.size.largest.bytes >= 64 && x.size.largest.bytes < x.size.bytes
          ? `\`${x.size.largest.text}\` alone ${x.size.largest.bytes}`
          : '',
        x.inlined ? `in ${x.inlined}(), inlined here` : '',
      ].filter(Boolean);
      return parts.length ? ` (${parts.join(', ')})` : '';
    };
    const shown = locals.slice(0, 4);
    const total = shown.every((x) => x.size) ? shown.reduce((n, x) => n + x.size!.bytes, 0) : undefined;
    if (shown.length)
      ex.explanation += ` The function's locals on the stack: ${shown.map((x) => `\`${x.text}\`${sized(x)}`).join(', ')}${
        total !== undefined && total > 512 && shown.length > 1 ? `: about ${total} bytes together, more than 512` : ''
      }.`;
    for (const x of locals) if ((x.size?.bytes ?? 0) >= 128 && (x.size?.bytes ?? 0) > (biggest?.size?.bytes ?? 0)) biggest = x;
  }
  const related: Finding['related'] = [];
  if (biggest?.size)
    ex.fix = `Move \`${biggest.name}\` (${biggest.size.bytes} bytes) off the stack: into a one-entry BPF_MAP_TYPE_PERCPU_ARRAY used as scratch space, working through the pointer bpf_map_lookup_elem() returns${biggest.inlined ? ` (it is in ${biggest.inlined}(), inlined into this function)` : ''}.`;
  if (biggest && file && biggest.line !== l.line) {
    related.push({ file, line: l.line, message: 'clang reports the stack limit here' });
    l = { ...l, line: biggest.line, column: undefined };
  }
  // `pass by value not supported ... GlobalAddress<i32 (%struct.tuple4*)* @flow_bucket>`: the
  // callee's signature is where the struct is taken by value.
  const callee = ex.catalogId === 'clang-unsupported' ? /GlobalAddress<[^>]*>\s*@?([A-Za-z_]\w*)|@([A-Za-z_]\w*)>/.exec(l.text) : null;
  const name = callee?.[1] ?? callee?.[2];
  const declared = name && sources ? programDefinition(sources, name, file) : undefined;
  if (name && declared && !(declared.file === file && declared.line === l.line)) {
    const struct = /%struct\.(\w+)/.exec(l.text)?.[1];
    related.push({ ...declared, message: `\`${name}()\` is declared here${struct ? `, taking a struct ${struct} by value` : ''}` });
    ex.explanation += ` The call is to \`${name}()\`${struct ? `, which takes a \`struct ${struct}\` by value` : ''}: a BPF-to-BPF call passes only registers, so a struct argument must be a pointer.`;
    ex.fix = `Declare \`${name}()\` to take a pointer (\`${struct ? `struct ${struct} *` : 'const struct ... *'}\`) and pass \`&\` of the struct, or make it static __always_inline.`;
  }
  return {
    severity: l.severity === 'warning' ? 'warning' : 'error',
    message: l.raw,
    file,
    line: !file || !l.line ? undefined : l.line,
    column: l.column,
    title: ex.catalogId ? ex.title : l.text,
    explanation: ex.catalogId ? ex.explanation : 'clang reported this while compiling for the BPF target.',
    fix: ex.catalogId ? ex.fix : 'See the compiler message.',
    fixExample: ex.fixExample,
    docsUrl: ex.docsUrl,
    catalogId: ex.catalogId,
    details: ex.details,
    origin: 'clang',
    related,
  };
}

// libbpf prints warnings, info and debug lines alike; a warning says something went wrong.
const LIBBPF_FAILURE =
  /fail|error|invalid|can't|cannot|couldn't|unable|not found|unrecognized|unsupported|not supported|missing|mismatch|doesn't|isn't|is not|are not|wasn't|unknown|unexpected|expected|corrupted|malformed|no matching|not resolved|legacy|too long|too big|too large|exceeds|E2BIG|ambigu|incompatible|conflicting|deprecated|should be|must be|already|not permitted|permission|denied|mutually exclusive|\bbad |incorrect|\boom\b|out of memory|not enough|empty|require|please|do not support|detected|should have|should not|could not|\bloop\b|\bmultiple\b|truncated|\bimplies\b|\btry |\bunmatched\b|^no /i;
// ... and its info and debug lines say what it did, skipped or worked around.
const LIBBPF_QUIET =
  /\bignoring\b|skipping (?:it|uploading|unrecognized)|\bskip(?:ping)? (?:relo|section|loading)\b|defaulting to|not re-pinning|BTF is optional|created successfully|found candidate|^gen: |^linker: adding|\bdiscovered\b|\bpinned at\b|\bunpinned\b|\bpatched insn\b|\bpoisoning\b|': set to\b|\bset to (?:prog|map)\b|func ptr \S+ is not set|\bresolved to\b|^(?:attachable|supported) section|probably overridden|\bretrying\b|\bfalling back\b|\bfallback\b/i;

const BTF_CODE = /\bBTF\b|\bbtf_|\.BTF\b|\bBTF_KIND|\b(?:kind|VAR|DATASEC|type) \[?-?\d|\bnon-VAR\b/;

/** `=3D` is `=` in quoted-printable; only it and blanks, as `off=24` may be in the text as is. */
const unquotePrintable = (line: string) => line.replace(/=(3D|20|09)/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

/** clang repeats some BPF backend errors (function, then statement): keep one, the rest as related. */
/**
 * A paste that holds the same program refused twice (the log of one attempt, then of the next,
 * after a change) ends with the attempt that matters: the first finding is the later one's.
 */
function latestAttemptFirst(findings: Finding[]): void {
  const first = findings[0];
  if (!first || first.origin !== 'verifier' || first.insnIndex === undefined) return;
  const same = (f: Finding) =>
    f.origin === 'verifier' &&
    f.insnIndex === first.insnIndex &&
    f.catalogId === first.catalogId &&
    (f.program ?? '') === (first.program ?? '');
  const last = findings
    .map((f, i) => (same(f) ? i : -1))
    .filter((i) => i > 0)
    .pop();
  // Another attempt says something else: the same words again are a restatement (a tool's summary).
  const other = last !== undefined ? findings[last].message : undefined;
  if (last !== undefined && other && !other.includes(first.message) && !first.message.includes(other))
    findings.unshift(...findings.splice(last, 1));
}

function mergeDuplicateClang(findings: Finding[]): void {
  for (let i = 0; i < findings.length; i++) {
    const f = findings[i];
    if (f.origin !== 'clang') continue;
    for (let j = findings.length - 1; j > i; j--) {
      const g = findings[j];
      // The same message, or the same problem in other words (clang reports too many arguments at
      // the call and at the definition).
      const same =
        stripMessagePrefixes(g.message) === stripMessagePrefixes(f.message) ||
        (f.catalogId !== null && g.catalogId === f.catalogId && g.title === f.title);
      if (g.origin === 'clang' && same) {
        if (g.line !== f.line || g.file !== f.file) f.related.push({ file: g.file, line: g.line, message: 'reported again here' });
        findings.splice(j, 1);
      }
    }
  }
}

/**
 * clang refuses to expand memset/memcpy for a local too large for the stack (`struct big b = {};`)
 * before it reports the stack limit: the size is the cause, the builtin a consequence of it.
 */
function stackBeforeBuiltin(findings: Finding[]): void {
  const stack = findings.findIndex((f) => f.origin === 'clang' && f.catalogId === 'stack-too-large');
  if (stack < 0) return;
  const s = findings[stack];
  const places = new Set([s, ...s.related].map((x) => `${x.file}:${x.line}`));
  for (let i = findings.length - 1; i >= 0; i--) {
    const b = findings[i];
    if (b.origin !== 'clang' || b.catalogId !== 'clang-builtin-not-supported' || !places.has(`${b.file}:${b.line}`)) continue;
    const builtin = /built-in function '(\w+)'/.exec(b.message)?.[1] ?? 'memset';
    if (b.file && b.line !== undefined && b.line !== s.line)
      s.related.push({ file: b.file, line: b.line, message: `clang cannot expand ${builtin}() for this large local either` });
    else
      s.explanation += ` clang also could not expand ${builtin}() for it (the initialisation of a local this large), which goes away with the move.`;
    findings.splice(i, 1);
    if (i < stack) {
      findings.splice(findings.indexOf(s), 1);
      findings.splice(i, 0, s);
    }
  }
}

/** The parts of a finding that come from its catalog explanation. */
function explained(ex: Explanation, message: string, origin: Finding['origin']): Finding {
  return {
    severity: ex.severity,
    message,
    title: ex.title,
    explanation: ex.explanation,
    fix: ex.fix,
    fixExample: ex.fixExample,
    docsUrl: ex.docsUrl,
    catalogId: ex.catalogId,
    details: ex.details,
    origin,
    related: [],
  };
}

/** libbpf's own errors (CO-RE, maps, externs): findings when they match a libbpf entry. */
function libbpfFindings(
  lines: { program?: string; text: string; raw: string; bare?: boolean }[],
  haveVerifierFindings: boolean,
  sources?: ReadonlyMap<string, string>,
  lineInfo?: AnalyzeOptions['lineInfo'],
): Finding[] {
  const out: Finding[] = [];
  const bySubject = new Set<Finding>();
  // libbpf says itself when a failed BTF upload does not matter: it loads on without BTF.
  const btfOptional = lines.some((l) => l.text.includes('BTF is optional'));
  for (const [i, l] of lines.entries()) {
    if (btfOptional && /^(?:BTF loading error|Error loading BTF\b|-- BEGIN BTF LOAD LOG)/.test(l.text)) continue;
    // libbpf's debug output (-d) describes every map and relocation; only failures are findings.
    // Names in quotes (a global called failed_only) are not words of the message.
    const words = l.text.replace(/(?<![A-Za-z])'[^']*'/g, "''");
    // Lines without libbpf's prefix matched a libbpf family already; a debug line is no failure.
    if ((!l.bare && !LIBBPF_FAILURE.test(words)) || LIBBPF_QUIET.test(words)) continue;
    // Any entry: libbpf also restates kernel errors (`BPF program load failed: -E2BIG`).
    // A warning no pattern knows is explained by the part of libbpf it is about.
    const known = matchEntry(l.text)?.entry.id;
    // libbpf's BTF code (parsing, dedup) reports at debug level: no fallback for its words.
    let id = known ?? libbpfSubject(words) ?? (l.bare || BTF_CODE.test(words) ? undefined : 'libbpf-warning');
    if (!id) continue;
    // An unknown warning before libbpf says the load failed is why it failed: one finding, here.
    if (id === 'libbpf-warning' && lines.slice(i + 1).some((o) => matchEntry(o.text)?.entry.id === 'libbpf-load-failed'))
      id = 'libbpf-load-failed';
    if (id === 'libbpf-load-failed' && (haveVerifierFindings || out.length)) continue;
    const ex = explainMessage(l.text, { fallbackEntry: id });
    // libbpf describes a relocation over several lines (`relo #11: <byte_off> [149] struct task_struct ...`).
    const relo = /\brelo #(\d+):/.exec(l.text)?.[1];
    if (relo && !ex.details.struct) {
      for (const o of lines) {
        const t = o.text.includes(`relo #${relo}:`) ? /\[\d+\] (?:struct|union) (\w+)(?:\.([\w.]+))?/.exec(o.text) : null;
        if (t && o.program === l.program) {
          ex.details.struct = t[1];
          if (t[2]) ex.details.field = t[2];
          ex.explanation += ` In this log: struct ${t[1]}${t[2] ? `, field \`${t[2]}\`` : ''}.`;
          break;
        }
      }
    }
    out.push({ ...explained(ex, l.raw, 'libbpf'), program: l.program });
    const f = out[out.length - 1];
    if (!known) bySubject.add(f);
    if (l.program && !f.explanation.includes(l.program)) f.explanation += ` The program is \`${l.program}\`.`;
    // A CO-RE relocation is an instruction: the object's .BTF.ext says which line it came from.
    const at = relo && l.program ? lineInfo?.relocation?.(l.program, Number(relo)) : undefined;
    const where = at && sources ? resolveAnnotation({ text: '', file: basename(at.file), line: at.line }, sources) : undefined;
    if (where?.file && where.line) {
      f.file = where.file;
      f.line = where.line;
      f.sourceText = where.text || sourceLine(sources, where.file, where.line);
    }
    // libbpf names the map / extern / program in quotes: find it in the sources.
    // An inner map is named after its outer map (`map 'outer.inner'`): the outer definition holds it.
    const names = [...l.text.matchAll(/'([A-Za-z_]\w*)(?:\.inner)?'/g)].map((m) => m[1]);
    if (l.program) names.push(l.program);
    // A map pinned by name is pinned at its name (`couldn't reuse pinned map at '/sys/fs/bpf/counts'`).
    const pinnedAs = /'\/sys\/fs\/bpf\/(?:[\w.-]+\/)*([A-Za-z_]\w*)'/.exec(l.text)?.[1];
    if (pinnedAs && /\bmap\b/.test(l.text)) names.push(pinnedAs);
    // The object's own source file first: libbpf names the programs it loads.
    const anyProgram = l.program ?? lines.find((x) => x.program)?.program;
    const prefer = sources && anyProgram ? programDefinition(sources, anyProgram)?.file : undefined;
    for (const name of sources ? names : []) {
      // A program is its function; other names are maps, externs and globals.
      const at = (name === l.program ? programDefinition(sources!, name, prefer) : undefined) ?? symbolDeclaration(sources!, name, prefer);
      if (!at) continue;
      if (f.line === undefined) {
        f.file = at.file;
        f.line = at.line;
      } else f.related.push({ ...at, message: `\`${name}\` is defined here` });
      // A map the kernel would not create: the attribute of its definition that it refuses.
      const problem = /\bmap '\w+': failed to create(?!.*inner)/.test(l.text)
        ? mapDefinitionProblem(sources!, at.file, at.line, /Cannot allocate memory|\(-12\)|\bENOMEM\b/.test(l.text))
        : undefined;
      // Other words about the map name its attribute (`attr 'max_entries'`, key size, inner map).
      const attribute =
        !problem && (l.text.includes(`map '${name}'`) || l.text.includes(`map '${name}.inner'`) || name === pinnedAs)
          ? mapAttributeLine(sources!, at.file, at.line, l.text)
          : undefined;
      const moveTo = problem ?? (attribute && f.line === at.line ? attribute : undefined);
      if (moveTo) {
        if (f.line !== moveTo.line) f.related.push({ file: f.file, line: f.line, message: `map \`${name}\` is defined here` });
        f.file = moveTo.file;
        f.line = moveTo.line;
        f.sourceText = sourceLine(sources, moveTo.file, moveTo.line);
      }
      if (problem) {
        const text = withoutComment(f.sourceText).trim();
        f.explanation += ` ${problem.why}${text && !problem.why.includes(text) ? ` The line: \`${text}\`.` : ''}`;
        f.fix = problem.fix;
        if (problem.related) f.related.push(problem.related);
      }
    }
    // A section name libbpf does not know: the SEC() line above the program's function says it.
    if (f.catalogId === 'libbpf-section-name' && sources && f.file && f.line) {
      const sec = sectionAbove(sources, f.file, f.line);
      const between = sec ? (findSource(sources, sec.file)?.[1] ?? '').split('\n').slice(sec.line, f.line - 1) : [];
      // Only the return type, attributes or comments between them: it is this function's SEC().
      if (sec && sec.line < f.line && between.length <= 4 && !between.some((x) => /[;{}]/.test(withoutComment(x)))) {
        f.related.push({ file: f.file, line: f.line, message: 'the program this section names' });
        f.line = sec.line;
        f.sourceText = sourceLine(sources, sec.file, sec.line);
      }
    }
  }
  // Known messages say more than ones explained by their subject: those are only a last resort.
  const sure = haveVerifierFindings || out.some((f) => !bySubject.has(f));
  // One finding per distinct message is enough.
  return out.filter(
    (f, i) =>
      !(sure && bySubject.has(f)) && out.findIndex((g) => stripMessagePrefixes(g.message) === stripMessagePrefixes(f.message)) === i,
  );
}
