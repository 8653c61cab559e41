// The complexity budget of a program: how much of the verifier's limits one load used, from the
// log's statistics lines (log level 4 prints them without the trace) and the kernel's
// bpf_prog_info.verified_insns; kept per build in a small JSON file beside the objects, so the
// next load can say what changed (veristat-style). Comparing two sets is pure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LogIndexer, type LogIndex } from './logIndex';

/** BPF_COMPLEXITY_LIMIT_INSNS: the verifier's budget of processed instructions (privileged loads). */
export const INSN_LIMIT = 1_000_000;
/** Log level that prints the statistics lines only: cheap enough for every load. */
export const LOG_LEVEL_STATS = 4;

export interface ProgramBudget {
  name: string;
  verdict: 'accepted' | 'rejected';
  /** Instructions the verifier processed (the log's `processed N insns`, else the kernel's verified_insns). */
  processedInsns?: number;
  insnLimit: number;
  totalStates?: number;
  peakStates?: number;
  maxStatesPerInsn?: number;
  /** Bytes of stack per subprogram (the main program first). */
  stackDepth?: number[];
  verificationMicros?: number;
  /** bpf_prog_info.verified_insns of the loaded program (accepted programs only). */
  verifiedInsns?: number;
  /** The verifier's error line, when rejected. */
  error?: string;
}

/** Indexes a log held in memory (a load's log is at most a few hundred megabytes, usually three lines). */
export function indexText(text: string): LogIndex {
  const indexer = new LogIndexer();
  indexer.push(Buffer.from(text, 'utf8'));
  return indexer.end();
}

/** The budget of one program from its log (any level) and, when it loaded, the kernel's count. */
export function budgetFromLog(name: string, log: string, verdict: ProgramBudget['verdict'], verifiedInsns?: number): ProgramBudget {
  const index = indexText(log);
  // A rejected load's log may hold libbpf's lines and one program; prefer the one that names itself.
  const p = index.programs.find((x) => x.name === name && x.stats) ?? index.programs.find((x) => x.stats) ?? index.programs[0];
  const known = verifiedInsns !== undefined && verifiedInsns > 0 ? verifiedInsns : undefined;
  return {
    name,
    verdict,
    processedInsns: p?.stats?.processedInsns ?? known,
    insnLimit: p?.stats?.insnLimit ?? INSN_LIMIT,
    totalStates: p?.stats?.totalStates,
    peakStates: p?.stats?.peakStates,
    maxStatesPerInsn: p?.stats?.maxStatesPerInsn,
    stackDepth: p?.stackDepth,
    verificationMicros: p?.verificationMicros,
    verifiedInsns: known,
    error: verdict === 'rejected' ? p?.error : undefined,
  };
}

// ---------- comparing ----------

export interface BudgetDelta {
  name: string;
  before?: ProgramBudget;
  after?: ProgramBudget;
  /** after - before, for the numbers both have. */
  insns?: number;
  totalStates?: number;
  peakStates?: number;
  verificationMicros?: number;
  stack?: number;
}

const sum = (xs?: number[]) => (xs ? xs.reduce((a, b) => a + b, 0) : undefined);
const diff = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : b - a);

/** Programs matched by name, in the order of `after` then those only in `before`. */
export function compareBudgets(before: ProgramBudget[], after: ProgramBudget[]): BudgetDelta[] {
  const old = new Map(before.map((b) => [b.name, b]));
  const rows: BudgetDelta[] = after.map((a) => {
    const b = old.get(a.name);
    old.delete(a.name);
    return {
      name: a.name,
      before: b,
      after: a,
      insns: diff(b?.processedInsns, a.processedInsns),
      totalStates: diff(b?.totalStates, a.totalStates),
      peakStates: diff(b?.peakStates, a.peakStates),
      verificationMicros: diff(b?.verificationMicros, a.verificationMicros),
      stack: diff(sum(b?.stackDepth), sum(a.stackDepth)),
    };
  });
  for (const b of old.values()) rows.push({ name: b.name, before: b });
  return rows;
}

const n = (v?: number) => (v === undefined ? '-' : v.toLocaleString('en-US'));
export const signedCount = (v?: number) =>
  v === undefined ? '' : `${v > 0 ? '+' : v < 0 ? '-' : '±'}${Math.abs(v).toLocaleString('en-US')}`;
const pct = (d?: number, base?: number) => (d === undefined || !base ? '' : ` (${d >= 0 ? '+' : ''}${((100 * d) / base).toFixed(1)}%)`);

/** A veristat-like table: one row per program, old and new values with the difference. */
export function formatComparison(rows: BudgetDelta[]): { headers: string[]; rows: string[][]; rightAligned: number[] } {
  const verdict = (b?: ProgramBudget) => (b ? (b.verdict === 'accepted' ? 'success' : 'failure') : '-');
  return {
    headers: [
      'Program',
      'Verdict (A)',
      'Verdict (B)',
      'Insns (A)',
      'Insns (B)',
      'Insns (DIFF)',
      'States (A)',
      'States (B)',
      'States (DIFF)',
    ],
    rows: rows.map((r) => [
      r.name,
      verdict(r.before),
      verdict(r.after),
      n(r.before?.processedInsns),
      n(r.after?.processedInsns),
      `${signedCount(r.insns)}${pct(r.insns, r.before?.processedInsns)}`,
      n(r.before?.totalStates),
      n(r.after?.totalStates),
      `${signedCount(r.totalStates)}${pct(r.totalStates, r.before?.totalStates)}`,
    ]),
    rightAligned: [3, 4, 5, 6, 7, 8],
  };
}

/** The CodeLens text: `processed 18,204 / 1,000,000 insns (+12,400) · states 120 (peak 40) · stack 8+16 · 312 µs`. */
export function describeBudget(b: ProgramBudget, before?: ProgramBudget): string {
  const parts: string[] = [];
  const delta = before ? diff(before.processedInsns, b.processedInsns) : undefined;
  parts.push(
    `${b.verdict === 'rejected' ? 'rejected: ' : ''}processed ${n(b.processedInsns)} / ${n(b.insnLimit)} insns${delta ? ` (${signedCount(delta)})` : ''}`,
  );
  if (b.totalStates !== undefined) parts.push(`states ${n(b.totalStates)} (peak ${n(b.peakStates)})`);
  if (b.stackDepth?.length) parts.push(`stack ${b.stackDepth.join('+')} B`);
  if (b.verificationMicros !== undefined) parts.push(`${n(b.verificationMicros)} µs`);
  return parts.join(' · ');
}

/** A five-cell gauge of processed / limit with the share: `▰▰▱▱▱ 41%`, `▱▱▱▱▱ 0.1%`. */
export function budgetGauge(b: ProgramBudget): string {
  const used = Math.min(1, (b.processedInsns ?? 0) / b.insnLimit);
  const cells = Math.round(used * 5);
  const pct = used * 100;
  return `${'▰'.repeat(cells)}${'▱'.repeat(5 - cells)} ${pct >= 10 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/**
 * The programs a BPF C file defines: each `SEC("...")` and the function after it (same line or the
 * next few; `BPF_PROG(name, ...)`-style macros name it in their first argument), with the 0-based
 * line of the SEC. libbpf names a program after its function, so these match a load's programs.
 */
export function secPrograms(text: string): { name: string; line: number }[] {
  const out: { name: string; line: number }[] = [];
  const lines = text.split('\n');
  const SEC = /^\s*SEC\(\s*"[^"]*"\s*\)/;
  for (let i = 0; i < lines.length; i++) {
    if (!SEC.test(lines[i])) continue;
    for (let j = i; j < Math.min(lines.length, i + 4); j++) {
      const rest = j === i ? lines[j].replace(SEC, '') : lines[j];
      const macro = /\bBPF_[A-Z_0-9]+\(\s*(\w+)/.exec(rest);
      const fn = /\b(\w+)\s*\(/.exec(rest);
      const name = macro?.[1] ?? fn?.[1];
      if (name) {
        out.push({ name, line: i });
        break;
      }
    }
  }
  return out;
}

// ---------- the per-build file ----------

/** Kept beside the objects: `<output folder>/.ebpf-verifier-stats.json`. */
export const STATS_FILE = '.ebpf-verifier-stats.json';

export interface StatsRecord {
  /** ISO time of the load. */
  loadedAt: string;
  /** The C source the object was built from, when known (the CodeLens finds its programs by it). */
  source?: string;
  programs: ProgramBudget[];
}

export interface StatsFile {
  version: 1;
  /** By object file name: the last load and the one before it. */
  objects: Record<string, { current: StatsRecord; previous?: StatsRecord }>;
}

export function statsFileFor(objectPath: string): string {
  return path.join(path.dirname(objectPath), STATS_FILE);
}

export function readStats(file: string): StatsFile {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as StatsFile;
    if (parsed && parsed.version === 1 && typeof parsed.objects === 'object') return parsed;
  } catch {
    /* missing or unreadable: start afresh */
  }
  return { version: 1, objects: {} };
}

/** Records a load of `objectPath`: the last load becomes `previous`. Returns the record pair. */
export function recordStats(
  objectPath: string,
  programs: ProgramBudget[],
  now = new Date(),
  source?: string,
): { current: StatsRecord; previous?: StatsRecord; file: string } {
  const file = statsFileFor(objectPath);
  const stats = readStats(file);
  const key = path.basename(objectPath);
  const previous = stats.objects[key]?.current;
  const current: StatsRecord = { loadedAt: now.toISOString(), ...(source ? { source } : {}), programs };
  stats.objects[key] = { current, previous };
  fs.writeFileSync(file, `${JSON.stringify(stats, null, 2)}\n`);
  return { current, previous, file };
}

export function lastStats(objectPath: string): { current: StatsRecord; previous?: StatsRecord } | undefined {
  return readStats(statsFileFor(objectPath)).objects[path.basename(objectPath)];
}
