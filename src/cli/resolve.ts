// Turning what a user types (an id, a name, a pinned path) into a map or program id.
import type { HelperClient } from '../core/connection/client';
import { UsageError } from './args';

export type MapRef = { id: number } | { path: string };

export async function resolveMap(client: HelperClient, ref: string): Promise<MapRef> {
  if (/^\d+$/.test(ref)) return { id: Number(ref) };
  if (ref.startsWith('/')) return { path: ref };
  const matches = (await client.listMaps()).maps.filter((m) => m.name === ref);
  if (matches.length === 0) throw new UsageError(`no map named "${ref}" (run "ebpf-workbench maps" to see them)`);
  if (matches.length > 1)
    throw new UsageError(`${matches.length} maps are named "${ref}" (ids ${matches.map((m) => m.id).join(', ')}): pass an id`);
  return { id: matches[0].id };
}

export async function resolveProgram(client: HelperClient, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) return Number(ref);
  const matches = (await client.listPrograms()).programs.filter((p) => p.name === ref);
  if (matches.length === 0) throw new UsageError(`no program named "${ref}" is loaded`);
  if (matches.length > 1)
    throw new UsageError(`${matches.length} programs are named "${ref}" (ids ${matches.map((p) => p.id).join(', ')}): pass an id`);
  return matches[0].id;
}

/** A map's id from an id, a name or a pinned path (commands that subscribe need the id). */
export async function resolveMapId(client: HelperClient, ref: string): Promise<number> {
  const r = await resolveMap(client, ref);
  if ('id' in r) return r.id;
  const pinned = (await client.listMaps()).maps.find((m) => m.pinned?.includes(r.path));
  if (!pinned) throw new UsageError(`no map is pinned at ${r.path}`);
  return pinned.id;
}
