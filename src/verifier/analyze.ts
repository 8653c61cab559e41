// The streaming analyzer: lines in, findings out. It keeps only what a finding can need —
// the annotation table of the current program, a bounded window of recent instructions for the
// provenance walk, the current register state, and the lines since the last instruction (the
// error candidates) — so memory stays bounded however long the log is.
import { explainMessage, matchEntry, stripMessagePrefixes } from './explain';
import { AnnotationTable, basename, resolveAnnotation, type Annotation, type SourceLocation } from './locate';
import { classifyLine, LineSplitter, parseRegisterState, splitRunOnLines, type LogLine } from './parse';
import { arithmeticSource, History, memoryOperandRegister, traceRegister, type OriginStep } from './provenance';
import type { Analysis, AnalyzeOptions, Finding, ProgramLog, QuickFix, RelatedLocation } from './types';

const MAX_CANDIDATES = 64;

interface ProgramState {
  log: ProgramLog;
  annotations: AnnotationTable;
  pending?: Annotation; // printed, waiting for its instruction
  history: History;
  registers: Map<string, string>;
  lastInsn?: { index: number; disasm: string };
  candidates: string[];
  // 6.x prints time and stack depth before the `processed` line, older kernels after it.
  timeUsec?: number;
  stackDepth?: string;
  ended: boolean; // stats line seen: the next instruction starts a new program
  wrapped: boolean; // inside libbpf's BEGIN/END markers
  sawEnd: boolean;
}

export interface LogParser {
  push(chunk: string): void;
  end(): Analysis;
}

/** A streaming parser: feed chunks of any size, get the analysis at the end. */
export function createLogParser(options: AnalyzeOptions = {}): LogParser {
  const historyLimit = options.historyLimit ?? 20000;
  const findings: Finding[] = [];
  const programs: ProgramLog[] = [];
  const libbpfLines: { program?: string; text: string; raw: string }[] = [];
  let current: ProgramState | undefined;
  let lines = 0;
  let bytes = 0;
  let lastName: string | undefined;

  const open = (name?: string, wrapped = false): ProgramState => {
    if (current) close();
    const log: ProgramLog = { name, instructionLines: 0, subprograms: [], truncated: false, failed: false };
    programs.push(log);
    current = {
      log,
      annotations: new AnnotationTable(),
      history: new History(historyLimit),
      registers: new Map(),
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
    const cands = p.candidates.filter((c) => !/^arg#\d+ reference type\('UNKNOWN ?'\) size cannot be determined/.test(c));
    if (cands.length === 0) return;
    const message = cands.find((c) => matchEntry(c)) ?? cands[0];
    p.log.failed = true;
    findings.push(buildFinding(p, message, cands.filter((c) => c !== message)));
  };

  const locate = (p: ProgramState, insn: number | undefined): SourceLocation | undefined =>
    insn === undefined ? undefined : resolveAnnotation(p.annotations.at(insn), options.sources);

  const relatedAt = (p: ProgramState, insn: number, message: string): RelatedLocation => {
    const loc = locate(p, insn);
    return { file: loc?.file, line: loc?.line, message, insnIndex: insn };
  };

  const buildFinding = (p: ProgramState, message: string, others: string[]): Finding => {
    const failing = p.lastInsn;
    const helper = failing && /^call (\w+)#\d+/.exec(failing.disasm)?.[1];
    const ex = explainMessage(message, { helper });
    const loc = locate(p, failing?.index);
    const finding: Finding = {
      severity: ex.severity,
      message,
      file: loc?.file,
      line: loc?.line,
      title: ex.title,
      explanation: ex.explanation,
      fix: ex.fix,
      fixExample: ex.fixExample,
      docsUrl: ex.docsUrl,
      catalogId: ex.catalogId,
      details: ex.details,
      insnIndex: failing?.index,
      sourceText: loc?.text,
      // The failing instruction printed no state of its own: what we hold is the state before it.
      registers: formatRegisters(p.registers),
      program: p.log.name,
      origin: 'verifier',
      related: [],
    };
    if (others.length) finding.details = { ...finding.details, alsoReported: others.join(' | ') };
    addRootCause(p, finding, failing);
    return finding;
  };

  /** Related locations and quick fixes: where the offending value came from. */
  const addRootCause = (p: ProgramState, f: Finding, failing: ProgramState['lastInsn']) => {
    const d = f.details ?? {};
    const records = p.history.records;
    const pos = p.history.lastInsnPos();
    const describe = (steps: OriginStep[], what: string) => {
      const origin = steps[steps.length - 1];
      if (!origin) return;
      f.related.push(relatedAt(p, origin.insnIndex, `${what} (\`${origin.disasm}\`)`));
    };

    // References that were never released: the allocation instruction is printed.
    const alloc = /alloc_insn=(\d+)/.exec(f.message);
    if (alloc) {
      const at = Number(alloc[1]);
      f.related.push(relatedAt(p, at, 'reference acquired here is never released on this path'));
      const r = f.related[f.related.length - 1];
      f.quickFix = { kind: 'release-reference', file: r.file, line: r.line };
    }

    // Callback return values: name the callback and the call that registered it.
    if (f.catalogId === 'callback-return-range' || f.catalogId === 'async-callback-return') {
      const sub = failing ? enclosingSubprog(p.log, failing.index) : undefined;
      if (sub !== undefined) f.related.push(relatedAt(p, sub, 'the callback whose return value is checked'));
      const site = findCallbackCallSite(records, pos);
      if (site) f.related.push(relatedAt(p, site.index, `registered as a callback by \`${site.disasm}\``));
      f.quickFix = { kind: 'callback-return-range', file: f.file, line: f.line, range: parseRange(d.range) ?? [0, 1] };
    }
    if (f.catalogId === 'program-return-range' && d.range) {
      f.quickFix = { kind: 'program-return-range', file: f.file, line: f.line, range: parseRange(d.range) };
    }

    // A register with the wrong type / maybe-NULL / unbounded: walk back to where it got its value.
    const reg = d.register ? Number(d.register.slice(1)) : failing ? memoryOperandRegister(failing.disasm) : undefined;
    if (reg !== undefined && pos >= 0 && !alloc) {
      const steps = traceRegister(records, pos, reg);
      const type = d.type ?? '';
      if (/_or_null/.test(type) || /_or_null/.test(f.message)) {
        describe(steps, `R${reg} may be NULL: it comes from here and is not checked before use`);
        f.quickFix = { kind: 'add-null-check', file: f.file, line: f.line, register: `R${reg}` };
      } else if (f.catalogId === 'arg-expected-stack') {
        describe(steps, `R${reg} got its ${type || 'non-stack'} pointer here`);
        const expr = argumentExpression(f.sourceText, helperArgIndex(reg));
        f.quickFix = { kind: 'copy-to-stack', file: f.file, line: f.line, register: `R${reg}`, expression: expr, symbol: expr?.replace(/^&/, '').match(/^\w+$/)?.[0] };
      } else if (steps.length) {
        // Pointer arithmetic with an unbounded offset: show where the offset came from.
        const arith = steps.find((s) => s.role === 'arith' && arithmeticSource(s.disasm) !== undefined);
        if (arith && /bound|range|outside|negative|unbounded|max value|min value|invalid access/.test(f.message)) {
          const src = arithmeticSource(arith.disasm)!;
          const at = records.findIndex((r, i) => i <= pos && r.kind === 'insn' && r.index === arith.insnIndex);
          f.related.push(relatedAt(p, arith.insnIndex, `offset R${src} is added to the pointer here without a bound the verifier can see`));
          const offSteps = traceRegister(records, at >= 0 ? at : pos, src);
          describe(offSteps, `the offset R${src} gets its value here`);
          f.quickFix = { kind: 'add-bounds-check', file: f.file, line: f.line, register: `R${src}` };
        } else {
          describe(steps, `R${reg} got this value here`);
        }
      }
    }
    if (/GPL/.test(f.message) && /license|GPL-compatible|gpl_only|cannot call GPL/.test(f.message)) {
      f.quickFix = { kind: 'license-gpl' };
    }
    // Keep only locations that say something beyond the primary line.
    f.related = f.related.filter((r, i, all) => all.findIndex((q) => q.line === r.line && q.file === r.file && q.message === r.message) === i);
  };

  const onLine = (raw: string) => {
    lines++;
    bytes += raw.length + 1;
    for (const part of splitRunOnLines(raw)) onParsed(classifyLine(part));
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
          p.pending = undefined;
        }
        p.lastInsn = { index: l.index, disasm: l.disasm };
        if (l.state) for (const [k, v] of parseRegisterState(l.state)) p.registers.set(k, v);
        p.history.push({ kind: 'insn', index: l.index, disasm: l.disasm });
        p.candidates = [];
        return;
      }
      case 'state': {
        const p = ensure();
        const regs = parseRegisterState(l.state);
        if (l.index !== undefined) p.registers = regs; // a full state at an instruction
        else for (const [k, v] of regs) p.registers.set(k, v);
        return;
      }
      case 'branch': {
        const p = ensure();
        p.registers = parseRegisterState(l.state);
        p.history.push({ kind: 'branch', from: l.from, to: l.to });
        p.candidates = [];
        return;
      }
      case 'pruned':
        if (current) current.candidates = [];
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
        if (l.severity !== 'note') findings.push(clangFinding(l, options.sources));
        return;
      case 'trace':
        return;
      case 'text': {
        if (!l.text) return;
        // Text outside any program log (bpftool's own chatter) is not a verifier message.
        const p = current && !current.ended ? current : undefined;
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
      findings.push(...libbpfFindings(libbpfLines, findings.length > 0));
      return { findings, truncated: programs.some((p) => p.truncated), programs, stats: { lines, bytes } };
    },
  };
}

/** Analyze a complete log text. */
export function analyzeLog(log: string, options: AnalyzeOptions = {}): Analysis {
  const parser = createLogParser(options);
  parser.push(log);
  return parser.end();
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
    if (r.kind === 'insn' && /^call (?:bpf_for_each_map_elem|bpf_loop|bpf_timer_set_callback|bpf_find_vma|bpf_user_ringbuf_drain|bpf_rbtree_add\w*|bpf_wq_set_callback\w*)#?/.test(r.disasm)) return r;
  }
  return undefined;
}

/** R1..R5 are arguments 1..5 of a call. */
const helperArgIndex = (reg: number) => reg - 1;

/** The text of argument `n` (0-based) of the first call in a source line, e.g. `&gctx`. */
export function argumentExpression(source: string | undefined, n: number): string | undefined {
  if (!source || n < 0) return undefined;
  const open = source.indexOf('(');
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

const LIBBPF_FAILURE = /fail|invalid|can't|cannot|not found|unrecognized|unsupported|missing|mismatch|doesn't|isn't|is not|unknown|expected|corrupted/i;

/** libbpf's own errors (CO-RE, maps, externs): findings when they match a libbpf entry. */
function libbpfFindings(lines: { program?: string; text: string; raw: string }[], haveVerifierFindings: boolean): Finding[] {
  const out: Finding[] = [];
  for (const l of lines) {
    // libbpf's debug output (-d) describes every map and relocation; only failures are findings.
    if (!LIBBPF_FAILURE.test(l.text)) continue;
    const hit = matchEntry(l.text);
    if (!hit || hit.entry.origin !== 'libbpf') continue;
    if (hit.entry.id === 'libbpf-load-failed' && (haveVerifierFindings || out.length)) continue;
    const ex = explainMessage(l.text);
    out.push({
      severity: ex.severity,
      message: l.raw,
      title: ex.title,
      explanation: ex.explanation,
      fix: ex.fix,
      fixExample: ex.fixExample,
      docsUrl: ex.docsUrl,
      catalogId: ex.catalogId,
      details: ex.details,
      program: l.program,
      origin: 'libbpf',
      related: [],
    });
  }
  // One finding per distinct message is enough.
  return out.filter((f, i) => out.findIndex((g) => stripMessagePrefixes(g.message) === stripMessagePrefixes(f.message)) === i);
}
