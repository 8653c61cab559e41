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
  progInsns: new RequestType<T.ProgInsnsParams, T.ProgInsnsResult, void>('prog.insns'),
} as const;

export const Notifications = {
  /** Helper → client: something the helper did on its own that the user should be able to read (e.g. it mounted bpffs). */
  log: new NotificationType<T.LogParams>('log'),
} as const;
