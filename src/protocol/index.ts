// The one contract between clients (extension, CLI, tests) and the root helper.
// Add methods and optional fields; never rename or repurpose one (bump PROTOCOL_VERSION then).
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type * as T from './types';

export * from './types';
export * from './errors';
export { mapTypeName, progTypeName, MapType } from './names';

/** Bumped on incompatible changes; `hello` refuses a different version. */
export const PROTOCOL_VERSION = 1;

/** Largest JSON-RPC message either side accepts. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const Methods = {
  hello: new RequestType<T.HelloParams, T.HelloResult, void>('hello'),
  objectLoad: new RequestType<T.ObjectLoadParams, T.ObjectLoadResult, void>('object.load'),
  objectUnload: new RequestType<T.ObjectUnloadParams, null, void>('object.unload'),
  /** Opens, loads and closes each object, keeping nothing (never pinned): does it load here, and why not. */
  objectCheck: new RequestType<T.ObjectCheckParams, T.ObjectCheckResult, void>('object.check'),
  progList: new RequestType0<T.ProgListResult, void>('prog.list'),
  mapList: new RequestType0<T.MapListResult, void>('map.list'),
  mapCount: new RequestType<T.MapCountParams, T.MapCountResult, void>('map.count'),
  mapCountAll: new RequestType0<T.MapCountAllResult, void>('map.countAll'),
  /** map.countAll with params { compact: true } (same method name on the wire). */
  mapCountAllCompact: new RequestType<T.MapCountAllParams, T.MapCountAllCompactResult, void>('map.countAll'),
  mapEntries: new RequestType<T.MapEntriesParams, T.MapEntriesResult, void>('map.entries'),
  mapRingbuf: new RequestType<T.RingbufParams, T.RingbufResult, void>('map.ringbuf'),
  progTestRun: new RequestType<T.TestRunParams, T.TestRunResult, void>('prog.testRun'),
  pin: new RequestType<T.PinParams, null, void>('pin'),
  unpin: new RequestType<T.UnpinParams, null, void>('unpin'),
  btfVmlinux: new RequestType0<T.BtfVmlinuxResult, void>('btf.vmlinux'),
  statsEnable: new RequestType<T.StatsEnableParams, T.StatsEnableResult, void>('stats.enable'),
  /** Starts trace.lines notifications (bpf_printk output, BPF streams) until unsubscribe. */
  traceSubscribe: new RequestType<T.TraceSubscribeParams, T.TraceSubscribeResult, void>('trace.subscribe'),
  /** Starts events.records notifications from a ring buffer or perf event array until unsubscribe. */
  eventsSubscribe: new RequestType<T.EventsSubscribeParams, T.EventsSubscribeResult, void>('events.subscribe'),
  /** Ends a trace or events subscription. */
  unsubscribe: new RequestType<T.UnsubscribeParams, null, void>('unsubscribe'),
  mapTypes: new RequestType<T.MapTypesParams, T.MapTypesResult, void>('map.types'),
  mapUpdate: new RequestType<T.MapUpdateParams, T.MapValueResult, void>('map.update'),
  /** One entry by key; keyText/valueText are JSON following the BTF types (per-CPU maps: CPU 0's value). */
  mapLookup: new RequestType<T.MapLookupParams, T.MapValueResult, void>('map.lookup'),
  mapDelete: new RequestType<T.MapDeleteParams, null, void>('map.delete'),
  mapClear: new RequestType<T.MapClearParams, T.MapClearResult, void>('map.clear'),
  mapPush: new RequestType<T.MapPushParams, T.MapValueResult, void>('map.push'),
  /** Pop (or with peek: read) the head of a queue or stack; an empty answer when it is empty. */
  mapPop: new RequestType<T.MapPopParams, T.MapValueResult, void>('map.pop'),
  /** Attaches a program this helper loaded, as its section says (plus the target's details). */
  progAttach: new RequestType<T.AttachParams, T.AttachResult, void>('prog.attach'),
  /** Destroys a link this helper made (a pinned link stays attached until its pin is removed). */
  linkDetach: new RequestType<T.DetachParams, null, void>('link.detach'),
  linkPin: new RequestType<T.LinkPinParams, T.AttachedLink, void>('link.pin'),
  linkList: new RequestType0<T.LinkListResult, void>('link.list'),
  /** Interfaces and cgroups of the target, for pickers. */
  attachPlaces: new RequestType0<T.AttachPlacesResult, void>('attach.places'),
  progInsns: new RequestType<T.ProgInsnsParams, T.ProgInsnsResult, void>('prog.insns'),
} as const;

export const Notifications = {
  /** Helper → client: something the helper did on its own that the user should be able to read (e.g. it mounted bpffs). */
  log: new NotificationType<T.LogParams>('log'),
  /** Helper → client: trace lines of a trace.subscribe subscription. */
  traceLines: new NotificationType<T.TraceBatch>('trace.lines'),
  /** Helper → client: records of an events.subscribe subscription. */
  eventsRecords: new NotificationType<T.EventsBatch>('events.records'),
  /** Client → helper: the last batch of a subscription was processed; send the next. */
  batchAck: new NotificationType<T.BatchAckParams>('batch.ack'),
} as const;
