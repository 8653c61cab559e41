// `ebpf-workbench trace [--prog ID|NAME]... [--no-pipe] [--json]`: bpf_printk output as it comes,
// from the kernel's tracing pipe (and the BPF streams of the given programs, Linux 6.17+), until
// Ctrl-C. With --json, one line per trace line: {"pid","comm","cpu","timestamp","text","source"}.
import type { HelperClient } from '../core/connection/client';
import type { TraceLine } from '../protocol';
import { parseArgs, UsageError } from './args';
import { resolveProgram } from './resolve';
import { untilInterrupted } from './output';

export function formatTraceLine(l: TraceLine): string {
  if (l.source !== 'pipe') return `[prog ${l.programId} ${l.source}] ${l.text}`;
  return `${l.timestamp.toFixed(6)} [${String(l.cpu).padStart(3, '0')}] ${l.comm}-${l.pid}: ${l.event ? `${l.event}: ` : ''}${l.text}`;
}

export async function traceCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'no-pipe'], options: ['prog'], repeatable: ['prog'] });
  if (args.positionals.length) throw new UsageError('usage: ebpf-workbench trace [--prog ID|NAME]... [--no-pipe] [--json]');
  const json = args.flags.has('json');
  const programs: number[] = [];
  for (const ref of args.all.get('prog') ?? []) programs.push(await resolveProgram(client, ref));
  let dropped = 0;
  const sub = await client.subscribeTrace(
    { pipe: !args.flags.has('no-pipe'), ...(programs.length ? { programs } : {}) },
    {
      onBatch: (b) => {
        const out = b.lines.map((l) => (json ? JSON.stringify(l) : formatTraceLine(l))).join('\n');
        if (out) process.stdout.write(out + '\n');
        if (b.dropped > dropped) process.stderr.write(`note: ${b.dropped - dropped} lines dropped (the terminal could not keep up)\n`);
        dropped = b.dropped;
      },
    },
  );
  for (const n of sub.result.notes) process.stderr.write(`note: ${n}\n`);
  if (!json)
    process.stderr.write(
      `reading ${[sub.result.pipe, ...programs.map((p) => `the streams of program ${p}`)].filter(Boolean).join(' and ')} until Ctrl-C\n`,
    );
  await untilInterrupted(client);
  await sub.dispose();
  return 0;
}
