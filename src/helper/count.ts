// Counting map elements, fastest exact method first (see /work/shared/notes/counting.md):
//   iterator    SEC("iter/bpf_map") + kfunc bpf_map_sum_elem_count(): every map in one read (6.6+)
//   max_entries arrays always hold max_entries elements
//   for_each    bpf_for_each_map_elem() in a program run once by BPF_PROG_TEST_RUN
//   batch       BPF_MAP_LOOKUP_BATCH over the whole map
//   walk        BPF_MAP_GET_NEXT_KEY until ENOENT
// Only the first two are exact while the map changes; the others are exact on a quiet map.
import { constants } from 'node:os';
import { COUNT_METHODS } from '../protocol/types';
import type { CountMethod, MapCount, MapCountAllCompactResult, MapCountAllResult } from '../protocol/types';
import { MapType, mapTypeName } from '../protocol/names';
import { HelperError } from './errors';
import * as L from './libbpf';
import { withMapFd } from './inventory';
import { ringbufPositions } from './ringbuf';
import { bpfObjectPath } from './ownObjects';

const HASH_FAMILY = new Set<number>([MapType.HASH, MapType.LRU_HASH, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.HASH_OF_MAPS]);
const ALWAYS_FULL = new Set<number>([MapType.ARRAY, MapType.PERCPU_ARRAY]);
const PERCPU = new Set<number>([MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH, MapType.PERCPU_ARRAY]);
/** Map types whose bpf_for_each_map_elem() the kernel implements. */
const FOR_EACH_TYPES = new Set<number>([
  MapType.HASH,
  MapType.LRU_HASH,
  MapType.PERCPU_HASH,
  MapType.LRU_PERCPU_HASH,
  MapType.ARRAY,
  MapType.PERCPU_ARRAY,
]);

function notCountable(type: number): string | undefined {
  switch (type) {
    case MapType.QUEUE:
    case MapType.STACK:
    case MapType.BLOOM_FILTER:
      return `a ${mapTypeName(type)} map cannot be counted from user space: it has no keys to walk and the kernel keeps no element count`;
    case MapType.RINGBUF:
    case MapType.USER_RINGBUF:
      return 'a ring buffer holds bytes, not elements: read its producer/consumer positions with map.ringbuf';
    default:
      return undefined;
  }
}

interface MapBasics {
  id: number;
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

interface IterRecord {
  id: number;
  type: number;
  maxEntries: number;
  count: number;
  name: string;
}

const RECORD_BYTES = 40; // struct map_count_record in bpf/count/map_count.bpf.c

export class Counter {
  private iter?: { obj: L.BpfObject; link: L.BpfLink; linkFd: number; progId: number };
  private iterUnavailable?: string;
  private readonly readChunk = Buffer.alloc(RECORD_BYTES * 8192);
  private possibleCpus?: number;

  /** Loads the iterator once; remembers why it cannot be used (old kernel, no BTF). */
  iteratorStatus(): { available: boolean; reason?: string } {
    if (!this.iter && this.iterUnavailable === undefined) {
      const r = L.collectLibbpfOutput(() => {
        const obj = L.objectOpenFile(bpfObjectPath('map_count.bpf.o'));
        const rc = L.objectLoad(obj);
        if (rc < 0) {
          L.objectClose(obj);
          throw HelperError.errno(-rc, 'load the map-count iterator');
        }
        try {
          const prog = L.objectPrograms(obj)[0];
          const link = L.program.attachIter(prog);
          return { obj, link, linkFd: L.link.fd(link), progId: L.progInfo(L.program.fd(prog)).id };
        } catch (e) {
          L.objectClose(obj);
          throw e;
        }
      });
      if (r.value) this.iter = r.value;
      else {
        const kfuncMissing = /bpf_map_sum_elem_count/.test(r.output);
        this.iterUnavailable = kfuncMissing
          ? 'the kernel has no kfunc bpf_map_sum_elem_count() (Linux 6.6+)'
          : `the map-count iterator did not load: ${(r.error as Error).message}`;
      }
    }
    return this.iter ? { available: true } : { available: false, reason: this.iterUnavailable };
  }

  /** Ids of the helper's own programs, so listings can mark them. */
  internalProgramIds(): Set<number> {
    return new Set(this.iter ? [this.iter.progId] : []);
  }

  /** One read of the iterator: a record for every map on the host (struct map_count_record). */
  private readIterator(): Buffer {
    const fd = L.iterCreate(this.iter!.linkFd);
    try {
      return L.readAll(fd, this.readChunk);
    } finally {
      L.closeFd(fd);
    }
  }

  /** Map names by id: a map's name never changes, and decoding 1000 names per read costs more than the read. */
  private readonly names = new Map<number, string>();

  private decode(buf: Buffer): IterRecord[] {
    const out: IterRecord[] = [];
    const seen = new Set<number>();
    for (let o = 0; o + RECORD_BYTES <= buf.length; o += RECORD_BYTES) {
      const id = buf.readUInt32LE(o);
      let name = this.names.get(id);
      if (name === undefined) {
        const end = buf.indexOf(0, o + 24);
        name = buf.toString('latin1', o + 24, end < 0 || end > o + 40 ? o + 40 : end);
        this.names.set(id, name);
      }
      seen.add(id);
      out.push({
        id,
        type: buf.readUInt32LE(o + 4),
        maxEntries: buf.readUInt32LE(o + 8),
        // s64 from two halves: a Number without a BigInt per record (counts stay far below 2^53)
        count: buf.readUInt32LE(o + 16) + buf.readInt32LE(o + 20) * 0x100000000,
        name,
      });
    }
    if (this.names.size > seen.size) for (const id of this.names.keys()) if (!seen.has(id)) this.names.delete(id);
    return out;
  }

  /** Count one map, with `method` or the best one for its type. */
  count(fd: number, m: MapBasics, method?: CountMethod): MapCount {
    const start = process.hrtime.bigint();
    const done = (count: number, used: CountMethod, exact: boolean): MapCount => ({
      count,
      method: used,
      exact,
      micros: Number(process.hrtime.bigint() - start) / 1000,
    });
    const why = notCountable(m.type);
    if (why) throw new HelperError('NOT_COUNTABLE', `map ${m.id} (${m.name}): ${why}`);

    if (method === undefined) {
      if (ALWAYS_FULL.has(m.type)) return done(m.maxEntries, 'max_entries', true);
      if (HASH_FAMILY.has(m.type) && this.iteratorStatus().available) return done(this.iteratorCount(m), 'iterator', true);
      // Fallbacks in order; a method the kernel refuses for this map hands over to the next.
      const tried: string[] = [];
      for (const fallback of ['for_each', 'batch', 'walk'] as const) {
        try {
          return this.count(fd, m, fallback);
        } catch (e) {
          if (!(e instanceof HelperError) || e.code !== 'METHOD_UNSUPPORTED') throw e;
          tried.push(e.message);
        }
      }
      throw new HelperError('NOT_COUNTABLE', `map ${m.id} (${m.name}, ${mapTypeName(m.type)}) cannot be counted: ${tried.join('; ')}`);
    }

    switch (method) {
      case 'iterator': {
        const st = this.iteratorStatus();
        if (!st.available) throw unsupported(m, method, st.reason!);
        if (!HASH_FAMILY.has(m.type)) throw unsupported(m, method, 'bpf_map_sum_elem_count() counts only hash maps');
        return done(this.iteratorCount(m), method, true);
      }
      case 'max_entries':
        if (!ALWAYS_FULL.has(m.type)) throw unsupported(m, method, 'only arrays always hold max_entries elements');
        return done(m.maxEntries, method, true);
      case 'for_each':
        return done(this.forEachCount(fd, m), method, false);
      case 'batch':
        return done(this.batchCount(fd, m), method, false);
      case 'walk':
        return done(this.walkCount(fd, m), method, false);
    }
  }

  /** Reads the iterator only until this map's record: maps come in id order, and closing early stops the walk. */
  private iteratorCount(m: MapBasics): number {
    const fd = L.iterCreate(this.iter!.linkFd);
    try {
      const buf = this.readChunk; // a multiple of RECORD_BYTES, and the kernel writes whole records
      for (let n = L.readFd(fd, buf); n > 0; n = L.readFd(fd, buf)) {
        for (let o = 0; o + RECORD_BYTES <= n; o += RECORD_BYTES) {
          if (buf.readUInt32LE(o) === m.id) return buf.readUInt32LE(o + 16) + buf.readInt32LE(o + 20) * 0x100000000;
        }
      }
    } finally {
      L.closeFd(fd);
    }
    throw new HelperError('MAP_GONE', `map ${m.id} disappeared while it was being counted`);
  }

  /** bpf_for_each_map_elem() in a raw_tp program pointed at this map; the count comes back in a global. */
  private forEachCount(fd: number, m: MapBasics): number {
    if (!FOR_EACH_TYPES.has(m.type))
      throw unsupported(m, 'for_each', `the kernel has no bpf_for_each_map_elem() for ${mapTypeName(m.type)} maps`);
    const r = L.collectLibbpfOutput(() => {
      const obj = L.objectOpenFile(bpfObjectPath('for_each_count.bpf.o'));
      try {
        const target = L.objectMaps(obj).find((x) => L.map.name(x) === 'target')!;
        L.map.reuseFd(target, fd);
        const rc = L.objectLoad(obj);
        if (rc < 0) throw HelperError.errno(-rc, 'load the for_each counter');
        const progFd = L.program.fd(L.objectPrograms(obj)[0]);
        L.progTestRun(progFd, 17 /* BPF_PROG_TYPE_RAW_TRACEPOINT */, null, null, 1);
        const bss = L.objectMaps(obj).find((x) => L.map.name(x).endsWith('.bss'))!;
        const counted = Buffer.alloc(8);
        const rc2 = L.mapLookup(L.map.fd(bss), Buffer.alloc(4), counted);
        if (rc2 < 0) throw HelperError.errno(-rc2, 'read the for_each count');
        return Number(counted.readBigUInt64LE(0));
      } finally {
        L.objectClose(obj);
      }
    });
    if (r.error !== undefined || r.value === undefined) {
      throw unsupported(m, 'for_each', `${(r.error as Error).message}${r.output ? `\n${r.output.trim()}` : ''}`);
    }
    return r.value;
  }

  private valueStride(m: MapBasics): number {
    if (!PERCPU.has(m.type)) return m.valueSize;
    this.possibleCpus ??= L.numPossibleCpus();
    return Math.ceil(m.valueSize / 8) * 8 * this.possibleCpus;
  }

  /** BPF_MAP_LOOKUP_BATCH to the end; a bucket larger than the batch (ENOSPC) doubles the batch. */
  private batchCount(fd: number, m: MapBasics): number {
    const stride = this.valueStride(m);
    let batch = Math.max(64, Math.min(8192, Math.floor((4 << 20) / (m.keySize + stride))));
    let keys = Buffer.alloc(batch * m.keySize);
    let values = Buffer.alloc(batch * stride);
    const tokenBytes = Math.max(8, m.keySize);
    let inBatch: Buffer | null = null;
    let outBatch = Buffer.alloc(tokenBytes);
    let total = 0;
    for (;;) {
      const { ret, count } = L.mapLookupBatch(fd, inBatch, outBatch, keys, values, batch);
      if (ret === -constants.errno.ENOSPC && count === 0) {
        batch *= 2;
        keys = Buffer.alloc(batch * m.keySize);
        values = Buffer.alloc(batch * stride);
        continue;
      }
      if (ret < 0 && ret !== -constants.errno.ENOENT) {
        if (ret === -constants.errno.EINVAL || ret === -constants.errno.EOPNOTSUPP || ret === -524 /* ENOTSUPP */) {
          throw unsupported(m, 'batch', `the kernel has no batch lookup for ${mapTypeName(m.type)} maps`);
        }
        throw HelperError.errno(-ret, `batch lookup of map ${m.id}`);
      }
      total += count;
      if (ret === -constants.errno.ENOENT) return total;
      inBatch = outBatch;
      outBatch = Buffer.alloc(tokenBytes);
    }
  }

  /** BPF_MAP_GET_NEXT_KEY until ENOENT. */
  private walkCount(fd: number, m: MapBasics): number {
    let key: Buffer | null = null;
    let next: Buffer = Buffer.alloc(Math.max(1, m.keySize));
    let total = 0;
    for (;;) {
      const ret = L.mapGetNextKey(fd, key, next);
      if (ret === -constants.errno.ENOENT) return total;
      if (ret < 0) {
        if (total === 0 && (ret === -constants.errno.EINVAL || ret === -constants.errno.EOPNOTSUPP || ret === -524)) {
          throw unsupported(m, 'walk', `the kernel cannot walk the keys of ${mapTypeName(m.type)} maps`);
        }
        throw HelperError.errno(-ret, `walk of map ${m.id}`);
      }
      total++;
      const t = key ?? Buffer.alloc(next.length);
      key = next;
      next = t;
    }
  }

  /** Every map on the host: one iterator read for the hash family, max_entries for arrays, fallbacks for the rest. */
  countAll(): MapCountAllResult {
    const start = process.hrtime.bigint();
    const counts: MapCountAllResult['counts'] = [];
    if (this.iteratorStatus().available) {
      const t0 = process.hrtime.bigint();
      const records = this.decode(this.readIterator());
      const readMicros = Number(process.hrtime.bigint() - t0) / 1000;
      for (const r of records) {
        const typeName = mapTypeName(r.type);
        if (HASH_FAMILY.has(r.type))
          counts.push({
            id: r.id,
            name: r.name,
            typeName,
            maxEntries: r.maxEntries,
            count: r.count,
            method: 'iterator',
            exact: true,
            micros: readMicros,
          });
        else if (ALWAYS_FULL.has(r.type))
          counts.push({
            id: r.id,
            name: r.name,
            typeName,
            maxEntries: r.maxEntries,
            count: r.maxEntries,
            method: 'max_entries',
            exact: true,
            micros: 0,
          });
        else counts.push(this.countOneById(r.id, { id: r.id, name: r.name, typeName, maxEntries: r.maxEntries }));
      }
    } else {
      for (let id = L.mapNextId(0); id !== undefined; id = L.mapNextId(id)) counts.push(this.countOneById(id));
    }
    return { counts, micros: Number(process.hrtime.bigint() - start) / 1000 };
  }

  /** countAll for a refresh tick: parallel arrays straight from the iterator records (no names,
   *  no object per map), and ring buffer positions, which a tick shows instead of a count. */
  countAllCompact(): MapCountAllCompactResult {
    const start = process.hrtime.bigint();
    const out: MapCountAllCompactResult = {
      ids: [],
      counts: [],
      methods: [],
      errors: {},
      ringbufs: {},
      iteratorMicros: 0,
      mapMicros: {},
      micros: 0,
    };
    const push = (id: number, count: number, method: number) => {
      out.ids.push(id);
      out.counts.push(count);
      out.methods.push(method);
    };
    // Everything but the hash family and arrays: one fd per map (as countAll does).
    const one = (id: number) => {
      try {
        withMapFd(id, (fd, info) => {
          if (info.type === MapType.RINGBUF || info.type === MapType.USER_RINGBUF) {
            out.ringbufs[id] = ringbufPositions(fd, info);
            return push(id, -1, -1);
          }
          try {
            const c = this.count(fd, basicsOf(info));
            out.mapMicros[id] = c.micros;
            push(id, c.count, COUNT_METHODS.indexOf(c.method));
          } catch (e) {
            out.errors[id] = (e as Error).message;
            push(id, -1, -1);
          }
        });
      } catch (e) {
        // Gone between the listing and the open.
        out.errors[id] = (e as Error).message;
        push(id, -1, -1);
      }
    };
    if (this.iteratorStatus().available) {
      const t0 = process.hrtime.bigint();
      const buf = this.readIterator();
      out.iteratorMicros = Number(process.hrtime.bigint() - t0) / 1000;
      const iterator = COUNT_METHODS.indexOf('iterator');
      const maxEntries = COUNT_METHODS.indexOf('max_entries');
      for (let o = 0; o + RECORD_BYTES <= buf.length; o += RECORD_BYTES) {
        const id = buf.readUInt32LE(o);
        const type = buf.readUInt32LE(o + 4);
        if (HASH_FAMILY.has(type)) push(id, buf.readUInt32LE(o + 16) + buf.readInt32LE(o + 20) * 0x100000000, iterator);
        else if (ALWAYS_FULL.has(type)) push(id, buf.readUInt32LE(o + 8), maxEntries);
        else one(id);
      }
    } else {
      for (let id = L.mapNextId(0); id !== undefined; id = L.mapNextId(id)) one(id);
    }
    out.micros = Number(process.hrtime.bigint() - start) / 1000;
    return out;
  }

  private countOneById(
    id: number,
    base?: { id: number; name: string; typeName: string; maxEntries: number },
  ): MapCountAllResult['counts'][number] {
    try {
      return withMapFd(id, (fd, info) => {
        const b = base ?? { id, name: info.name, typeName: mapTypeName(info.type), maxEntries: info.max_entries };
        try {
          return { ...b, ...this.count(fd, basicsOf(info)) };
        } catch (e) {
          return { ...b, error: (e as Error).message };
        }
      });
    } catch (e) {
      // The map went away between listing and counting.
      return { ...(base ?? { id, name: '', typeName: '', maxEntries: 0 }), error: (e as Error).message };
    }
  }

  dispose(): void {
    if (this.iter) {
      L.link.destroy(this.iter.link);
      L.objectClose(this.iter.obj);
      this.iter = undefined;
    }
  }
}

export function basicsOf(info: L.MapInfo): MapBasics {
  return {
    id: info.id,
    name: info.name,
    type: info.type,
    keySize: info.key_size,
    valueSize: info.value_size,
    maxEntries: info.max_entries,
  };
}

function unsupported(m: MapBasics, method: CountMethod, why: string): HelperError {
  return new HelperError('METHOD_UNSUPPORTED', `method ${method} cannot count map ${m.id} (${m.name}, ${mapTypeName(m.type)}): ${why}`, {
    fix: 'omit the method to use the best one for this map',
  });
}
