// Records from ring buffers and perf event arrays, consumed on request and decoded with the object's
// BTF: perf event arrays with libbpf's perf_buffer, ring buffers over their mappings (ringReader.ts:
// libbpf's per-record callback through FFI would cost 60x the C consumer).
//
// The helper consumes every record the kernel offers (so the ring does not fill up because of us),
// but copies and decodes only those that fit the client's current batch; the rest are counted as
// dropped. A consume pass ends after CONSUME_MS so a producer faster than we are cannot hold the
// event loop (the ring stays readable, so the next poll returns at once). The record type comes from the request, else from the programs' source lines
// in BTF (`sizeof(struct X)` in the bpf_ringbuf_* / bpf_perf_event_output call on this map), else
// it is the one struct of the object whose size equals the first record's.
import type { EventRecord, EventsBatch, EventsSubscribeResult, FieldValue, RecordType } from '../protocol/types';
import { MapType, mapTypeName } from '../protocol/names';
import { Kind } from '../core/btf/parse';
import { inferRecordTypes } from '../core/btf/recordType';
import { rowDecoder } from '../core/btf/values';
import { btfForMap, recordType, type ObjectBtf } from './btfTypes';
import { HelperError } from './errors';
import * as L from './libbpf';
import { RingReader } from './ringReader';
import { forget, Outbox, register } from './subscriptions';
import type { FdWatcher } from './watch';

/** A consume pass yields to the event loop after this long, so acks and requests are not kept waiting. */
const CONSUME_MS = 4;
const HEX_BYTES = 256;

export interface EventsContext {
  watcher: FdWatcher;
  notify: (batch: EventsBatch) => void;
}

export interface EventsOptions {
  id: number;
  type?: string;
  batch: number;
  pages: number;
}

/** Structs a user can pick as the record type, largest programs' types first as BTF lists them. */
function candidates(ob: ObjectBtf | undefined): { name: string; size: number }[] {
  return (ob?.btf.records() ?? []).filter((t) => t.kind === Kind.Struct).map((t) => ({ name: `struct ${t.name}`, size: t.size }));
}

/** A record of `size` bytes holds exactly one `typeSize` struct (perf adds up to 7 bytes of padding). */
function fits(typeSize: number, size: number, ring: boolean): boolean {
  return ring ? size === typeSize : size >= typeSize && size - typeSize < 8;
}

function resolveType(ob: ObjectBtf, name: string): number | undefined {
  const t = ob.btf.find(name);
  if (!t) return undefined;
  const r = ob.btf.resolve(t.id);
  return r && (r.kind === Kind.Struct || r.kind === Kind.Union) ? t.id : undefined;
}

export function subscribeEvents(ctx: EventsContext, opts: EventsOptions): EventsSubscribeResult {
  let fd: number;
  try {
    fd = L.mapFdById(opts.id);
  } catch (e) {
    if ((e as HelperError).errno === 2)
      throw new HelperError('NO_SUCH_MAP', `there is no map with id ${opts.id}`, { fix: 'refresh the map list' });
    throw e;
  }
  try {
    return start(ctx, opts, fd);
  } catch (e) {
    L.closeFd(fd);
    throw e;
  }
}

function start(ctx: EventsContext, opts: EventsOptions, fd: number): EventsSubscribeResult {
  const info = L.mapInfo(fd);
  const ring = info.type === MapType.RINGBUF;
  if (!ring && info.type !== MapType.PERF_EVENT_ARRAY) {
    throw new HelperError(
      'INVALID_PARAMS',
      `map ${info.id} (${info.name}) is a ${mapTypeName(info.type)} map: events come from ring buffers and perf event arrays`,
      {
        fix: 'pick a ringbuf or perf_event_array map; Show Contents lists the entries of other maps',
      },
    );
  }
  const ob = btfForMap(info);
  let typeId: number | undefined;
  let typeFrom: EventsSubscribeResult['typeFrom'] = 'none';
  if (opts.type) {
    if (!ob)
      throw new HelperError('NO_BTF', `map ${info.id} (${info.name}) has no BTF to find ${opts.type} in`, {
        fix: 'build with clang -g, or omit the type to see records as hex',
      });
    typeId = resolveType(ob, opts.type);
    if (typeId === undefined) {
      const names = candidates(ob).map((c) => c.name);
      throw new HelperError('INVALID_PARAMS', `the object of map ${info.name} has no struct ${opts.type.replace(/^struct\s+/, '')}`, {
        fix: names.length ? `pick one of: ${names.slice(0, 20).join(', ')}` : 'the object has no struct types; omit the type',
      });
    }
    typeFrom = 'request';
  }
  const inferred = ob && !opts.type ? inferRecordTypes(ob.strings.replace(/\0/g, '\n'), info.name) : [];
  for (const name of inferred) {
    typeId = resolveType(ob!, name);
    if (typeId !== undefined) {
      typeFrom = 'source';
      break;
    }
  }

  let type: RecordType | undefined = typeId !== undefined && ob ? recordType(ob.btf, typeId) : undefined;
  let decode = type && ob ? rowDecoder(ob.btf, typeId!, type.fields) : undefined;
  let announce = false;
  /** With no type yet: the one struct whose size equals the first record's, if exactly one. */
  const chooseBySize = (size: number) => {
    if (!ob || type) return;
    // Perf samples are padded to 8 bytes (a 72-byte struct arrives as 76 bytes).
    const same = ob.btf.records().filter((t) => t.kind === Kind.Struct && fits(t.size, size, ring));
    if (same.length !== 1) return;
    type = recordType(ob.btf, same[0].id);
    decode = rowDecoder(ob.btf, same[0].id, type.fields);
    announce = true;
  };

  let received = 0;
  let lost = 0;
  let now = Date.now();
  const toRecord = (buf: Buffer, cpu?: number): EventRecord => {
    const r: EventRecord = { time: now, size: buf.length };
    if (cpu !== undefined) r.cpu = cpu;
    if (decode) r.values = decode(buf) as FieldValue[];
    if (!decode || !fits(type!.size, buf.length, ring)) r.hex = buf.toString('hex', 0, Math.min(buf.length, HEX_BYTES));
    return r;
  };

  let outbox: Outbox<EventRecord>;
  /** What the watcher waits on, how to consume what is waiting, and how to let go. */
  let consumer: { fd: number; consume(deadline: number): void; close(): void } | undefined;
  const stop: { unwatch?: () => Promise<void> } = {};
  const id = register((sub) => {
    outbox = new Outbox<EventRecord>((records) => {
      const batch: EventsBatch = { subscription: sub, records, received, dropped: outbox.dropped, lost };
      if (announce && type) {
        batch.recordType = type;
        announce = false;
      }
      ctx.notify(batch);
    }, opts.batch);
    return {
      ack: () => outbox.ack(),
      close: async () => {
        outbox.close();
        // The mappings and fds go once the watcher's poll has let go of the fd.
        await stop.unwatch?.();
        consumer?.close();
        L.closeFd(fd);
      },
    };
  });

  // The hot path: a record that does not fit the client's batch is only counted.
  const take = (copy: () => Buffer, size: number, cpu?: number) => {
    received++;
    if (received === 1) chooseBySize(size);
    if (outbox.hasRoom) outbox.push(toRecord(copy(), cpu));
    else outbox.dropped++;
  };
  try {
    if (ring) {
      const reader = new RingReader(fd, info.max_entries);
      const fromRing = (data: Buffer, offset: number, size: number) => take(() => Buffer.from(data.subarray(offset, offset + size)), size);
      // The ring buffer's map fd is readable while records wait.
      consumer = { fd, consume: (deadline) => void reader.consume(fromRing, deadline), close: () => reader.close() };
    } else {
      const pb = L.perfBufferNew(
        fd,
        opts.pages,
        (cpu, data, size) => take(() => L.copyRecord(data, size), size, cpu),
        (_cpu, count) => {
          lost += count;
        },
      );
      consumer = { fd: pb.epollFd, consume: () => pb.consume(), close: () => pb.free() };
    }
  } catch (e) {
    forget(id); // subscribeEvents closes the map fd
    throw e;
  }
  stop.unwatch = ctx.watcher.watch(consumer.fd, () => {
    now = Date.now();
    const before = outbox.dropped + lost;
    consumer!.consume(performance.now() + CONSUME_MS);
    if (outbox.dropped + lost !== before) outbox.touch();
  });

  const notes = ring
    ? [
        'a ring buffer has one consumer position: while this view reads it, a consumer of your own (ring_buffer__poll in your loader) receives only the records the helper does not take',
      ]
    : [
        "libbpf points the perf event array's per-CPU slots at the helper's buffers: a consumer of your own stops receiving, and when this view closes the slots are cleared — restart your consumer afterwards",
      ];
  if (!ob) notes.push(`map ${info.name} has no BTF (or no program using it has): records are shown as hex`);
  else if (typeFrom === 'none' && inferred.length) {
    notes.push(
      `the program writes ${inferred[0]} records, but the object's BTF has no ${inferred[0]}: clang puts a type into BTF only when a map, a global or a function signature uses it — ` +
        `add a global such as "${inferred[0]} *unused_${inferred[0].replace(/^(struct|union)\s+/, '')} __attribute__((unused));" and rebuild; until then the first record picks a struct of its size, or pick one`,
    );
  } else if (typeFrom === 'none')
    notes.push('the record type was not found in the source lines; the first record picks a struct of its size, or pick one');
  return {
    subscription: id,
    mapType: ring ? 'ringbuf' : 'perf_event_array',
    ...(type ? { recordType: type } : {}),
    typeFrom,
    candidates: candidates(ob),
    notes,
  };
}
