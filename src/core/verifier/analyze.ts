// The streaming analyzer: lines in, findings out. It keeps only what a finding can need —
// the annotation table of the current program, a bounded window of recent instructions for the
// provenance walk, the current register state, and the lines since the last instruction (the
// error candidates) — so memory stays bounded however long the log is.
import { catalog } from './catalog';
import { contextField, programKind, sectionName } from './context';
import { explainMessage, matchEntry, matchFamily, stripMessagePrefixes } from './explain';
import { AnnotationTable, basename, findSource, resolveAnnotation, type Annotation, type SourceLocation } from './locate';
import { definesOf, firstUse, returnedConstant, returnsComputed, wrapperArgument, wrapperHeader } from './placement';
import { classifyLine, LineSplitter, parseRegisterState, splitRunOnLines, type LogLine } from './parse';
import { arithmeticSource, History, memoryOperandRegister, traceRegister, type OriginStep } from './provenance';
import {
  callChain,
  callSitesTo,
  comparisonAbove,
  enclosingLoop,
  localDeclaration,
  assignmentAbove,
  mapDefinitionProblem,
  structFieldsOfType,
  fieldReadLine,
  functionEnd,
  functionHeader,
  largeLocals,
  licenseLine,
  mapTypeLine,
  mapValueTypeLine,
  programDefinition,
  returnAfter,
  sectionAbove,
  symbolDeclaration,
  symbolLines,
} from './source-hints';
import type { Analysis, AnalyzeOptions, CatalogEntry, Explanation, Finding, ProgramLog, RelatedLocation, RootCause } from './types';
import { Unframer } from './unframe';

const MAX_CANDIDATES = 64;
const CLOSING_BRACE = /^\s*\}\s*;?\s*$/;
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
    if (cands.length === 0) return;
    // Notes the verifier prints while checking a global function's or the program's argument
    // types (`R1 type=ctx expected=fp`, `reg type unsupported for arg#0 function f#1`) are not
    // the error when an error follows them.
    const notes = new Set<string>();
    cands.forEach((c, i) => {
      if (NOTE.test(c) || (/^R\d+ type=\S+ expected=\S+$/.test(c) && NOTE.test(cands[i + 1] ?? ''))) notes.add(c);
    });
    const errors = cands.filter((c) => !notes.has(c) && matchEntry(c));
    const message = errors[0] ?? cands.find((c) => matchEntry(c)) ?? cands[0];
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
  const locateStop = (p: ProgramState, failing: { index: number; disasm: string }): SourceLocation | undefined => {
    const loc = locate(p, failing.index);
    if (failing.disasm !== 'exit') return (loc && wrapperUse(p, failing.disasm, loc)) ?? loc;
    const at = locateExit(p, failing.index, loc);
    const r0text = currentRegisters(p).get('R0');
    const r0 = r0text && /^-?(?:0x[0-9a-f]+|\d+)$/.test(r0text) ? Number(r0text) : undefined;
    return (at?.text && /\breturn\b/.test(at.text) && hoistedReturn(p, at, r0)) || at;
  };

  const locateExit = (p: ProgramState, index: number, loc: SourceLocation | undefined): SourceLocation | undefined => {
    const own = p.annotations.find(index);
    // An exit annotated with its own `return` says where it is; a closing brace or the line of a
    // BPF_PROG()-style wrapper does not.
    // The value the program returns, when the verifier knows it.
    const r0text = currentRegisters(p).get('R0');
    const r0 = r0text && /^-?(?:0x[0-9a-f]+|\d+)$/.test(r0text) ? Number(r0text) : undefined;
    if (own.known && loc?.text && /\breturn\b/.test(loc.text)) return loc;
    const path = exitPath(p);
    // The function's own line (where BPF_PROG()-style wrappers put their return) is not a statement.
    const entryText = p.annotations.exactly(0)?.text;
    for (let i = path.after.length - 1; i >= 0; i--) {
      const a = p.annotations.exactly(path.after[i]);
      if (a && a.text && a.text !== entryText && !CLOSING_BRACE.test(a.text) && (a.line === undefined || a.line > 0)) {
        const at = resolveAnnotation(a, options.sources);
        // The last statement of the path is not the return (the compiler shares one exit between
        // returns): the path leaves through the first `return` written after that statement.
        if (at && !/\breturn\b/.test(at.text) && options.sources && at.file && at.line) {
          const ret = returnAfter(options.sources, at.file, at.line, true, r0);
          if (ret) return ret;
        }
        if (at) return at;
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
      const ret = from?.file && from.line ? returnAfter(options.sources, from.file, from.line, path.branch.taken, r0) : undefined;
      if (ret) return ret;
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
    if (!from?.file || !from.line || (from.file === loc.file && from.line === loc.line)) return undefined;
    const ret = returnAfter(sources, from.file, from.line, true, r0);
    if (!ret || ret.line === loc.line) return undefined;
    const file = findSource(sources, ret.file);
    return returnedConstant(ret.text, definesOf(file ? file[1].split('\n') : [])) === r0 ? ret : undefined;
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
    const sources = options.sources;
    if (!sources) return undefined;
    const def = p.log.name ? programDefinition(sources, p.log.name, loc?.file) : undefined;
    const at = def ?? (loc?.file && loc.line ? { file: loc.file, line: loc.line } : undefined);
    const sec = at ? sectionAbove(sources, at.file, at.line) : undefined;
    return sec ? sectionName(sourceLine(sources, sec.file, sec.line)) : undefined;
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
    if (entryOf(ex0.catalogId)?.wholeProgram) failing = undefined;
    const helper = p.lastInsn && /^call (\w+)#\d+/.exec(p.lastInsn.disasm)?.[1];
    const loc = failing ? locateStop(p, failing) : undefined;
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
      const more = others.filter((o) => o.length < 200 && !finding.explanation.includes(o)).slice(0, 2);
      if (more.length) finding.explanation += ` The verifier adds: ${more.map((o) => `\`${o.trim()}\``).join(', ')}.`;
    }
    nameCallArgument(finding, failing?.disasm);
    nameCalledFunction(finding, failing?.disasm);
    addRootCause(p, finding, failing, others);
    return finding;
  };

  /** Related locations and quick fixes: where the offending value came from. */
  const addRootCause = (p: ProgramState, f: Finding, failing: ProgramState['lastInsn'], others: string[] = []) => {
    const d = f.details ?? {};
    // The family's own statement of where its root cause is (catalog entry `causes`).
    const entry = entryOf(f.catalogId);
    const has = (c: RootCause) => !!entry?.causes?.includes(c) && (entry.causeWhen?.[c]?.test(f.message) ?? true);
    const records = p.history.records;
    const pos = p.history.lastInsnPos();
    const sources = options.sources;
    const origin = (steps: OriginStep[]) => steps[steps.length - 1];
    /** The register still holds the context pointer the program was called with (R1 at entry, or a copy of it). */
    const isContext = (at: number, reg: number) => {
      const steps = traceRegister(records, at, reg);
      if (steps.some((x) => x.role !== 'copy')) return false;
      return steps.length ? /= r1$/.test(steps[steps.length - 1].disasm) : reg === 1;
    };
    const kind = programKind(sectionOf(p, f.file && f.line ? { file: f.file, line: f.line, text: '' } : undefined));
    let fromField: string | undefined; // the context field the described register was loaded from
    /** The arithmetic on the value between its origin and here (`n - 1`, `pid & N`): where it was computed. */
    const computed = (steps: OriginStep[]) => {
      const o = origin(steps);
      const seen = new Set<number>();
      for (const st of steps) {
        if (st.role !== 'arith' || st === o) continue;
        const at = relatedAt(p, st.insnIndex, `the value is computed here (\`${st.disasm}\`)`);
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
        if (stmt && seen.size === 1 && !f.explanation.includes(stmt)) f.explanation += ` The value is computed at \`${stmt}\`.`;
      }
    };
    const describe = (steps: OriginStep[], what: string) => {
      const o = origin(steps);
      if (!o) return;
      computed(steps);
      const at = relatedAt(p, o.insnIndex, `${what} (\`${o.disasm}\`)`);
      // A load from the context (`r1 = *(u64 *)(r1 +8)`): name the field, and when the compiler
      // moved the load onto the failing line (or line 0), the statement that reads that field.
      const ld = /^r\d+ = \*\(u\d+ \*\)\(r\d+ \+(\d+)\)$/.exec(o.disasm);
      const field =
        ld && kind?.struct && isContext(posOf(o.insnIndex), Number(/\(r(\d+)/.exec(o.disasm)![1]))
          ? contextField(kind.struct, Number(ld[1]))
          : undefined;
      if (field && field.off === Number(ld![1])) {
        fromField = field.name;
        at.message = `${what}: it is ctx->${field.name} (\`${o.disasm}\`)`;
        if (sources && f.file && f.line && (at.line === undefined || at.line === f.line)) {
          const read = fieldReadLine(sources, f.file, f.line, field.name);
          if (read) Object.assign(at, read);
        }
      }
      f.related.push(at);
    };
    const posOf = (insn: number) => {
      for (let i = pos; i >= 0; i--) {
        const r = records[i];
        if (r.kind === 'insn' && r.index === insn) return i;
      }
      return pos;
    };

    // The verifier stopped before looking at any instruction (program/map compatibility checks):
    // the program itself is the place, its SEC() the reason.
    if (!failing && sources && p.log.name) {
      const def = programDefinition(sources, p.log.name, f.file);
      if (def) {
        f.file ??= def.file;
        f.line ??= def.line;
      }
    }

    // References that were never released: the allocation instruction is printed.
    const alloc = /alloc_insn=(\d+)/.exec(f.message);
    if (alloc && has('acquisition')) {
      const at = Number(alloc[1]);
      f.related.push(relatedAt(p, at, 'reference acquired here is never released on this path'));
      const r = f.related[f.related.length - 1];
      f.quickFix = { kind: 'release-reference', file: r.file, line: r.line, symbol: assignedVariable(locate(p, at)?.text) };
      const acquire = findDisasm(p, at)?.match(/^call (\w+)/)?.[1];
      const release = acquire ? releaseOf(acquire) : undefined;
      if (acquire && release) {
        f.explanation += ` The reference comes from ${acquire}(); release it with ${release} on every path that leaves the program.`;
        f.fix = `Call ${release} before this return (or on every path after ${acquire}() succeeds).`;
      }
    }

    // Releasing what was never acquired: say where the pointer came from instead.
    if (!alloc && has('acquisition') && failing && /^call /.test(failing.disasm)) {
      const from = traceRegister(records, pos, 1).pop();
      const what = from ? `it comes from \`${from.disasm}\`` : 'it was not returned by an acquiring function';
      if (from) f.related.push(relatedAt(p, from.insnIndex, 'the pointer released here was not acquired by the program'));
      f.explanation += ` Only a pointer the program acquired itself (from bpf_sk_lookup_tcp/udp, bpf_skc_lookup_tcp, bpf_task_acquire, bpf_task_from_pid, bpf_cgroup_from_id, bpf_ringbuf_reserve, ...) may be released; ${what}.`;
    }

    // Callback return values: name the callback and the call that registered it.
    if (has('callback')) {
      const site = findCallbackCallSite(records, pos);
      // The callback starts where the subprogram list says, or (level 1) where the call jumped to.
      const sub = (failing ? enclosingSubprog(p.log, failing.index) : undefined) ?? site?.callee;
      if (sub !== undefined) f.related.push(relatedAt(p, sub, 'the callback whose return value is checked starts here'));
      if (site) f.related.push(relatedAt(p, site.index, `registered as a callback by \`${site.disasm}\``));
      // Every callback-taking helper passes the callback as its second argument.
      const callName = site ? locate(p, site.index)?.text : undefined;
      const functionName = argumentExpression(callName, 1)?.match(/^\(?\s*(?:\([^)]*\)\s*)?&?(\w+)\s*\)?$/)?.[1];
      f.quickFix = { kind: 'callback-return-range', file: f.file, line: f.line, range: parseRange(d.range) ?? [0, 1], functionName };
    }
    if (has('return-range') && d.range) {
      f.quickFix = { kind: 'program-return-range', file: f.file, line: f.line, range: parseRange(d.range) };
      // The allowed range is the program type's, and the SEC() chose the type.
      const def = sources && p.log.name ? programDefinition(sources, p.log.name, f.file) : undefined;
      const sec = sources && (def ?? (f.file && f.line ? { file: f.file, line: f.line } : undefined));
      const at = sec && sources ? sectionAbove(sources, sec.file, sec.line) : undefined;
      if (at) f.related.push({ ...at, message: `the section sets the program type, which must return a value in ${d.range}` });
    }

    // A global function whose return type the verifier refuses: its definition is the place.
    const returns = /^Global function (\w+)\(\) doesn't return scalar/.exec(f.message);
    const returnsDef = returns && sources ? programDefinition(sources, returns[1], f.file) : undefined;
    if (returns && returnsDef) {
      if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: `\`${returns[1]}()\` is called here` });
      f.file = returnsDef.file;
      f.line = returnsDef.line;
      f.sourceText = sourceLine(sources, returnsDef.file, returnsDef.line);
      f.explanation += ` \`${returns[1]}()\` is not static, so it is a global function, verified on its own, and a global function may only return a scalar: \`${withoutComment(f.sourceText)}\` returns a pointer.`;
      f.fix = `Make it \`static ${withoutComment(f.sourceText).replace(/^static\s+/, '')}\` (verified with its caller, so it may return the pointer), or return a scalar and pass the pointer out through an argument.`;
    }

    // A global function's arguments are checked against its declared parameter types at the call.
    const callee = /Caller passes invalid args into func#\d+ \('(\w+)'\)/.exec(others.join('\n'));
    if (callee && sources) {
      const def = programDefinition(sources, callee[1], f.file);
      if (def)
        f.related.push({
          ...def,
          message: `\`${callee[1]}()\` is a global function: the verifier checks each argument against this parameter's type`,
        });
      // A kernel-struct parameter of a global function is plain memory of the struct's size to
      // the verifier, which a trusted BTF pointer from the caller does not satisfy.
      const param = def ? /\(\s*(?:const\s+)?struct\s+(\w+)\s*\*\s*(\w+)/.exec(sourceLine(sources, def.file, def.line) ?? '') : null;
      if (param && /^access beyond struct|has pointer type|expected/.test(f.message)) {
        f.explanation += ` \`${callee[1]}()\` is verified on its own, for any caller: its parameter \`struct ${param[1]} *${param[2]}\` is taken as a pointer to ${d.size ? `${d.size} bytes of` : ''} plain memory, not as a trusted kernel object, so the task/BTF pointer the caller passes does not fit it.`;
        f.fix = `Tag the parameter \`struct ${param[1]} *${param[2]} __arg_trusted\` (kernel 6.8+, bpf_helpers.h) so the verifier expects a trusted pointer, or make \`${callee[1]}()\` static so it is verified with its caller's argument.`;
      }
    }

    // An access past the end of a map value at a constant offset: the value type the map declares.
    if (f.catalogId === 'map-value-out-of-bounds' && sources && Number(d.off) + Number(d.size) > Number(d.value_size)) {
      const reg0 = failing ? memoryOperandRegister(failing.disasm) : undefined;
      const state = reg0 !== undefined ? currentRegisters(p).get(`R${reg0}`) : undefined;
      const name = state && !/var_off|umax|smax/.test(state) ? /^map_value\((?:[^)]*,)?map=(\w+)/.exec(state)?.[1] : undefined;
      const decl = name ? symbolDeclaration(sources, name, f.file) : undefined;
      const type = decl ? mapValueTypeLine(sources, decl.file, decl.line) : undefined;
      if (type) f.related.push({ ...type, message: `map \`${name}\` declares its value as ${d.value_size} bytes` });
      // A field past the end at a constant offset, no index on the line: the code uses the value
      // as a larger type than the map declares (not an off-by-one).
      const declared = type ? sourceLine(sources, type.file, type.line)?.match(/__type\s*\(\s*value\s*,\s*([^)]+?)\s*\)/)?.[1] : undefined;
      if (declared && f.sourceText && !f.sourceText.includes('[') && Number(d.off) >= Number(d.value_size)) {
        f.title = `Map \`${name}\` holds ${declared} (${d.value_size} bytes), smaller than what this line accesses`;
        f.explanation = `The log says value_size=${d.value_size}: map \`${name}\` is declared with \`__type(value, ${declared})\`, but this line accesses offset ${d.off} (size ${d.size}), past the end of that type. The pointer from the lookup is being used as a larger structure than the map's value type, and the verifier checks accesses against the declared size.`;
        f.fix = `Declare the map's value as the structure the code fills (\`__type(value, <the larger struct>)\`), or keep the accesses within ${declared}.`;
      }
    }

    // A map without BTF where a special field needs it: a value type holding two of the same
    // special field (two bpf_spin_locks) makes the kernel refuse the object's BTF, and libbpf
    // goes on without it. The second field is what to change.
    const noBtf = /^map '(\w+)' has to have BTF in order to use (\w+)/.exec(f.message);
    if (noBtf && sources) {
      const decl = symbolDeclaration(sources, noBtf[1], f.file);
      const valueLine = decl ? mapValueTypeLine(sources, decl.file, decl.line) : undefined;
      const valueType = valueLine
        ? /__type\s*\(\s*value\s*,\s*struct\s+(\w+)/.exec(sourceLine(sources, valueLine.file, valueLine.line) ?? '')?.[1]
        : undefined;
      const special = valueType
        ? structFieldsOfType(sources, valueType, /^bpf_(?:spin_lock|res_spin_lock|timer|wq|refcount)$/, f.file)
        : [];
      const twice = special.find((x, i) => special.findIndex((y) => y.type === x.type) < i);
      // Per-CPU maps (and some others) cannot hold these fields at all: the map's type is the cause.
      const typeLine = decl ? mapTypeLine(sources, decl.file, decl.line) : undefined;
      const mapType = typeLine ? /BPF_MAP_TYPE_\w+/.exec(sourceLine(sources, typeLine.file, typeLine.line) ?? '')?.[0] : undefined;
      if (!twice && special.length && typeLine && mapType && /PERCPU|STACK_TRACE|RINGBUF|PERF_EVENT|QUEUE|STACK$|BLOOM/.test(mapType)) {
        if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: `the verifier stops at the first use of ${noBtf[2]}` });
        f.related.push({ ...special[0], message: `struct ${valueType} holds a struct ${special[0].type}` });
        f.file = typeLine.file;
        f.line = typeLine.line;
        f.sourceText = sourceLine(sources, typeLine.file, typeLine.line);
        f.title = `A ${mapType} map cannot hold a struct ${special[0].type}`;
        f.explanation = `Map \`${noBtf[1]}\` is a ${mapType}, and its value struct ${valueType} has a struct ${special[0].type} (\`${special[0].field}\`): that field is only allowed in maps whose values are shared (hash, LRU hash, array), not per-CPU copies. The kernel refused the map with its BTF, libbpf created it without BTF, and ${noBtf[2]} needs the BTF to find its field.`;
        f.fix = `Use a shared map type (BPF_MAP_TYPE_HASH or BPF_MAP_TYPE_LRU_HASH) for values with a struct ${special[0].type}, or move the ${special[0].type} to a map of its own.`;
      }
      if (twice) {
        const first = special.find((y) => y.type === twice.type)!;
        if (f.file && f.line) f.related.push({ file: f.file, line: f.line, message: `the verifier stops at the first use of ${noBtf[2]}` });
        f.related.push({ ...first, message: `the first struct ${twice.type} of struct ${valueType}` });
        f.file = twice.file;
        f.line = twice.line;
        f.sourceText = sourceLine(sources, twice.file, twice.line);
        f.title = `struct ${valueType} has two struct ${twice.type} fields`;
        f.explanation = `A map value may hold at most one struct ${twice.type}; struct ${valueType} has two (\`${first.field}\` and \`${twice.field}\`). The kernel therefore rejected the object's BTF (libbpf prints \`Error loading .BTF into kernel\` and carries on without it), map \`${noBtf[1]}\` was created without BTF, and ${noBtf[2]} needs the BTF to find its field.`;
        f.fix = `Keep one struct ${twice.type} per map value: remove \`${twice.field}\` (let \`${first.field}\` guard all the fields) or move it to a second map.`;
      }
    }

    // Locks and RCU / preemption sections: the call that opened the section still open.
    if (has('open-section') && failing) {
      // The failing instruction may itself be the second lock: the open section starts before it.
      for (let i = pos - (records[pos]?.kind === 'insn' && OPENER.test((records[pos] as { disasm: string }).disasm) ? 1 : 0); i >= 0; i--) {
        const r = records[i];
        if (r.kind === 'insn' && OPENER.test(r.disasm)) {
          f.related.push(relatedAt(p, r.index, 'the section opened here is still open'));
          break;
        }
      }
    }

    // The register the message is about; for call arguments named `arg#N`, register R(N+1).
    let reg = d.register ? Number(d.register.slice(1)) : undefined;
    const argNo = /\barg ?#?(\d)\b/.exec(f.message);
    if (reg === undefined && argNo && failing && /^call /.test(failing.disasm)) reg = Number(argNo[1]) + 1;

    // A pointer kept in a local that a helper then overwrote (`bpf_probe_read_kernel(&rec, ...)`
    // where `rec` was meant): the value filled back from the stack is a plain number.
    if (reg !== undefined && (d.type === 'scalar' || /'scalar'/.test(f.message))) {
      const steps = traceRegister(records, pos, reg);
      const o = origin(steps);
      const variable =
        o && /^call /.test(o.disasm) && steps.some((x) => x.role === 'fill') ? assignedVariable(locate(p, o.insnIndex)?.text) : undefined;
      const byAddress = variable ? new RegExp(String.raw`[(,]\s*&\s*${variable}\s*[,)]`) : undefined;
      for (let i = o ? posOf(o.insnIndex) + 1 : pos; byAddress && i < pos; i++) {
        const r = records[i];
        if (r.kind !== 'insn' || !/^call /.test(r.disasm)) continue;
        const at = locate(p, r.index);
        if (!at?.text || !byAddress.test(at.text) || !at.file || !at.line) continue;
        const helper = /^call (\w+)/.exec(r.disasm)![1];
        if (f.file && f.line)
          f.related.unshift({ file: f.file, line: f.line, message: `\`${variable}\` is used here, after the call overwrote it` });
        f.file = at.file;
        f.line = at.line;
        f.sourceText = at.text;
        f.explanation += ` \`&${variable}\` is passed to ${helper}(): the helper writes into the variable that holds the pointer, not into the memory it points to, so \`${variable}\` is a plain number after the call.`;
        f.fix = `Pass \`${variable}\` (the pointer) instead of \`&${variable}\` to ${helper}().`;
        break;
      }
    }

    // A pointer read inside an RCU section and used after it ended: the unlock between the two.
    if (has('closed-section') && reg !== undefined) {
      const from = origin(traceRegister(records, pos, reg));
      const start = from ? posOf(from.insnIndex) : -1;
      for (let i = pos - 1; i > start && start >= 0; i--) {
        const r = records[i];
        if (r.kind !== 'insn' || !/^call bpf_rcu_read_unlock\b/.test(r.disasm)) continue;
        f.related.push(
          relatedAt(p, r.index, `the RCU section ends here: the pointer passed in R${reg} was read inside it and is used after it`),
        );
        f.explanation = f.explanation.replace(
          /R\d+ was loaded from an ordinary field of a kernel structure, so nothing keeps the object alive\./,
          `R${reg} was read inside bpf_rcu_read_lock(), but bpf_rcu_read_unlock() ran before this call: once the section ends the pointer is no longer protected (the verifier marks it untrusted).`,
        );
        f.fix = 'Make the call (and check the pointer for NULL) before bpf_rcu_read_unlock(), i.e. move the unlock after it.';
        break;
      }
    }
    const arith = failing ? arithmeticSource(failing.disasm) : undefined;
    if (reg === undefined && arith === undefined && failing) reg = memoryOperandRegister(failing.disasm);

    const boundsWords = /bound|range|outside|negative|max value|min value|invalid access|out of bounds/;
    /** The last comparison of the offset (or a copy of it) before the failure: the check that did not bound. */
    const boundsCheck = (regs: Set<number>, from: number, to: number) => {
      for (let i = to; i > from; i--) {
        const r = records[i];
        if (r.kind !== 'insn') continue;
        const m = /^if [rw](\d+) [^ ]+ (?:[rw](\d+)|-?\w+) goto/.exec(r.disasm);
        if (m && (regs.has(Number(m[1])) || (m[2] !== undefined && regs.has(Number(m[2]))))) return r.index;
      }
      return undefined;
    };
    const explainOffset = (src: number, at: number) => {
      const offSteps = traceRegister(records, at, src);
      describe(offSteps, `the offset R${src} gets its value here`);
      const o = origin(offSteps);
      const regs = new Set([src, ...offSteps.map((s) => s.register)]);
      const check = boundsCheck(regs, o ? posOf(o.insnIndex) : -1, at);
      if (check !== undefined) f.related.push(relatedAt(p, check, `this check does not bound R${src} tightly enough for the access`));
      f.quickFix = { kind: 'add-bounds-check', file: f.file, line: f.line, register: `R${src}` };
      // Name the offset as the program does: the variable its origin line assigns.
      const stmt = o ? locate(p, o.insnIndex)?.text : undefined;
      const variable = assignedVariable(stmt);
      if (
        variable &&
        stmt &&
        f.sourceText &&
        new RegExp(String.raw`\b${variable}\b`).test(f.sourceText) &&
        !f.explanation.includes(`\`${variable}\``)
      ) {
        const signed = new RegExp(String.raw`^\s*${SIGNED_TYPE}\s+\w+\s*=`).test(stmt);
        f.explanation += ` The offset is \`${variable}\`, set at \`${withoutComment(stmt)}\`${signed ? ', a signed variable' : ''}.`;
        if (/min value|negative/.test(f.message) && signed)
          f.fix = `Declare \`${variable}\` unsigned (__u32) or check \`if (${variable} < 0 || ${variable} >= N)\` before using it as an index.`;
      }
    };

    if (reg === undefined && arith !== undefined && failing && boundsWords.test(f.message)) {
      // `ptr += idx` itself was refused: the index is the culprit.
      explainOffset(arith, pos);
    } else if (reg !== undefined && pos >= 0 && !alloc) {
      const steps = traceRegister(records, pos, reg);
      const type = d.type ?? '';
      if (/_or_null/.test(type) || /_or_null|NULL/.test(f.message)) {
        describe(steps, `R${reg} may be NULL: it comes from here and is not checked before use`);
        const o = origin(steps);
        f.quickFix = {
          kind: 'add-null-check',
          file: f.file,
          line: f.line,
          register: `R${reg}`,
          symbol: o ? assignedVariable(locate(p, o.insnIndex)?.text) : undefined,
        };
      } else if (f.catalogId === 'arg-expected-stack') {
        const expr = argumentExpression(f.sourceText, helperArgIndex(reg));
        const symbol = expr?.replace(/^&/, '').match(/^\w+$/)?.[0];
        // `&name` that is not on the stack is a global or static: name it rather than its kernel address.
        const global = symbol && expr?.startsWith('&') ? symbol : undefined;
        describe(
          steps,
          global ? `R${reg} is the address of \`${global}\`, taken here` : `R${reg} got its ${type || 'non-stack'} pointer here`,
        );
        const decl = global && sources ? symbolDeclaration(sources, global, f.file) : undefined;
        if (decl)
          f.related.push({
            ...decl,
            message: `\`${global}\` is declared outside any function: to the verifier its address is a ${type || 'map_value'} pointer, not a stack pointer`,
          });
        f.quickFix = { kind: 'copy-to-stack', file: f.file, line: f.line, register: `R${reg}`, expression: expr, symbol };
      } else if (steps.length) {
        // Pointer arithmetic with an unbounded offset: show where the offset came from.
        const step = steps.find((s) => s.role === 'arith' && arithmeticSource(s.disasm) !== undefined);
        if (step && boundsWords.test(f.message)) {
          const src = arithmeticSource(step.disasm)!;
          f.related.push(relatedAt(p, step.insnIndex, `offset R${src} is added to the pointer here`));
          explainOffset(src, posOf(step.insnIndex));
        } else {
          describe(steps, `R${reg} got this value here`);
          const o = origin(steps);
          const gone = has('released-pointer') && o ? releasedBetween(records, posOf(o.insnIndex), pos) : [];
          if (gone.length && o) {
            const from = /^call (\w+?)(?:_impl)?#/.exec(o.disasm)?.[1] ?? 'its origin';
            for (const g of gone) f.related.push(relatedAt(p, g.index, g.why));
            const names = gone.map((g) => `${g.call}()`).join(' and then ');
            f.explanation += ` R${reg} was a valid pointer from ${from}(), but ${names} ran before this access: after it the object belongs to the kernel (or the lock that guarded it is released), so the verifier turns every copy of the pointer into a plain number.`;
            f.title = `Pointer used after ${gone[0].call}() (R${reg})`;
            f.fix = `Finish using the pointer before ${gone[0].call}() (read what you need into a local first), or look the object up again after it.`;
          } else if (f.catalogId === 'scalar-deref') explainScalar(f, reg, o, currentRegisters(p).get(`R${reg}`), kind?.name);
        }
      }
    }

    // A map of the wrong kind: its definition, named in the register state (map_ptr(map=NAME)).
    if (has('map-definition')) {
      const names = new Set<string>();
      for (const [k, v] of currentRegisters(p)) {
        const m = /^R[1-5]$/.test(k) && /^map_ptr\((?:[^)]*,)?map=([\w.]+)/.exec(v);
        if (m && !m[1].includes('.')) names.add(m[1]);
      }
      // The register state names the map even when there are no sources to find it in.
      const unnamed = [...names].filter((n) => !f.explanation.includes(`\`${n}\``));
      if (unnamed.length) f.explanation += ` The map passed here is ${unnamed.map((n) => `\`${n}\``).join(' / ')}.`;
      for (const name of sources ? names : []) {
        const decl = symbolDeclaration(sources!, name, f.file);
        // The declared type is the line to change; the name ends the declaration.
        const type = decl ? mapTypeLine(sources!, decl.file, decl.line) : undefined;
        if (type) f.related.push({ ...type, message: `map \`${name}\` is declared with this type` });
        if (decl) f.related.push({ ...decl, message: `map \`${name}\` is defined here` });
      }
    }

    // A stack buffer a helper reads or writes out of bounds, or before it is initialised: the
    // local it is (its size and initialisation are decided where it is declared).
    if (sources && f.file && f.line && reg !== undefined && failing && /^call /.test(failing.disasm) && has('stack-buffer')) {
      const expr = argumentExpression(f.sourceText, helperArgIndex(reg));
      const name = expr?.replace(/^\(\s*[\w\s*]+\)\s*/, '').match(/^&?\s*(\w+)(?:\s*(?:\.|->|\[)|$)/)?.[1];
      const decl = name ? localDeclaration(sources, f.file, f.line, name) : undefined;
      if (decl)
        f.related.push({
          ...decl,
          message:
            /read/.test(f.message) && entry?.id === 'stack-invalid-read'
              ? `\`${name}\` is declared here without being fully initialised (\`= {}\` or __builtin_memset)`
              : `\`${name}\` is declared here: its size is what the helper may touch`,
        });
    }

    // Stack objects passed by address (dynptrs, iterators): their declaration.
    if (has('stack-object') && sources && reg !== undefined) {
      const name = argumentExpression(f.sourceText, helperArgIndex(reg))?.match(/^&\s*(\w+)$/)?.[1];
      const decl = name ? symbolDeclaration(sources, name, f.file) : undefined;
      if (decl) f.related.push({ ...decl, message: `\`${name}\` is declared here` });
    }

    // A loop without progress: the loop's condition is the last branch the verifier took.
    if (has('loop-condition')) {
      // The loop is the last jump backwards: a conditional one is the (rotated) loop's condition;
      // an unconditional one goes back to the head, whose first branch is the condition.
      // Bounded walks: a level-2 log can hold tens of thousands of records per finding.
      let cond: number | undefined;
      for (let i = pos; i >= 0 && i > pos - 4096 && cond === undefined; i--) {
        const r = records[i];
        const back = r.kind === 'insn' ? /goto pc-(\d+)$/.exec(r.disasm) : null;
        if (!back || r.kind !== 'insn') continue;
        if (/^if /.test(r.disasm)) cond = r.index;
        else {
          const head = r.index + 1 - Number(back[1]);
          let best: number | undefined;
          for (let j = i - 1; j >= 0 && j > i - 4096; j--) {
            const q = records[j];
            if (
              q.kind === 'insn' &&
              q.index >= head &&
              q.index < r.index &&
              /^if /.test(q.disasm) &&
              (best === undefined || q.index < best)
            )
              best = q.index;
          }
          cond = best;
        }
      }
      for (let i = pos; i >= 0 && cond === undefined; i--) {
        const r = records[i];
        if (r.kind === 'insn' && /^if /.test(r.disasm)) cond = r.index;
      }
      if (cond !== undefined) {
        const at = relatedAt(p, cond, 'the loop condition: the verifier cannot see it change towards the exit');
        // The budget ran out somewhere inside the loop: the loop is the place, not that instruction.
        if (entry?.id === 'program-too-complex' && at.file && at.line && at.line !== f.line) {
          if (f.file && f.line)
            f.related.push({ file: f.file, line: f.line, message: 'the verifier ran out of its instruction budget here, inside the loop' });
          f.file = at.file;
          f.line = at.line;
          f.sourceText = locate(p, cond)?.text;
        }
        f.related.push(at);
      }
    }

    // The metadata area ends where the packet starts: its check is against ctx->data.
    if (has('packet-check') && fromField === 'data_meta') {
      f.explanation += ' The pointer is ctx->data_meta: the metadata area in front of the packet, which ends at ctx->data (not data_end).';
      f.fix = 'Load ctx->data too and check `(void *)(meta + 1) > data` before touching the metadata.';
    }
    // Packet access: the data_end comparison that proved too few bytes.
    if (has('packet-check')) {
      for (let i = pos; i >= 0; i--) {
        const r = records[i];
        if (r.kind === 'insn' && /^if [rw]\d+ [<>]=? [rw]\d+ goto/.test(r.disasm)) {
          const proven = /\br=(\d+)/.exec(f.message)?.[1];
          const needed = d.off !== undefined && d.size !== undefined ? Number(d.off) + Number(d.size) : undefined;
          const at = relatedAt(
            p,
            r.index,
            proven && needed
              ? `this data_end check proves ${proven} bytes from the packet pointer it compares, the access needs ${needed}`
              : 'this data_end check proves fewer bytes than the access needs',
          );
          // The compiler often gives the comparison the line of a nearby statement: the source's
          // own `... > data_end` above the access, in the same function, is the check.
          const text = at.file && at.line ? sourceLine(sources, at.file, at.line) : undefined;
          if (sources && f.file && f.line && !/[<>]/.test(text ?? '')) {
            const check = comparisonAbove(sources, f.file, f.line, /\bdata_end\b|\bend\b/);
            if (check) Object.assign(at, check);
          }
          f.related.push(at);
          // r=0 after a check: the verifier ignores a data_end comparison of a pointer whose variable
          // offset may exceed MAX_PACKET_OFF (65535), as an unbounded offset or a loop's growing one.
          // The register's own state, or a copy's: pointers with the same id share their offset.
          const regs = currentRegisters(p);
          const id = /\(id=(\d+)/.exec(f.message)?.[1];
          const own = d.register ? regs.get(d.register) : undefined;
          const state =
            own && /\bumax=/.test(own)
              ? own
              : id
                ? [...regs.values()].find((v) => v.startsWith('pkt(') && v.includes(`id=${id},`) && /umax=/.test(v))
                : undefined;
          const umax = state ? /\bumax=(?:[a-z]+\d*=)*(0x[0-9a-f]+|\d+)/.exec(state)?.[1] : undefined;
          const ptrOff = Number((state && /\boff=(-?\d+)/.exec(state)?.[1]) ?? 0);
          if (proven === '0' && umax !== undefined && Number(umax) + ptrOff > 0xffff) {
            const loop = sources && f.file && f.line && hasBackwardJump(records, pos) ? enclosingLoop(sources, f.file, f.line) : undefined;
            f.explanation += ` The check does not count: the pointer's variable offset may be as large as ${umax} here, and the verifier ignores a data_end comparison of a packet pointer whose offset may exceed 65535 bytes (MAX_PACKET_OFF), so nothing is proven (r=0).`;
            if (loop) {
              f.related.push({
                ...loop,
                message: 'the pointer advances on every pass of this loop, which has no fixed bound: its offset keeps growing',
              });
              f.explanation += ` The offset grows with each pass of the loop \`${sourceLine(sources, loop.file, loop.line)?.replace(/\s*\{?\s*(?:\/\*.*)?$/, '')}\`, which has no bound the verifier can count.`;
              f.fix =
                'Give the loop a fixed maximum number of passes (`for (int i = 0; i < MAX_OPTS && opt < opt_end; i++)`), so the offset stays bounded, and keep the data_end check inside it.';
            } else {
              const added = f.related.find((r) => /is added to the pointer here/.test(r.message));
              const text = added ? sourceLine(sources, added.file, added.line) : undefined;
              if (text) f.explanation += ` The offset is added at \`${text.replace(/\s*\/\*.*$/, '')}\` without an upper bound.`;
              f.fix =
                'Bound the offset before adding it to the packet pointer (`if (off > 1500) return ...;` or a mask such as `off &= 0x3ff`), then check the header end against data_end.';
            }
          }
          const checkText = sourceLine(sources, at.file, at.line);
          if (checkText && /[<>]/.test(checkText)) {
            f.explanation += ` The check on this path is \`${checkText.replace(/\s*\/\*.*$/, '')}\`${proven ? `: it proves ${proven} bytes` : ''}${needed ? `, and this access reaches byte ${needed}` : ''}.`;
            // `p + 1` counts in units of *p: one byte when p is a void *, char * or __u8 *.
            const plusOne = /(\w+)\s*\+\s*1\s*\)?\s*>/.exec(checkText)?.[1];
            const bytePointer = plusOne && new RegExp(String.raw`\b(?:void|char|__u8|u8|uint8_t)\s*\*\s*${plusOne}\s*[;,=)]`);
            if (proven !== '0' && bytePointer && [...sources!.values()].some((t) => bytePointer.test(t)))
              f.explanation += ` \`${plusOne}\` is a byte pointer, so \`+ 1\` adds one byte, not the size of the header: compare a pointer of the header type (\`(void *)(hdr + 1) > data_end\`).`;
          }
          break;
        }
      }
    }

    // CO-RE: the lines that name the field or type the kernel does not have.
    const core = /CO-RE relocation <\w+> \[\d+\] (?:struct |union |enum |typedef )?(\w+)(?:\.([\w.:]+))?/.exec(f.message);
    if (core && sources && has('core-field')) {
      const field = core[2]?.split(/[.:]/).filter(Boolean).pop();
      const uses = symbolLines(sources, field ?? core[1], 4, f.file);
      for (const at of uses)
        f.related.push({
          ...at,
          message: /\bbpf_core_(?:field|type|enum_value)_exists\b/.test(sourceLine(sources, at.file, at.line) ?? '')
            ? `\`${field ?? core[1]}\` is tested here: the read that fails must run only on the path where it exists`
            : `\`${field ?? core[1]}\` (${core[1]}) does not exist in the running kernel's BTF`,
        });
      // The compiler may have hoisted the relocated load to the function's first line: the
      // statement that reads the field, further down, is the place.
      const entryText = p.annotations.exactly(0)?.text;
      const use =
        entryText && f.sourceText === entryText
          ? uses.find((u) => u.file === f.file && f.line !== undefined && u.line > f.line)
          : undefined;
      if (use) {
        f.related.push({ file: f.file, line: f.line, message: 'the line info of the failing instruction points here' });
        f.line = use.line;
      }
    }

    // Program-type problems: the SEC() that chose the program type (or the license) is the cause.
    if (sources && f.file && f.line && has('program-type')) {
      const sec = sectionAbove(sources, f.file, f.line);
      if (sec) f.related.push({ ...sec, message: 'the program type is chosen here; it does not allow this' });
    }
    // A chain of BPF-to-BPF calls whose frames add up: the calls that stack each frame (the
    // finding stays on the program, whose chain it is).
    const chain = /^combined stack size of (\d+) calls/.exec(stripMessagePrefixes(f.message));
    if (has('call-chain') && chain) {
      const frames = Number(chain[1]);
      const calls: SourceLocation[] = [];
      let depth = 0;
      for (const r of records) {
        if (r.kind !== 'insn') continue;
        if (/^call pc[+-]\d+$/.test(r.disasm)) {
          depth++;
          const at = depth === calls.length + 1 && depth < frames ? locate(p, r.index) : undefined;
          if (at) calls.push(at);
        } else if (r.disasm === 'exit' && depth > 0) depth--;
      }
      // A level-1 log of a walk that succeeded prints no instructions: the calls are in the source.
      const program = p.log.name ?? libbpfLines.find((l) => l.program)?.program;
      const def = !calls.length && sources && program ? programDefinition(sources, program, f.file) : undefined;
      if (def) for (const c of callChain(sources!, def.file, program!).slice(0, frames - 1)) calls.push({ ...c, text: '' });
      calls.forEach((c, i) => {
        if (c.file && c.line) f.related.push({ file: c.file, line: c.line, message: `this call stacks frame ${i + 2} of ${frames}` });
      });
      if (calls.length) f.explanation += ` The chain has ${frames} frames; the calls that stack them are shown as related locations.`;
    }
    // Stack size: the large local buffers are what to move into a map.
    if (has('large-locals') && sources) {
      for (const at of largeLocals(sources, f.file)) f.related.push({ ...at, message: 'large local variable on the BPF stack' });
    }
    if (has('license')) {
      const lic = sources && licenseLine(sources, f.file);
      if (lic) f.related.push({ ...lic, message: 'the license declared here is not GPL-compatible' });
      f.quickFix = { kind: 'license-gpl', file: lic?.file, line: lic?.line };
    }

    // A dynptr used after the call that released it (submit, discard): that call.
    if (has('released-dynptr') && /initialized dynptr|dynptr has to be/i.test(f.message)) {
      for (let i = pos - 1; i >= 0; i--) {
        const r = records[i];
        if (r.kind === 'insn' && /^call bpf_\w*(?:submit|discard)_dynptr\b/.test(r.disasm)) {
          f.related.push(relatedAt(p, r.index, `the dynptr was released here (\`${r.disasm}\`); it cannot be used after it`));
          break;
        }
      }
    }

    // A pointer into the packet used after a helper that may change the packet: that helper.
    if (has('invalidated-packet') && failing && reg !== undefined) {
      for (let i = pos - 1; i >= 0 && i > pos - 4096; i--) {
        const r = records[i];
        const helper = r.kind === 'insn' ? PACKET_CHANGING.exec(r.disasm)?.[1] : undefined;
        if (!helper) continue;
        const origin = traceRegister(records, pos, reg).pop();
        if (origin && posOf(origin.insnIndex) > i) break;
        const at = relatedAt(
          p,
          (r as { index: number }).index,
          `${helper}() may change the packet: every packet pointer taken before it is invalid after it`,
        );
        f.related.unshift(at);
        f.explanation += ` R${reg} was a packet pointer taken before ${helper}(), which may move or resize the packet; the verifier then treats every packet pointer as unknown.`;
        f.fix = `Reload data and data_end from the context after ${helper}() and repeat the bounds check before using the packet again.`;
        break;
      }
    }

    // A global function's parameter: the verifier checks its body for any argument of the declared type.
    if (has('argument-signature') && failing && reg !== undefined && sources) {
      const steps = traceRegister(records, pos, reg);
      const sub = enclosingSubprog(p.log, failing.index);
      if (sub !== undefined && (steps.length === 0 || !steps.some((x) => x.role === 'origin' || x.role === 'call'))) {
        const start = relatedAt(p, sub, '');
        const header = start.file && start.line ? functionHeader(sources, start.file, start.line) : undefined;
        f.related.push({
          ...(header ?? start),
          message: 'a global function: its pointer parameters may be NULL, whatever the callers pass',
        });
        f.explanation +=
          ' The pointer is a parameter of a global (non-static) function, which the verifier checks on its own, for any caller: it may be NULL.';
        f.fix =
          "Check the parameter for NULL at the top of the function, or make the function static so the verifier checks it with the caller's arguments.";
      }
    }

    // A helper's size argument without a bound: the buffer before it in the call, and its size.
    const sizeReg = d.register ? Number(d.register.slice(1)) : undefined;
    if (sources && f.file && sizeReg && sizeReg > 1 && entry?.id === 'helper-size-unbounded' && failing && /^call /.test(failing.disasm)) {
      const buffer = argumentExpression(f.sourceText, sizeReg - 2)
        ?.replace(/^&/, '')
        .replace(/^\(.*?\)\s*/, '');
      const size = argumentExpression(f.sourceText, sizeReg - 1);
      const name = buffer && /^\w+$/.test(buffer) ? buffer : undefined;
      const decl = name ? symbolDeclaration(sources, name, f.file) : undefined;
      const declText = decl ? sourceLine(sources, decl.file, decl.line) : undefined;
      const dim = declText ? new RegExp(String.raw`\b${name}\s*\[\s*(\w+)\s*\]`).exec(declText)?.[1] : undefined;
      const byteArray = declText && new RegExp(String.raw`\b(?:char|__u8|u8|uint8_t|unsigned char)\s+${name}\s*\[`).test(declText);
      const bytes =
        dim && byteArray
          ? /^\d+$/.test(dim)
            ? Number(dim)
            : definesOf((findSource(sources, decl!.file)?.[1] ?? '').split('\n')).get(dim)
          : undefined;
      if (name && size && decl) {
        f.related.push({ ...decl, message: `\`${name}\` is declared here${bytes !== undefined ? `: ${bytes} bytes` : ''}` });
        f.explanation += ` The size is \`${size}\` and the buffer \`${name}\`${bytes !== undefined ? ` holds ${bytes} bytes` : ''}: nothing on this path keeps \`${size}\` within it.`;
        f.fix = `Clamp the size to the buffer before the call: \`if (${size} > sizeof(${name})) ${size} = sizeof(${name});\`${bytes !== undefined ? ` (${bytes})` : ''}, or mask it (\`${size} & (sizeof(${name}) - 1)\` for a power of two).`;
      }
    }

    // An array indexed by a variable on the failing line: its declared length is the bound.
    const indexed = withoutComment(f.sourceText).match(/(\w+)\s*\[\s*([A-Za-z_]\w*)\s*\]/);
    if (
      sources &&
      f.file &&
      indexed &&
      /bound|range|outside|negative|variable|invalid access|out of bounds|min value|max value/.test(f.message)
    ) {
      const [, array, index] = indexed;
      const decl = new RegExp(String.raw`\b${array}\s*\[\s*(\w+)\s*\]\s*[;,=]`);
      const file = findSource(sources, f.file);
      const files = file ? [file, ...[...sources].filter(([k]) => k !== file[0])] : [...sources];
      for (const [, text] of files) {
        const m = decl.exec(text);
        if (!m) continue;
        const n = /^\d+$/.test(m[1]) ? Number(m[1]) : definesOf(text.split('\n')).get(m[1]);
        if (n === undefined || f.explanation.includes(`\`${array}\` has`)) break;
        f.explanation += ` \`${array}\` has ${n} entries${m[1] !== String(n) ? ` (${m[1]})` : ''}: \`${index}\` must be proven to be 0..${n - 1} before \`${array}[${index}]\`.`;
        f.fix = `Check \`if (${index} >= ${/^\d+$/.test(m[1]) ? n : m[1]}) return ...;\` (with an unsigned \`${index}\`) right before \`${array}[${index}]\`, on the same variable the access uses.`;
        break;
      }
      // Where the index gets its value (or its signed declaration as a parameter): often the cause.
      const set = f.line ? assignmentAbove(sources, f.file, f.line, index) : undefined;
      if (set && !f.related.some((r) => r.line === set.line && r.file === set.file)) {
        const signed = new RegExp(String.raw`\b${SIGNED_TYPE}\s+${index}\b`).test(set.text);
        f.related.push({
          file: set.file,
          line: set.line,
          message: set.parameter
            ? `\`${index}\` is a parameter here${signed ? ', declared signed: negative values pass an upper-bound check' : ''}`
            : `\`${index}\` gets its value here`,
        });
        if (signed && !f.explanation.includes('signed variable'))
          f.explanation += ` \`${index}\` is declared signed (\`${withoutComment(set.text)}\`), so it can be negative.`;
        // `x & N` with N a power of two keeps 0 and N, not 0..N-1.
        const mask = /&\s*\(?\s*([A-Za-z_]\w*|\d+)\s*\)?\s*;/.exec(set.text.replace(/&&/g, ''));
        const value = mask
          ? /^\d+$/.test(mask[1])
            ? Number(mask[1])
            : definesOf((findSource(sources, set.file)?.[1] ?? '').split('\n')).get(mask[1])
          : undefined;
        const masked = mask && value ? powerOfTwoMask(mask[1], value) : undefined;
        if (mask && value && masked && !f.explanation.includes('a mask must be')) {
          f.explanation += ` \`${index}\` is masked: ${masked}`;
          f.fix = `Mask with \`${mask[1]} - 1\`: \`${index} = ... & (${mask[1]} - 1);\` keeps 0..${value - 1}.`;
          f.title = `\`& ${mask[1]}\` lets \`${index}\` reach ${value}, one past the end of \`${array}\``;
        }
      }
    }

    // A key-less map (queue, stack, bloom filter: ks=0) used with a keyed map helper.
    const keyed = failing ? /^call (bpf_map_(?:update|lookup|delete)_elem)#/.exec(failing.disasm)?.[1] : undefined;
    const mapState = keyed ? currentRegisters(p).get('R1') : undefined;
    const keyless = mapState ? /^map_ptr\((?:[^)]*,)?map=(\w+)[^)]*\bks=0\b/.exec(mapState)?.[1] : undefined;
    if (keyed && keyless && d.register === 'R2') {
      const instead =
        keyed === 'bpf_map_update_elem'
          ? 'bpf_map_push_elem(&map, &value, flags)'
          : keyed === 'bpf_map_lookup_elem'
            ? 'bpf_map_peek_elem(&map, &value) or bpf_map_pop_elem(&map, &value)'
            : 'bpf_map_pop_elem(&map, &value)';
      f.explanation += ` Map \`${keyless}\` has no key (key size 0: a queue, stack or bloom filter map), so ${keyed}() cannot take one; those maps have helpers of their own.`;
      f.fix = `Call ${instead} on \`${keyless}\` instead of ${keyed}().`;
    }

    // A value from bpf_get_current_task() used as a pointer: it is a number (u64) to the verifier.
    if (f.related.some((r) => /`call bpf_get_current_task#/.test(r.message)) && !f.explanation.includes('bpf_get_current_task_btf')) {
      f.explanation +=
        ' The value comes from bpf_get_current_task(), which returns the task address as a plain number (u64), never a pointer the verifier accepts.';
      f.fix = 'Use bpf_get_current_task_btf() (a trusted `struct task_struct *`, tracing programs, 5.11+) where a task pointer is needed.';
    }
    // The value came out of an inlined helper's `return`: name that helper, it is what to fix.
    if (sources && f.file && f.line) {
      const home = functionHeader(sources, f.file, f.line)?.line;
      for (const r of [...f.related]) {
        if (!r.file || !r.line || !/got (?:this|its) value here|gets its value here|comes from here/.test(r.message)) continue;
        const text = sourceLine(sources, r.file, r.line);
        // A constant (an error code such as -1) set inside another function: the returns of that
        // function that return it are where it comes from.
        const constant = /`r\d+ = (0x[0-9a-f]+|-?\d+)`/.exec(r.message)?.[1];
        const owner = constant ? functionHeader(sources, r.file, r.line) : undefined;
        if (constant && owner && owner.line !== home) {
          const v = Number(constant) | 0;
          const ownerName = declaredName(sourceLine(sources, owner.file, owner.line));
          const lines = (findSource(sources, owner.file)?.[1] ?? '').split('\n');
          const defines = definesOf(lines);
          const rets: number[] = [];
          for (let i = owner.line; i < lines.length && !/^\}/.test(lines[i]) && rets.length < 3; i++)
            if (returnedConstant(lines[i], defines) === v) rets.push(i + 1);
          for (const line of rets)
            f.related.push({ file: owner.file, line, message: `\`${ownerName ?? 'the function'}()\` returns ${v} here` });
          if (rets.length && ownerName && !f.explanation.includes(`\`${ownerName}()\``))
            f.explanation += ` The value is ${v}, what \`${ownerName}()\` returns ${v < 0 ? 'for an error' : 'here'}${v < 0 ? ': the caller uses it without checking for a negative result' : ''}.`;
          if (rets.length && v < 0 && ownerName)
            f.fix = `Check the result of \`${ownerName}()\` (\`if (ret < 0) return ...;\`) before using it.`;
          if (rets.length) break;
        }
        const header = text && /^return\b/.test(text) ? functionHeader(sources, r.file, r.line) : undefined;
        const name = header ? declaredName(sourceLine(sources, header.file, header.line)) : undefined;
        if (!text || !header || !name || header.line === home || f.explanation.includes(`\`${name}()\``)) continue;
        const stmt = withoutComment(text);
        f.explanation += ` The value is what \`${name}()\` returns (\`${stmt}\`)${f.catalogId === 'null-deref' ? ': the helper passes the result on without a NULL check, so every caller must check it (or the helper must)' : ''}.`;
        break;
      }
    }

    // The failing line is in a function the program inlines: the call that brought it there
    // (its arguments are often the cause: a context field passed by address, an unchecked pointer).
    if (sources && f.file && f.line && p.log.name) {
      const chain = callSitesTo(sources, f.file, f.line, p.log.name);
      for (const c of chain)
        f.related.push({ file: c.file, line: c.line, message: `\`${c.callee}()\`, where this line is, is called here` });
      // The helper's argument is a parameter of the inlined function and the verifier says it is a
      // stack pointer where another kind is needed: the caller passed `&local` in that place, so the
      // call site is the line to change (arguments swapped or the wrong one passed).
      const site = chain[chain.length - 1];
      const param = f.details?.argument;
      const header = site ? functionHeader(sources, f.file, f.line) : undefined;
      const params = header ? wrapperParams(sourceLine(sources, header.file, header.line)) : [];
      const at = param ? params.indexOf(param) : -1;
      const passed = at >= 0 && site ? argumentExpression(sourceLine(sources, site.file, site.line), at) : undefined;
      if (site && passed && d.type === 'fp' && d.expected && d.expected !== 'fp' && /^&\s*\w+/.test(passed)) {
        f.related.unshift({
          file: f.file,
          line: f.line,
          message: `the helper receives \`${param}\` here, a stack address (${passed}) where it needs ${d.expected}`,
        });
        f.file = site.file;
        f.line = site.line;
        f.sourceText = sourceLine(sources, site.file, site.line);
        f.explanation += ` \`${site.callee}()\` is called with \`${passed}\` as its parameter \`${param}\`: the arguments of this call are in the wrong order, or the wrong value is passed.`;
        f.fix = `Pass \`${site.callee}()\` its arguments in the order of its parameters (${params.join(', ')}).`;
      }
    }

    // Keep only locations that say something beyond the primary line.
    f.related = f.related.filter((r, i, all) => all.findIndex((q) => q.line === r.line && q.file === r.file) === i);
  };

  const isError = (text: string) => matchFamily(text) !== undefined;
  const onLine = (raw: string) => {
    lines++;
    bytes += raw.length + 1;
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
      for (const u of inner) {
        if (u.summary) summaryTexts.add(u.text.trim());
        onText(u.text);
      }
      if (summary && current && !current.ended) conclude(current);
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
        if (l.index !== undefined)
          setFullState(p, l.state); // a full state at an instruction
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
        if (libbpfLines.length < 1000) libbpfLines.push({ program: l.program, text: l.text, raw: l.raw });
        return;
      case 'clang':
        if (l.severity !== 'note') {
          const f = clangFinding(l, options.sources);
          if (l.backendCrash) crashFindings.add(f);
          addFinding(f);
        }
        return;
      case 'trace': {
        // Level 1 announces each global function it checks: the next instruction starts it.
        const v = /^Validating \w+\(\) func#(\d+)\.\.\.$/.exec(l.raw.trim());
        if (v) ensure().validating = Number(v[1]);
        return;
      }
      case 'text': {
        if (!l.text) return;
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
        if (p && p.candidates.length < MAX_CANDIDATES) p.candidates.push(l.raw.trim());
        return;
      }
    }
  };

  const splitter = new LineSplitter(onLine);
  return {
    push: (chunk) => splitter.push(chunk),
    end: () => {
      splitter.end();
      close();
      const lib = libbpfFindings(libbpfLines, findings.length > 0, options.sources, options.lineInfo);
      // A libbpf line that says what a verifier finding already says (CO-RE) adds nothing.
      for (const l of lib) if (!findings.some((f) => f.catalogId === l.catalogId)) addFinding(l);
      mergeDuplicateClang(findings);
      dropRestatements(findings, fromSummary, crashFindings);
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

/** The text of line `line` of a source, trimmed. */
function sourceLine(
  sources: ReadonlyMap<string, string> | undefined,
  file: string | undefined,
  line: number | undefined,
): string | undefined {
  if (!sources || !file || !line) return undefined;
  const text = sources.get(file) ?? [...sources].find(([k]) => basename(k) === basename(file))?.[1];
  return text?.split('\n')[line - 1]?.trim();
}

/**
 * Why a register used as an address is a plain number, from where it got its value: a NULL
 * that a failed lookup left (known 0), a helper that returns an address as a number, or a
 * pointer loaded from memory (kernel memory must be read with BPF_CORE_READ).
 */
function explainScalar(f: Finding, reg: number, o: OriginStep | undefined, value: string | undefined, kind: string | undefined): void {
  const r = `R${reg}`;
  const call = o ? /^call (\w+)/.exec(o.disasm)?.[1] : undefined;
  if (value === '0') {
    f.explanation += ` ${r} is known to be 0 on this path: the pointer is NULL here (a lookup or a helper that failed, or a variable set to NULL), and the path dereferences it anyway.`;
    f.fix = `Check ${r}'s pointer for NULL (and return) before this access, on the path where it can be NULL.`;
  } else if (call === 'bpf_get_current_task') {
    f.explanation += ` ${r} comes from bpf_get_current_task(), which returns the task's address as a number (u64), not a pointer the program may dereference.`;
    f.fix =
      'Use bpf_get_current_task_btf() for a typed task pointer you can read fields from directly (tracing programs, 5.11+), or read the fields with BPF_CORE_READ(task, field).';
  } else if (call) {
    f.explanation += ` ${r} is the return value of ${call}(), a number to the verifier, not a pointer it lets you dereference.`;
  } else if (o && /= \*\(u64 \*\)\(r\d+ [-+]\d+\)$/.test(o.disasm)) {
    f.explanation += ` ${r} was loaded from memory (\`${o.disasm}\`): a pointer stored in kernel memory${/probe|ksyscall/.test(kind ?? '') ? ' or passed to a kprobe (PT_REGS_PARM*)' : ''} is a plain number to the verifier, so it cannot be dereferenced directly.`;
    f.fix = 'Read through it with BPF_CORE_READ(ptr, field) or bpf_probe_read_kernel(&dst, sizeof(dst), &ptr->field).';
  }
}

/**
 * Calls between a pointer's origin and its use after which the verifier no longer treats the
 * pointer as one: a submit / discard / release / drop hands the object back, adding a node to a
 * tree or list leaves a reference that dies with the lock, an unlock ends it.
 */
const RELEASING =
  /^call (bpf_ringbuf_(?:submit|discard)(?:_dynptr)?|bpf_\w+_release|bpf_(?:percpu_)?obj_drop(?:_impl)?|bpf_rbtree_add(?:_impl)?|bpf_list_push_(?:front|back)(?:_impl)?|bpf_spin_unlock|bpf_res_spin_unlock|bpf_kptr_xchg)#/;

function releasedBetween(
  records: readonly import('./provenance').HistoryRecord[],
  from: number,
  to: number,
): { index: number; call: string; why: string }[] {
  const out: { index: number; call: string; why: string }[] = [];
  for (let i = from + 1; i < to; i++) {
    const r = records[i];
    const m = r.kind === 'insn' ? RELEASING.exec(r.disasm) : null;
    if (!m || r.kind !== 'insn') continue;
    const call = m[1].replace(/_impl$/, '');
    const why = /unlock/.test(call)
      ? `${call}() releases the lock here: references into the collection it guarded end with it`
      : /rbtree_add|list_push/.test(call)
        ? `${call}() hands the node to the collection here: the program keeps only a reference that lasts until the lock is released`
        : `${call}() gives the object back here: pointers to it are invalid after this call`;
    out.push({ index: r.index, call, why });
  }
  // A node added and then its lock released: both matter; otherwise the last release is the one.
  const add = out.findIndex((g) => /rbtree_add|list_push/.test(g.call));
  return add >= 0
    ? out
        .slice(add)
        .filter((g, i) => i === 0 || /unlock/.test(g.call))
        .slice(0, 2)
    : out.slice(-1);
}

/** The walk went round a loop: a jump backwards among the last instructions. */
function hasBackwardJump(records: readonly import('./provenance').HistoryRecord[], pos: number): boolean {
  for (let i = pos; i >= 0 && i > pos - 4096; i--) {
    const r = records[i];
    if (r.kind === 'insn' && /goto pc-\d+$/.test(r.disasm)) return true;
  }
  return false;
}

/** The calls that open a lock, RCU or preemption section. */
const OPENER = /^call (?:bpf_spin_lock|bpf_res_spin_lock|bpf_rcu_read_lock|bpf_preempt_disable|bpf_local_irq_save)\b/;

/** Helpers after which the verifier invalidates every packet pointer (bpf_helper_changes_pkt_data). */
const PACKET_CHANGING =
  /^call (bpf_skb_store_bytes|bpf_skb_change_\w+|bpf_skb_pull_data|bpf_skb_vlan_(?:push|pop)|bpf_l[34]_csum_replace|bpf_xdp_adjust_(?:head|tail|meta)|bpf_skb_adjust_room|bpf_lwt_\w+|bpf_msg_(?:pull|push|pop)_data|bpf_clone_redirect|bpf_skb_ecn_set_ce)\b/;

/** The function that releases what an acquiring helper or kfunc returned. */
function releaseOf(acquire: string): string | undefined {
  if (/^bpf_ringbuf_reserve$/.test(acquire)) return 'bpf_ringbuf_submit() or bpf_ringbuf_discard()';
  if (/^bpf_ringbuf_reserve_dynptr$/.test(acquire)) return 'bpf_ringbuf_submit_dynptr() or bpf_ringbuf_discard_dynptr()';
  if (/^bpf_(?:sk|skc)_lookup_\w+$|^bpf_sk_fullsock$/.test(acquire)) return 'bpf_sk_release()';
  const iter = /^bpf_iter_(\w+)_new$/.exec(acquire)?.[1];
  if (iter) return `bpf_iter_${iter}_destroy()`;
  const kind = /^bpf_(task|cgroup|cpumask|obj|percpu_obj|rbtree|list|crypto_ctx)_/.exec(acquire)?.[1];
  if (kind === 'obj' || kind === 'percpu_obj') return `bpf_${kind}_drop()`;
  if (kind) return `bpf_${kind}_release()`;
  return undefined;
}

let byId: Map<string, CatalogEntry> | undefined;
function entryOf(id: string | null | undefined): CatalogEntry | undefined {
  byId ??= new Map(catalog.map((e) => [e.id, e]));
  return id ? byId.get(id) : undefined;
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

function parseRange(s: string | undefined): [number, number] | undefined {
  const m = s && /(-?\d+), ?(-?\d+)/.exec(s);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** The start instruction of the subprogram containing `insn` (not the main program). */
function enclosingSubprog(log: ProgramLog, insn: number): number | undefined {
  let best: number | undefined;
  for (const s of log.subprograms) if (s.index > 0 && s.insn <= insn && (best === undefined || s.insn > best)) best = s.insn;
  return best;
}

/** The most recent helper call that takes a callback (the one that made the verifier enter it). */
function findCallbackCallSite(records: readonly import('./provenance').HistoryRecord[], from: number) {
  for (let i = from; i >= 0; i--) {
    const r = records[i];
    if (
      r.kind === 'insn' &&
      /^call (?:bpf_for_each_map_elem|bpf_loop|bpf_timer_set_callback|bpf_find_vma|bpf_user_ringbuf_drain|bpf_rbtree_add\w*|bpf_wq_set_callback\w*)#?/.test(
        r.disasm,
      )
    ) {
      const next = records[i + 1];
      return { index: r.index, disasm: r.disasm, callee: next?.kind === 'insn' ? next.index : undefined };
    }
  }
  return undefined;
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

/** The variable a C statement assigns (`struct val *v = lookup(...)` -> `v`), when it is one. */
export function assignedVariable(statement: string | undefined): string | undefined {
  const m = statement && /(\w+)(?:\s*\[[^\]]*\])?\s*=(?!=)/.exec(statement);
  return m ? m[1] : undefined;
}

/**
 * A helper argument the verifier names by register (R1..R5 of a call): quote the expression the
 * user wrote for it, from the call's source line.
 */
function nameCallArgument(f: Finding, disasm: string | undefined): void {
  const reg = f.details?.register;
  const n = reg ? Number(reg.slice(1)) : NaN;
  if (!disasm || !/^call /.test(disasm) || !(n >= 1 && n <= 5) || !f.sourceText) return;
  const expr = argumentExpression(f.sourceText, n - 1);
  if (!expr) return;
  const callee = /^call (\w+)/.exec(disasm)?.[1];
  f.details = { ...f.details, argument: expr };
  f.explanation += ` ${reg} is argument ${n} of ${callee ?? 'the call'}: \`${expr}\` in your code.`;
  f.fix = f.fix.replace(/\.$/, '') + ` — here, \`${expr}\`.`;
}

/** A source line without its trailing comment (fixtures and users annotate lines). */
const withoutComment = (text: string | undefined): string => (text ?? '').replace(/\s*(?:\/\*.*|\/\/.*)$/, '');

/** C's signed integer types, as declarations spell them. */
const SIGNED_TYPE = String.raw`(?:int|long|short|char|s8|s16|s32|s64|__s(?:8|16|32|64)|int\d+_t)`;

/** The name a function header line declares: `static int emit(void *ctx, ...)` -> emit. */
const declaredName = (header: string | undefined) => /(\w+)\s*\([^()]*(?:\)|,|$)/.exec(header ?? '')?.[1];

/** `x & N` as a bound: with N a power of two it keeps 0 and N, not 0..N-1 (one past the end). */
const powerOfTwoMask = (name: string, n: number) =>
  n > 1 && (n & (n - 1)) === 0
    ? `\`& ${name}\` (${n}, a power of two) keeps 0 and ${n}, not 0..${n - 1}, so ${n} is possible, one past the end; a mask must be size - 1, \`& (${name} - 1)\`.`
    : undefined;

/** The parameter names of a function header line: `static int emit(void *ctx, void *data, u32 size)` -> [ctx, data, size]. */
function wrapperParams(header: string | undefined): string[] {
  const inside = header ? /\(([^()]*)\)/.exec(header)?.[1] : undefined;
  if (!inside) return [];
  return inside.split(',').map((p) => /(\w+)\s*(?:\[[^\]]*\])?\s*$/.exec(p.trim())?.[1] ?? '');
}

/** R1..R5 are arguments 1..5 of a call. */
const helperArgIndex = (reg: number) => reg - 1;

/**
 * Only the sources the loaded object was built from, when its line info names them: a
 * same-looking line (a map or program of the same name) in another file of the workspace is never
 * the place. All sources when the object names none of them.
 */
function objectSources(sources: AnalyzeOptions['sources'], lineInfo: AnalyzeOptions['lineInfo']): AnalyzeOptions['sources'] {
  const files = lineInfo?.files?.().map((f) => basename(f));
  if (!sources || !files?.length) return sources;
  const mine = new Map([...sources].filter(([k]) => files.includes(basename(k))));
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

/** The text of argument `n` (0-based) of the first call in a source line, e.g. `&gctx`. */
export function argumentExpression(source: string | undefined, n: number): string | undefined {
  if (!source || n < 0) return undefined;
  // The call's own parenthesis, not that of an `if (` / `while (` around it.
  const call = /\b(?!(?:if|while|for|switch|return|sizeof|likely|unlikely)\b)[A-Za-z_]\w*\s*\(/.exec(source);
  const open = call ? call.index + call[0].length - 1 : source.indexOf('(');
  if (open < 0) return undefined;
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of source.slice(open + 1)) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) break;
      depth--;
    }
    if (ch === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  args.push(cur.trim());
  return args[n] || undefined;
}

function clangFinding(l: Extract<LogLine, { kind: 'clang' }>, sources?: ReadonlyMap<string, string>): Finding {
  const ex = explainMessage(l.text);
  const unknownFile = !l.file || l.file === '<unknown>';
  let file = unknownFile ? undefined : l.file;
  if (file && sources) {
    for (const key of sources.keys()) if (basename(key) === basename(file)) file = key;
  }
  return {
    severity: l.severity === 'warning' ? 'warning' : 'error',
    message: l.raw,
    file,
    line: unknownFile || !l.line ? undefined : l.line,
    column: l.column,
    title: ex.catalogId ? ex.title : l.text,
    explanation: ex.catalogId ? ex.explanation : 'clang reported this while compiling for the BPF target.',
    fix: ex.catalogId ? ex.fix : 'See the compiler message.',
    fixExample: ex.fixExample,
    docsUrl: ex.docsUrl,
    catalogId: ex.catalogId,
    details: ex.details,
    origin: 'clang',
    related: [],
  };
}

const LIBBPF_FAILURE =
  /fail|invalid|can't|cannot|not found|unrecognized|unsupported|missing|mismatch|doesn't|isn't|is not|unknown|expected|corrupted|no matching|not resolved|legacy|too long|E2BIG/i;

/** clang repeats some BPF backend errors (function, then statement): keep one, the rest as related. */
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
  for (const l of lines) {
    // libbpf's debug output (-d) describes every map and relocation; only failures are findings.
    if (!l.bare && !LIBBPF_FAILURE.test(l.text)) continue;
    // Any entry: libbpf also restates kernel errors (`BPF program load failed: -E2BIG`).
    const hit = matchEntry(l.text);
    if (!hit) continue;
    if (hit.entry.id === 'libbpf-load-failed' && (haveVerifierFindings || out.length)) continue;
    const ex = explainMessage(l.text);
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
    const names = [...l.text.matchAll(/'([A-Za-z_]\w*)'/g)].map((m) => m[1]);
    if (l.program) names.push(l.program);
    // The object's own source file first: libbpf names the programs it loads.
    const anyProgram = l.program ?? lines.find((x) => x.program)?.program;
    const prefer = sources && anyProgram ? programDefinition(sources, anyProgram)?.file : undefined;
    for (const name of sources ? names : []) {
      const at = symbolDeclaration(sources!, name, prefer);
      if (!at) continue;
      if (f.line === undefined) {
        f.file = at.file;
        f.line = at.line;
      } else f.related.push({ ...at, message: `\`${name}\` is defined here` });
      // A map the kernel would not create: the attribute of its definition that it refuses.
      const problem = /\bmap '\w+': failed to create/.test(l.text) ? mapDefinitionProblem(sources!, at.file, at.line) : undefined;
      if (problem) {
        if (f.line !== problem.line) f.related.push({ file: f.file, line: f.line, message: `map \`${name}\` is defined here` });
        f.file = problem.file;
        f.line = problem.line;
        f.sourceText = sourceLine(sources, problem.file, problem.line);
        f.explanation += ` ${problem.why}`;
        f.fix = problem.fix;
      }
    }
  }
  // One finding per distinct message is enough.
  return out.filter((f, i) => out.findIndex((g) => stripMessagePrefixes(g.message) === stripMessagePrefixes(f.message)) === i);
}
