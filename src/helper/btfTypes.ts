// The BTF of loaded objects, parsed by src/core/btf for decoding records and parsing edited
// values. A map carries its object's BTF id only when it has key/value types (ring buffers and
// perf event arrays have none), so the BTF of the programs that use the map stands in.
import type { RecordType } from '../protocol/types';
import { Btf, parseBtf } from '../core/btf/parse';
import { recordFields } from '../core/btf/values';
import * as L from './libbpf';

export interface ObjectBtf {
  btf: Btf;
  /** The string section: type names and, for program BTF, the source lines of line info. */
  strings: string;
  id: number;
}

const cache = new Map<number, ObjectBtf | null>();
const MAX_CACHED = 64;

/** Parsed BTF object `id`, or undefined when it is gone or unreadable. */
export function btfById(id: number): ObjectBtf | undefined {
  if (!id) return undefined;
  let entry = cache.get(id);
  if (entry === undefined) {
    try {
      const raw = L.btfLoadById(id);
      try {
        entry = { ...parseBtf(L.btfRawData(raw)), id };
      } finally {
        L.btfFree(raw);
      }
    } catch {
      entry = null;
    }
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(id, entry);
  }
  return entry ?? undefined;
}

/** BTF ids of the programs that use map `mapId` (their object's BTF). */
export function programBtfIds(mapId: number): number[] {
  const ids: number[] = [];
  for (let id = L.progNextId(0); id !== undefined; id = L.progNextId(id)) {
    let fd = -1;
    try {
      fd = L.progFdById(id);
      const info = L.progInfo(fd, true);
      if (info.btf_id && info.mapIds.includes(mapId) && !ids.includes(info.btf_id)) ids.push(info.btf_id);
    } catch {
      /* unloaded while we walked */
    } finally {
      L.closeFd(fd);
    }
  }
  return ids;
}

/** The BTF describing a map's object: its own, else that of a program using it. */
export function btfForMap(info: L.MapInfo): ObjectBtf | undefined {
  if (info.btf_id) {
    const own = btfById(info.btf_id);
    if (own) return own;
  }
  for (const id of programBtfIds(info.id)) {
    const b = btfById(id);
    if (b) return b;
  }
  return undefined;
}

export function recordType(btf: Btf, typeId: number): RecordType {
  return { name: btf.cName(typeId), typeId, size: btf.sizeOf(typeId), fields: recordFields(btf, typeId) };
}
