// `ebpf-workbench events MAP [--type NAME] [--count N] [--json]`: records of a ring buffer or perf
// event array, decoded with the object's BTF, one per line, until Ctrl-C or N records.
import type { HelperClient } from '../core/connection/client';
import type { EventRecord, RecordType } from '../protocol';
import { parseArgs, positiveInt, UsageError } from './args';
import { resolveMapId } from './resolve';
import { untilInterrupted } from './output';

/** A record as one flat object: its fields by name (or its bytes as hex), time and CPU. */
export function recordObject(r: EventRecord, type: RecordType | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = { time: new Date(r.time).toISOString() };
  if (r.cpu !== undefined) o.cpu = r.cpu;
  if (type && r.values) type.fields.forEach((f, i) => (o[f.name] = r.values![i]));
  if (r.hex !== undefined) o.hex = r.hex;
  return o;
}

function recordText(r: EventRecord, type: RecordType | undefined): string {
  const o = recordObject(r, type);
  return Object.entries(o)
    .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : v}`)
    .join(' ');
}

export async function eventsCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['type', 'count'] });
  if (args.positionals.length !== 1)
    throw new UsageError('usage: ebpf-workbench events <map id|name|/sys/fs/bpf/path> [--type NAME] [--count N] [--json]');
  const json = args.flags.has('json');
  const limit = args.options.has('count') ? positiveInt(args.options.get('count')!, '--count') : Infinity;
  const id = await resolveMapId(client, args.positionals[0]);
  let type: RecordType | undefined;
  let printed = 0;
  let last = { received: 0, dropped: 0, lost: 0 };
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const sub = await client.subscribeEvents(
    { id, ...(args.options.has('type') ? { type: args.options.get('type')! } : {}) },
    {
      onBatch: (b) => {
        if (b.recordType && !type) {
          type = b.recordType;
          process.stderr.write(`note: records are ${type.name} (the only struct of their size)\n`);
        }
        const lines: string[] = [];
        for (const r of b.records) {
          if (printed >= limit) break;
          lines.push(json ? JSON.stringify(recordObject(r, type)) : recordText(r, type));
          printed++;
        }
        if (lines.length) process.stdout.write(lines.join('\n') + '\n');
        last = b;
        if (printed >= limit) done();
      },
      onEnd: () => done(),
    },
  );
  type = sub.result.recordType;
  for (const n of sub.result.notes) process.stderr.write(`note: ${n}\n`);
  if (type)
    process.stderr.write(`decoding records as ${type.name} (${sub.result.typeFrom === 'source' ? 'from the source' : 'as asked'})\n`);
  await Promise.race([finished, untilInterrupted(client)]);
  await sub.dispose();
  process.stderr.write(
    `${last.received} records received, ${printed} printed, ${last.dropped} dropped (not kept up with), ${last.lost} lost by the kernel\n`,
  );
  return 0;
}
