// `ebpf-workbench stats <OBJ|PROG> [OBJ2] [--baseline FILE] [--save] [--json]`: the verifier's
// complexity budget per program. An object is loaded (log level 4: statistics only), measured and
// unloaded; a loaded program (id or name) has only the kernel's verified_insns. Two objects, or
// one and a baseline (an earlier `stats --json`), print a veristat-style comparison.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { HelperClient } from '../core/connection/client';
import { compareBudgets, formatComparison, INSN_LIMIT, recordStats, type BudgetDelta, type ProgramBudget } from '../core/insight/budget';
import { measureObject } from '../core/insight/measure';
import { parseArgs, UsageError } from './args';
import { printJson, table } from './output';
import { resolveProgram } from './resolve';

const USAGE = 'usage: ebpf-workbench stats <file.bpf.o | prog id | name> [file2.bpf.o] [--baseline stats.json] [--save] [--json]';

const isObjectFile = (ref: string) => /\.o$/.test(ref) || (existsSync(ref) && statSync(ref).isFile());

/** The JSON shape of the issue, plus the kernel's own count and the error. */
function toJson(b: ProgramBudget) {
  return {
    name: b.name,
    verdict: b.verdict,
    processedInsns: b.processedInsns,
    totalStates: b.totalStates,
    peakStates: b.peakStates,
    maxStatesPerInsn: b.maxStatesPerInsn,
    stackDepth: b.stackDepth,
    verificationMicros: b.verificationMicros,
    insnLimit: b.insnLimit,
    verifiedInsns: b.verifiedInsns,
    ...(b.error ? { error: b.error } : {}),
  };
}

async function measure(client: HelperClient, ref: string, remote: boolean): Promise<ProgramBudget[]> {
  if (isObjectFile(ref)) {
    const file = path.resolve(ref);
    const object = remote ? { bytes: readFileSync(file).toString('base64') } : { path: file };
    return (await measureObject(client, object)).budgets;
  }
  const id = await resolveProgram(client, ref);
  const prog = (await client.listPrograms()).programs.find((p) => p.id === id);
  if (!prog) throw new UsageError(`no program with id ${id} is loaded`);
  // The kernel keeps only the processed-instruction count of a loaded program.
  return [
    {
      name: prog.name,
      verdict: 'accepted',
      processedInsns: prog.verifiedInsns || undefined,
      verifiedInsns: prog.verifiedInsns || undefined,
      insnLimit: INSN_LIMIT,
    },
  ];
}

function readBaseline(file: string): ProgramBudget[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { programs?: ProgramBudget[] };
  if (!Array.isArray(parsed.programs)) throw new UsageError(`${file} is not the output of "ebpf-workbench stats --json"`);
  return parsed.programs.map((p) => ({ ...p, insnLimit: p.insnLimit ?? INSN_LIMIT }));
}

const num = (v?: number) => (v === undefined ? '-' : v.toLocaleString('en-US'));

export async function statsCommand(client: HelperClient, argv: string[], remote = false): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'save'], options: ['baseline'] });
  if (args.positionals.length < 1 || args.positionals.length > 2) throw new UsageError(USAGE);
  const json = args.flags.has('json');
  const [first, second] = args.positionals;
  const after = await measure(client, second ?? first, remote);
  let before: ProgramBudget[] | undefined;
  if (second) before = await measure(client, first, remote);
  else if (args.options.has('baseline')) before = readBaseline(args.options.get('baseline')!);
  if (args.flags.has('save')) {
    if (!isObjectFile(second ?? first)) throw new UsageError('--save records the stats of an object file beside it');
    const rec = recordStats(path.resolve(second ?? first), after);
    before ??= rec.previous?.programs;
  }
  const rows: BudgetDelta[] | undefined = before ? compareBudgets(before, after) : undefined;

  if (json) {
    printJson({
      programs: after.map(toJson),
      ...(rows
        ? {
            comparison: rows.map((r) => ({
              name: r.name,
              before: r.before && toJson(r.before),
              after: r.after && toJson(r.after),
              delta: {
                processedInsns: r.insns,
                totalStates: r.totalStates,
                peakStates: r.peakStates,
                verificationMicros: r.verificationMicros,
                stack: r.stack,
              },
            })),
          }
        : {}),
    });
    return 0;
  }
  if (rows) {
    const t = formatComparison(rows);
    process.stdout.write(table(t.headers, t.rows, t.rightAligned) + '\n');
    return 0;
  }
  process.stdout.write(
    table(
      ['PROGRAM', 'VERDICT', 'INSNS', 'LIMIT', 'STATES', 'PEAK', 'MAX/INSN', 'STACK', 'TIME (us)', 'VERIFIED (kernel)'],
      after.map((b) => [
        b.name,
        b.verdict,
        num(b.processedInsns),
        `${(((b.processedInsns ?? 0) / b.insnLimit) * 100).toFixed(1)}%`,
        num(b.totalStates),
        num(b.peakStates),
        num(b.maxStatesPerInsn),
        b.stackDepth?.join('+') ?? '-',
        num(b.verificationMicros),
        num(b.verifiedInsns),
      ]),
      [2, 3, 4, 5, 6, 8, 9],
    ) + '\n',
  );
  for (const b of after) if (b.error) process.stdout.write(`${b.name}: ${b.error}\n`);
  return 0;
}
