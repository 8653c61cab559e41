// `ebpf-workbench explain LOG --heat [--json]`: where the verifier spent its instructions, per
// source line of each program in the log. Streams the log (bounded memory); the visits of a
// program add up to its instruction lines.
import { heatMap, type HeatMap } from '../core/insight/heat';
import { indexStream } from '../core/insight/logIndex';
import { printJson, table } from './output';

export async function heatMain(stream: AsyncIterable<string | Uint8Array>, json: boolean): Promise<number> {
  const index = await indexStream(stream);
  const maps: HeatMap[] = index.programs.filter((p) => p.endStep > p.firstStep).map((p) => heatMap(index, p));
  if (json) {
    printJson({
      instructionLines: index.stepOffset.length,
      programs: maps.map((h) => ({
        name: h.program,
        instructionLines: h.instructionLines,
        pruned: h.pruned,
        processedInsns: h.processedInsns,
        summary: h.summary,
        lines: h.lines.map((l) => ({ file: l.file, line: l.line, text: l.text, visits: l.visits, share: Number(l.share.toFixed(6)) })),
      })),
    });
    return 0;
  }
  if (maps.length === 0) {
    process.stdout.write('the log has no instruction lines (a heat map needs a log of level 1 or 2)\n');
    return 0;
  }
  for (const h of maps) {
    process.stdout.write(`${h.program ?? 'program'}: ${h.summary}\n`);
    const rows = h.lines
      .slice(0, 20)
      .map((l) => [
        l.file ? `${l.file}:${l.line ?? '?'}` : '-',
        l.visits.toLocaleString('en-US'),
        `${(l.share * 100).toFixed(1)}%`,
        '█'.repeat(Math.max(l.visits ? 1 : 0, Math.round(l.share * 30))),
        l.text.trim().slice(0, 60),
      ]);
    process.stdout.write(table(['LINE', 'VISITS', 'SHARE', '', 'SOURCE'], rows, [1, 2]) + '\n');
    if (h.lines.length > 20) process.stdout.write(`... ${h.lines.length - 20} more lines (--json lists all)\n`);
    process.stdout.write('\n');
  }
  return 0;
}
