// `ebpf-workbench maps [--json]`: every map on the host with its element count.
import type { HelperClient } from '../core/connection/client';
import { parseArgs } from './args';
import { printJson, table } from './output';

export async function mapsCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'] });
  const [{ maps }, counted] = await Promise.all([client.listMaps(), client.countAllMaps()]);
  const counts = new Map(counted.counts.map((c) => [c.id, c]));
  // A ring buffer holds bytes, not elements: show the unread bytes instead of a count.
  const rings = new Map<number, { available: number; size: number }>();
  for (const m of maps.filter((x) => x.typeName === 'ringbuf')) {
    try {
      rings.set(m.id, await client.ringbuf(m.id));
    } catch {
      /* gone since listing */
    }
  }
  const rows = maps.map((m) => {
    const c = counts.get(m.id);
    const ring = rings.get(m.id);
    return {
      id: m.id,
      name: m.name,
      type: m.typeName,
      maxEntries: m.maxEntries,
      ...(ring ? { unreadBytes: ring.available } : {}),
      ...(c && 'count' in c
        ? { count: c.count, method: c.method, exact: c.exact }
        : { count: null, error: c && 'error' in c ? c.error : 'not counted' }),
    };
  });
  if (args.flags.has('json')) {
    printJson({ maps: rows, micros: counted.micros });
    return 0;
  }
  const text = table(
    ['ID', 'NAME', 'TYPE', 'COUNT/MAX', 'METHOD'],
    rows.map((r) => [
      String(r.id),
      r.name,
      r.type,
      'unreadBytes' in r ? `${r.unreadBytes}/${r.maxEntries} B` : `${r.count ?? '-'}/${r.maxEntries}`,
      'unreadBytes' in r
        ? 'unread bytes (ring positions)'
        : 'method' in r && r.method
          ? `${r.method}${r.exact ? '' : ' (not exact under churn)'}`
          : '-',
    ]),
    [0, 3],
  );
  process.stdout.write(`${text}\n${rows.length} maps, counted in ${counted.micros.toFixed(0)} us\n`);
  return 0;
}
