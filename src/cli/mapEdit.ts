// `ebpf-workbench map update|delete|clear|push|pop|peek MAP [--key K] [--value V] [--mode M] [--json]`:
// change a map's contents. Keys and values are JSON following the map's BTF type (objects for
// structs, strings for char arrays, IPs and enum names), numbers, IP addresses, "quoted strings" or
// hex ("hex:0a 00 00 01").
import type { HelperClient } from '../core/connection/client';
import type { MapValueResult } from '../protocol';
import { parseArgs, UsageError } from './args';
import { printJson } from './output';
import { resolveMapId } from './resolve';

const USAGE =
  'usage: ebpf-workbench map update MAP --key K --value V [--mode any|noexist|exist] | delete MAP --key K | clear MAP | push MAP --value V | pop MAP | peek MAP  [--json]';

export async function mapEditCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['key', 'value', 'mode'] });
  const [op, ref, ...extra] = args.positionals;
  if (!op || !ref || extra.length) throw new UsageError(USAGE);
  const need = (name: 'key' | 'value') => {
    const v = args.options.get(name);
    if (v === undefined) throw new UsageError(`map ${op} needs --${name}\n${USAGE}`);
    return v;
  };
  const json = args.flags.has('json');
  const id = await resolveMapId(client, ref);
  let r: MapValueResult | { cleared: number } | null;
  switch (op) {
    case 'update': {
      const mode = args.options.get('mode') ?? 'any';
      if (mode !== 'any' && mode !== 'noexist' && mode !== 'exist') throw new UsageError('--mode must be any, noexist or exist');
      r = await client.mapUpdate({ id, key: need('key'), value: need('value'), mode });
      break;
    }
    case 'delete':
      r = await client.mapDelete({ id, key: need('key') });
      break;
    case 'clear':
      r = await client.mapClear(id);
      break;
    case 'push':
      r = await client.mapPush({ id, value: need('value') });
      break;
    case 'pop':
    case 'peek':
      r = await client.mapPop({ id, peek: op === 'peek' });
      break;
    default:
      throw new UsageError(`unknown map operation "${op}"\n${USAGE}`);
  }
  if (json) printJson(r ?? { ok: true });
  else if (r && 'cleared' in r) process.stdout.write(`cleared ${r.cleared} entries of map ${id}\n`);
  else if (r && (op === 'pop' || op === 'peek')) process.stdout.write(r.valueText !== undefined ? `${r.valueText}\n` : '(empty)\n');
  else if (r && r.keyText !== undefined) process.stdout.write(`map ${id}: ${r.keyText} = ${r.valueText}\n`);
  else if (r && r.valueText !== undefined) process.stdout.write(`map ${id}: pushed ${r.valueText}\n`);
  else process.stdout.write(`map ${id}: deleted\n`);
  return 0;
}
