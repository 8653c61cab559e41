// Changing map contents from user space: update and delete an entry, clear a map, push/pop/peek
// for queues and stacks. Keys and values arrive as text a person typed and are parsed with the
// map's BTF (src/core/btf/values.ts parseInput): JSON following the type, numbers, IPs, strings,
// or "hex:" bytes. Per-CPU maps get the same value on every CPU.
import { constants } from 'node:os';
import type { MapClearResult, MapTypesResult, MapValueResult } from '../protocol/types';
import { MapType, mapTypeName } from '../protocol/names';
import { decodeJson, formatRaw, parseInput, ValueSyntaxError } from '../core/btf/values';
import { btfById, recordType } from './btfTypes';
import { HelperError } from './errors';
import * as L from './libbpf';

const PERCPU = new Set<number>([MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.PERCPU_ARRAY]);
const QUEUE_LIKE = new Set<number>([MapType.QUEUE, MapType.STACK]);
const ARRAY_LIKE = new Set<number>([MapType.ARRAY, MapType.PERCPU_ARRAY]);
const NOT_EDITABLE = new Set<number>([
  MapType.RINGBUF,
  MapType.USER_RINGBUF,
  MapType.PERF_EVENT_ARRAY,
  MapType.BLOOM_FILTER,
  26 /* struct_ops */,
]);
const BPF_NOEXIST = 1;
const BPF_EXIST = 2;
const MAX_CLEAR = 1 << 24;

function typesOf(info: L.MapInfo) {
  const ob = btfById(info.btf_id);
  return {
    btf: ob?.btf,
    keyType: ob && info.btf_key_type_id ? info.btf_key_type_id : 0,
    valueType: ob && info.btf_value_type_id ? info.btf_value_type_id : 0,
  };
}

function parse(text: string, size: number, info: L.MapInfo, which: 'key' | 'value', base?: Buffer): Buffer {
  const t = typesOf(info);
  try {
    return parseInput(text, size, t.btf, which === 'key' ? t.keyType : t.valueType, base);
  } catch (e) {
    if (e instanceof ValueSyntaxError || e instanceof SyntaxError) {
      throw new HelperError('INVALID_PARAMS', `${which} of map ${info.name}: ${e.message}`, {
        fix: t.btf
          ? 'give JSON following the BTF type (objects for structs, strings for char arrays and IPs), or exact bytes as "hex:…"'
          : 'the map has no BTF: give a number, an IP address, a "quoted string", or exact bytes as hex',
      });
    }
    throw e;
  }
}

function text(info: L.MapInfo, which: 'key' | 'value', bytes: Buffer): string {
  const t = typesOf(info);
  const id = which === 'key' ? t.keyType : t.valueType;
  return t.btf && id ? JSON.stringify(decodeJson(t.btf, id, bytes)) : formatRaw(bytes);
}

function checkEditable(info: L.MapInfo, op: string): void {
  if (NOT_EDITABLE.has(info.type)) {
    throw new HelperError('INVALID_PARAMS', `a ${mapTypeName(info.type)} map has no entries to ${op}`, {
      fix:
        info.type === MapType.RINGBUF || info.type === MapType.PERF_EVENT_ARRAY
          ? 'watch its records in the events view instead'
          : undefined,
    });
  }
}

function stride(info: L.MapInfo, cpus: number): number {
  return PERCPU.has(info.type) ? Math.ceil(info.value_size / 8) * 8 * cpus : info.value_size;
}

/** A per-CPU buffer holding `one` on every CPU (or `one` itself for other maps). */
function spread(info: L.MapInfo, one: Buffer, cpus: number): Buffer {
  if (!PERCPU.has(info.type)) return one;
  const slot = Math.ceil(info.value_size / 8) * 8;
  const out = Buffer.alloc(slot * cpus);
  for (let i = 0; i < cpus; i++) one.copy(out, i * slot);
  return out;
}

export function mapTypes(info: L.MapInfo): MapTypesResult {
  const t = typesOf(info);
  const out: MapTypesResult = {
    keySize: info.key_size,
    valueSize: info.value_size,
    access: QUEUE_LIKE.has(info.type) ? 'queue' : NOT_EDITABLE.has(info.type) ? 'none' : 'keyed',
  };
  if (t.btf && t.keyType) out.key = recordType(t.btf, t.keyType);
  if (t.btf && t.valueType) out.value = recordType(t.btf, t.valueType);
  return out;
}

export function updateEntry(
  fd: number,
  info: L.MapInfo,
  keyText: string,
  valueText: string,
  mode: 'any' | 'noexist' | 'exist',
  cpus: number,
): MapValueResult {
  checkEditable(info, 'update');
  if (QUEUE_LIKE.has(info.type))
    throw new HelperError('INVALID_PARAMS', `map ${info.name} is a ${mapTypeName(info.type)}: push a value instead of updating a key`);
  const key = parse(keyText, info.key_size, info, 'key');
  // Struct members the input leaves out keep their current bytes (CPU 0's, for per-CPU maps).
  const current = Buffer.alloc(stride(info, cpus));
  const base = L.mapLookup(fd, key, current) === 0 ? current.subarray(0, info.value_size) : undefined;
  const value = parse(valueText, info.value_size, info, 'value', base);
  const flags = mode === 'noexist' ? BPF_NOEXIST : mode === 'exist' ? BPF_EXIST : 0;
  try {
    L.mapUpdate(fd, key, spread(info, value, cpus), flags);
  } catch (e) {
    const he = e as HelperError;
    if (he.errno === constants.errno.EEXIST)
      throw new HelperError('INVALID_PARAMS', `map ${info.name} already has key ${text(info, 'key', key)}`, {
        fix: 'update it instead of creating it',
      });
    if (he.errno === constants.errno.ENOENT)
      throw new HelperError('INVALID_PARAMS', `map ${info.name} has no key ${text(info, 'key', key)}`, { fix: 'create it (mode any)' });
    // Arrays answer E2BIG for an index past the end; hash maps when they are full.
    if (ARRAY_LIKE.has(info.type) && (he.errno === constants.errno.E2BIG || he.errno === constants.errno.EINVAL))
      throw new HelperError('INVALID_PARAMS', `key ${text(info, 'key', key)} is outside array ${info.name} (0..${info.max_entries - 1})`);
    if (he.errno === constants.errno.E2BIG)
      throw new HelperError('KERNEL', `map ${info.name} is full (${info.max_entries} entries)`, {
        errno: he.errno,
        fix: 'delete entries first, or use a larger max_entries',
      });
    throw e;
  }
  return {
    key: key.toString('base64'),
    value: value.toString('base64'),
    keyText: text(info, 'key', key),
    valueText: text(info, 'value', value),
  };
}

/** One entry by key (for an edit form): key and value as stored, and as JSON text following the BTF type. */
export function lookupEntry(fd: number, info: L.MapInfo, keyText: string, cpus: number): MapValueResult {
  checkEditable(info, 'look up');
  const key = parse(keyText, info.key_size, info, 'key');
  const value = Buffer.alloc(stride(info, cpus));
  const r = L.mapLookup(fd, key, value);
  if (r === -constants.errno.ENOENT) throw new HelperError('INVALID_PARAMS', `map ${info.name} has no key ${text(info, 'key', key)}`);
  if (r < 0) throw HelperError.errno(-r, `look up in map ${info.name}`);
  const one = value.subarray(0, info.value_size); // CPU 0's value for per-CPU maps
  return {
    key: key.toString('base64'),
    value: one.toString('base64'),
    keyText: text(info, 'key', key),
    valueText: text(info, 'value', one),
  };
}

export function deleteEntry(fd: number, info: L.MapInfo, keyText: string): null {
  checkEditable(info, 'delete');
  const key = parse(keyText, info.key_size, info, 'key');
  if (ARRAY_LIKE.has(info.type)) {
    throw new HelperError('INVALID_PARAMS', `array ${info.name} always holds all ${info.max_entries} entries; they cannot be deleted`, {
      fix: 'update the entry with zeros (or clear the map) instead',
    });
  }
  const r = L.mapDelete(fd, key);
  if (r === -constants.errno.ENOENT) throw new HelperError('INVALID_PARAMS', `map ${info.name} has no key ${text(info, 'key', key)}`);
  if (r < 0) throw HelperError.errno(-r, `delete from map ${info.name}`);
  return null;
}

/** Deletes every entry (hash-like maps), zeroes every value (arrays), or pops everything (queues, stacks). */
export function clearMap(fd: number, info: L.MapInfo, cpus: number): MapClearResult {
  checkEditable(info, 'clear');
  let cleared = 0;
  if (QUEUE_LIKE.has(info.type)) {
    const v = Buffer.alloc(info.value_size);
    while (cleared < MAX_CLEAR && L.mapLookupAndDelete(fd, null, v) === 0) cleared++;
    return { cleared };
  }
  if (ARRAY_LIKE.has(info.type)) {
    const zero = Buffer.alloc(stride(info, cpus));
    const key = Buffer.alloc(4);
    for (let i = 0; i < info.max_entries; i++) {
      key.writeUInt32LE(i);
      L.mapUpdate(fd, key, zero, 0);
      cleared++;
    }
    return { cleared };
  }
  // Collect a page of keys, delete them, start over: deleting while walking would restart the walk.
  for (let rounds = 0; rounds < MAX_CLEAR; rounds++) {
    const keys: Buffer[] = [];
    let prev: Buffer | null = null;
    while (keys.length < 4096) {
      const next = Buffer.alloc(info.key_size);
      if (L.mapGetNextKey(fd, prev, next) !== 0) break;
      keys.push(next);
      prev = next;
    }
    if (keys.length === 0) break;
    let deleted = 0;
    for (const k of keys) {
      const r = L.mapDelete(fd, k);
      if (r === 0) deleted++;
      else if (r !== -constants.errno.ENOENT) throw HelperError.errno(-r, `clear map ${info.name}`);
    }
    cleared += deleted;
    if (deleted === 0) break; // nothing deletable (the program re-adds faster than we delete)
  }
  return { cleared };
}

export function pushValue(fd: number, info: L.MapInfo, valueText: string): MapValueResult {
  if (!QUEUE_LIKE.has(info.type))
    throw new HelperError('INVALID_PARAMS', `map ${info.name} is a ${mapTypeName(info.type)}, not a queue or stack: update a key instead`);
  const value = parse(valueText, info.value_size, info, 'value');
  try {
    L.mapUpdate(fd, null, value, 0);
  } catch (e) {
    if ((e as HelperError).errno === constants.errno.E2BIG) {
      throw new HelperError('KERNEL', `${mapTypeName(info.type)} ${info.name} is full (${info.max_entries} values)`, {
        fix: 'pop values first',
      });
    }
    throw e;
  }
  return { value: value.toString('base64'), valueText: text(info, 'value', value) };
}

export function popValue(fd: number, info: L.MapInfo, peek: boolean): MapValueResult {
  if (!QUEUE_LIKE.has(info.type))
    throw new HelperError('INVALID_PARAMS', `map ${info.name} is a ${mapTypeName(info.type)}, not a queue or stack`);
  const value = Buffer.alloc(info.value_size);
  const r = peek ? L.mapLookup(fd, null, value) : L.mapLookupAndDelete(fd, null, value);
  if (r === -constants.errno.ENOENT) return {};
  if (r < 0) throw HelperError.errno(-r, `${peek ? 'peek' : 'pop'} ${info.name}`);
  return { value: value.toString('base64'), valueText: text(info, 'value', value) };
}
