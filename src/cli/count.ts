// `ebpf-workbench count <id|name|/sys/fs/bpf/path> [--method M] [--json]`.
import { COUNT_METHODS, CountMethod } from '../protocol';
import type { HelperClient } from '../core/connection/client';
import { parseArgs, UsageError } from './args';
import { printJson } from './output';
import { resolveMap } from './resolve';

export async function countCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['method'] });
  if (args.positionals.length !== 1) throw new UsageError('usage: ebpf-workbench count <id|name|/sys/fs/bpf/path> [--method M] [--json]');
  const method = args.options.get('method');
  if (method !== undefined && !COUNT_METHODS.includes(method as CountMethod))
    throw new UsageError(`--method must be one of ${COUNT_METHODS.join(', ')}`);
  const ref = await resolveMap(client, args.positionals[0]);
  const r = await client.countMap({ ...ref, ...(method ? { method: method as CountMethod } : {}) });
  if (args.flags.has('json')) printJson({ id: r.id, name: r.name, count: r.count, method: r.method, exact: r.exact, micros: r.micros });
  else {
    const exact = r.exact ? 'exact' : 'exact only while the map does not change';
    process.stdout.write(
      `${r.name} (id ${r.id}, ${r.typeName}): ${r.count} of ${r.maxEntries} — ${r.method}, ${exact}, ${r.micros.toFixed(1)} us\n`,
    );
  }
  return 0;
}
