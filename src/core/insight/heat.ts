// The heat map: how many instruction visits the verifier spent on each source line. Every
// instruction line of the log is one visit, attributed to the source line annotated last before it
// (steps before any annotation count under "no source line"), so the visits of a program add up
// to its instruction lines; pruning points are counted apart (the kernel counts them as processed).
import type { LogIndex, ProgramIndex } from './logIndex';

export interface HeatLine {
  file?: string;
  /** 1-based; 0 for compiler-made code; undefined when the log printed no line number (or no annotation). */
  line?: number;
  text: string;
  visits: number;
  /** visits / instruction lines of the program. */
  share: number;
}

export interface HeatMap {
  program?: string;
  /** Instruction lines of the program's log: the sum of `lines[].visits`. */
  instructionLines: number;
  /** Pruning points (`safe`): processed by the kernel, not printed as instructions. */
  pruned: number;
  /** The kernel's count, when the log has its statistics line. */
  processedInsns?: number;
  insnLimit?: number;
  /** Hottest first. */
  lines: HeatLine[];
  /** Visits per instruction index, hottest first. */
  insns: { insn: number; visits: number; line?: number }[];
  /** One sentence for people: where the budget went. */
  summary: string;
}

export const NO_SOURCE_LINE = '(no source line printed)';

export function heatMap(index: LogIndex, program: ProgramIndex): HeatMap {
  const perLine = new Map<number, number>();
  const perInsn = new Map<number, { visits: number; lineId: number }>();
  for (let s = program.firstStep; s < program.endStep; s++) {
    const id = index.stepLine[s];
    perLine.set(id, (perLine.get(id) ?? 0) + 1);
    const insn = index.stepInsn[s];
    const e = perInsn.get(insn);
    if (e) e.visits++;
    else perInsn.set(insn, { visits: 1, lineId: id });
  }
  const total = program.endStep - program.firstStep;
  const lines: HeatLine[] = [...perLine]
    .map(([id, visits]) => {
      const l = id >= 0 ? index.lines[id] : undefined;
      return { file: l?.file, line: l?.line, text: l?.text ?? NO_SOURCE_LINE, visits, share: total ? visits / total : 0 };
    })
    .sort((a, b) => b.visits - a.visits || (a.line ?? 0) - (b.line ?? 0));
  const insns = [...perInsn]
    .map(([insn, e]) => ({ insn, visits: e.visits, line: e.lineId >= 0 ? index.lines[e.lineId].line : undefined }))
    .sort((a, b) => b.visits - a.visits || a.insn - b.insn);
  const heat: HeatMap = {
    program: program.name,
    instructionLines: total,
    pruned: program.pruned,
    processedInsns: program.stats?.processedInsns,
    insnLimit: program.stats?.insnLimit,
    lines,
    insns,
    summary: '',
  };
  heat.summary = summarize(heat);
  return heat;
}

/** "lines 17-20 of x.bpf.c took 99% of the verifier's 163,837 instruction visits (172,025 processed, 17.2% of the limit); hottest: ...". */
export function summarize(heat: HeatMap): string {
  const processed = heat.processedInsns ?? heat.instructionLines + heat.pruned;
  const top = heat.lines.find((l) => l.line !== undefined && l.line > 0) ?? heat.lines[0];
  if (!top || heat.instructionLines === 0) return 'the log has no instruction lines';
  // The region: lines of the hottest line's file with at least 2% each, as one span.
  const region = heat.lines.filter((l) => l.file === top.file && l.line !== undefined && l.line > 0 && l.share >= 0.02);
  const lo = Math.min(...region.map((l) => l.line!));
  const hi = Math.max(...region.map((l) => l.line!));
  const regionVisits = region.reduce((n, l) => n + l.visits, 0);
  const pct = (n: number) => `${Math.round((100 * n) / Math.max(1, heat.instructionLines))}%`;
  const where = lo === hi ? `line ${lo}` : `lines ${lo}-${hi}`;
  const budget = heat.insnLimit
    ? `, ${((100 * processed) / heat.insnLimit).toFixed(1)}% of the ${heat.insnLimit.toLocaleString('en-US')} limit`
    : '';
  return (
    `${where}${top.file ? ` of ${top.file}` : ''} took ${pct(regionVisits)} of the verifier's ${heat.instructionLines.toLocaleString('en-US')} instruction visits` +
    ` (${processed.toLocaleString('en-US')} processed${budget}); hottest: line ${top.line} \`${top.text.trim()}\` with ${top.visits.toLocaleString('en-US')} visits (${pct(top.visits)})`
  );
}
