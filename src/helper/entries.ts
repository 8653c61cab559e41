// Paged map contents: BPF_MAP_LOOKUP_BATCH where the kernel supports it for the map, a
// get_next_key + lookup walk otherwise. The cursor is opaque to clients: the method plus the
// kernel's batch token or the last key read.
import { constants } from 'node:os';
import type { MapEntriesResult, MapEntry } from '../protocol/types';
import { MapType } from '../protocol/names';
import { HelperError } from './errors';
import * as L from './libbpf';
import type { BtfFormatter } from './btf';

const PERCPU = new Set<number>([MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.PERCPU_ARRAY]);
const NO_LOOKUP = new Set<number>([MapType.QUEUE, MapType.STACK, MapType.BLOOM_FILTER, MapType.RINGBUF, MapType.USER_RINGBUF]);

const MAX_PAGE_BYTES = 16 * 1024 * 1024;

interface Cursor {
  method: 'batch' | 'walk';
  token: Buffer;
}

function encodeCursor(c: Cursor): string {
  return `${c.method === 'batch' ? 'b' : 'w'}.${c.token.toString('base64')}`;
}

export function decodeCursor(s: string): Cursor {
  const m = /^([bw])\.([A-Za-z0-9+/]*={0,2})$/.exec(s);
  if (!m)
    throw new HelperError('INVALID_PARAMS', 'cursor is not one this helper returned', { fix: 'omit cursor to start from the first page' });
  return { method: m[1] === 'b' ? 'batch' : 'walk', token: Buffer.from(m[2], 'base64') };
}

export function readEntries(
  fd: number,
  info: L.MapInfo,
  cursor: Cursor | undefined,
  limit: number,
  btf: BtfFormatter,
  cpus: number,
): MapEntriesResult {
  if (NO_LOOKUP.has(info.type)) {
    throw new HelperError('NOT_COUNTABLE', `the entries of map ${info.id} cannot be listed: its type has no keys to walk from user space`);
  }
  const percpu = PERCPU.has(info.type);
  const slot = percpu ? Math.ceil(info.value_size / 8) * 8 : info.value_size;
  const stride = percpu ? slot * cpus : info.value_size;
  // Big values: fewer entries per page, so one page never needs more than MAX_PAGE_BYTES.
  limit = Math.max(1, Math.min(limit, Math.floor(MAX_PAGE_BYTES / (info.key_size + stride))));

  const toEntry = (key: Buffer, value: Buffer): MapEntry => {
    const e: MapEntry = { key: key.toString('base64') };
    const kt = btf.format(info.btf_id, info.btf_key_type_id, key);
    if (kt !== undefined) e.keyText = kt;
    if (percpu) {
      const values = Array.from({ length: cpus }, (_, i) => value.subarray(i * slot, i * slot + info.value_size));
      e.values = values.map((v) => v.toString('base64'));
      const texts = values.map((v) => btf.format(info.btf_id, info.btf_value_type_id, v));
      if (texts.every((t) => t !== undefined)) e.valueText = `[${texts.join(', ')}]`;
    } else {
      e.value = value.toString('base64');
      const vt = btf.format(info.btf_id, info.btf_value_type_id, value);
      if (vt !== undefined) e.valueText = vt;
    }
    return e;
  };

  if (cursor?.method !== 'walk') {
    const r = batchPage(fd, info, cursor?.token ?? null, limit, stride);
    if (r) {
      const entries = r.keys.map((k, i) => toEntry(k, r.values[i]));
      const out: MapEntriesResult = { entries, method: 'batch' };
      if (r.next) out.cursor = encodeCursor({ method: 'batch', token: r.next });
      return out;
    }
    if (cursor) throw new HelperError('KERNEL', 'batch lookup stopped working for this map');
  }
  return walkPage(fd, info, cursor?.token ?? null, limit, stride, toEntry);
}

/** One batch page, or undefined when the kernel has no batch ops for this map type. */
function batchPage(fd: number, info: L.MapInfo, token: Buffer | null, limit: number, stride: number) {
  const tokenBytes = Math.max(8, info.key_size);
  let max = limit;
  for (;;) {
    const keys = Buffer.alloc(max * info.key_size);
    const values = Buffer.alloc(max * stride);
    const out = Buffer.alloc(tokenBytes);
    const { ret, count } = L.mapLookupBatch(fd, token, out, keys, values, max);
    if (ret === -constants.errno.ENOSPC && count === 0) {
      max *= 2; // one bucket holds more keys than the page; the page may then exceed limit
      continue;
    }
    if (ret < 0 && ret !== -constants.errno.ENOENT) {
      if (ret === -constants.errno.EINVAL || ret === -constants.errno.EOPNOTSUPP || ret === -524) return undefined;
      throw HelperError.errno(-ret, `batch lookup of map ${info.id}`);
    }
    const ks: Buffer[] = [];
    const vs: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      ks.push(keys.subarray(i * info.key_size, (i + 1) * info.key_size));
      vs.push(values.subarray(i * stride, (i + 1) * stride));
    }
    return { keys: ks, values: vs, next: ret === -constants.errno.ENOENT ? undefined : out };
  }
}

function walkPage(
  fd: number,
  info: L.MapInfo,
  last: Buffer | null,
  limit: number,
  stride: number,
  toEntry: (k: Buffer, v: Buffer) => MapEntry,
): MapEntriesResult {
  const entries: MapEntry[] = [];
  let key = last;
  while (entries.length < limit) {
    const next = Buffer.alloc(info.key_size);
    const r = L.mapGetNextKey(fd, key, next);
    if (r === -constants.errno.ENOENT) return { entries, method: 'walk' };
    if (r < 0) throw HelperError.errno(-r, `walk of map ${info.id}`);
    const value = Buffer.alloc(stride);
    const lr = L.mapLookup(fd, next, value);
    // A key deleted between get_next_key and lookup is skipped; other errors (e.g. prog arrays
    // refuse lookups from user space) leave the value out.
    if (lr === -constants.errno.ENOENT) {
      key = next;
      continue;
    }
    const entry = toEntry(next, lr < 0 ? Buffer.alloc(0) : value);
    if (lr < 0) {
      delete entry.value;
      delete entry.values;
      delete entry.valueText;
    }
    entries.push(entry);
    key = next;
  }
  return { entries, method: 'walk', cursor: encodeCursor({ method: 'walk', token: key! }) };
}
