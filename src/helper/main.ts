// The root helper: a JSON-RPC server on stdin/stdout that loads BPF objects and reads maps
// through libbpf. Requests are served one at a time except those that wait on another process
// (object loads run in object hosts, see objects.ts). Exits when stdin closes, after closing every
// fd it opened and ending its object hosts, so nothing it loaded outlives it unless pinned.
// Started with OBJECT_HOST_FLAG, the same bundle is an object host instead (objectHostMain.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { ResponseError } from 'vscode-jsonrpc/node';
import { PROTOCOL_VERSION, Methods, COUNT_METHODS, MapType, mapTypeName, Notifications, isErrorData } from '../protocol';
import type * as T from '../protocol/types';
import type { ErrorData } from '../protocol/errors';
import { HelperError } from './errors';
import { OBJECT_HOST_FLAG, runObjectHost } from './objectHostMain';
import { serve } from './rpc';
import { ensureTrustedOrExit } from './trust';
import * as v from './validate';

// stdout is the protocol channel: anything printed by accident goes to stderr instead.
console.log = console.info = console.warn = console.debug = (...a: unknown[]) => process.stderr.write(a.map(String).join(' ') + '\n');

const HELPER_VERSION = '0.1.0';
const MAX_OBJECT_BYTES = 32 * 1024 * 1024;
const MAX_TEST_DATA_BYTES = 1024 * 1024;
const DEFAULT_TEST_RUN_MS = 10_000;
/** A key or value as typed (JSON of a large struct, hex of a large value). */
const MAX_VALUE_TEXT = 1024 * 1024;

async function main(): Promise<void> {
  // libbpf.so.1 is loaded here, so a missing library becomes an answer to the first request
  // instead of a crash the client can only see as "helper exited".
  let startupError: HelperError | undefined;
  let L: typeof import('./libbpf') | undefined;
  let mods:
    | {
        objects: typeof import('./objects');
        inventory: typeof import('./inventory');
        count: typeof import('./count');
        entries: typeof import('./entries');
        ringbuf: typeof import('./ringbuf');
        pins: typeof import('./pins');
        btf: typeof import('./btf');
        mounts: typeof import('./mounts');
        watch: typeof import('./watch');
        subscriptions: typeof import('./subscriptions');
        trace: typeof import('./trace');
        events: typeof import('./events');
        mapEdit: typeof import('./mapEdit');
        places: typeof import('./places');
        lockdown: typeof import('./lockdown');
        objectHost: typeof import('./objectHost');
        insns: typeof import('./insns');
      }
    | undefined;
  try {
    L = require('./libbpf') as typeof import('./libbpf');
    mods = {
      objects: require('./objects'),
      inventory: require('./inventory'),
      count: require('./count'),
      entries: require('./entries'),
      ringbuf: require('./ringbuf'),
      pins: require('./pins'),
      btf: require('./btf'),
      mounts: require('./mounts'),
      watch: require('./watch'),
      subscriptions: require('./subscriptions'),
      trace: require('./trace'),
      events: require('./events'),
      mapEdit: require('./mapEdit'),
      places: require('./places'),
      lockdown: require('./lockdown'),
      objectHost: require('./objectHost'),
      insns: require('./insns'),
    };
  } catch (e) {
    startupError =
      e instanceof HelperError
        ? e
        : new HelperError('LIBBPF_MISSING', `cannot load libbpf: ${(e as Error).message}`, {
            fix: 'install libbpf1 (apt install libbpf1)',
          });
  }
  const need = () => {
    if (startupError || !L || !mods) throw startupError;
    return { L, ...mods };
  };

  const counter = mods ? new mods.count.Counter() : undefined;
  const formatter = mods ? new mods.btf.BtfFormatter() : undefined;
  let statsFd = -1;
  let cpus: number | undefined;
  const watcher = mods ? new mods.watch.FdWatcher() : undefined;

  const server = serve();
  const conn = server.conn;
  /** What the helper did on its own, for the client's log (and our stderr). */
  const say = (message: string, level: T.LogParams['level'] = 'info') => {
    process.stderr.write(`${message}\n`);
    void conn.sendNotification(Notifications.log, { level, message });
  };
  /** bpffs on /sys/fs/bpf, mounted if the machine booted without it; then the path check. */
  const onBpffs = (p: string, name: string) => {
    need().mounts.ensureBpffs(say);
    v.onBpffs(p, name);
  };

  /** Registers one method (one line per method below). */
  const handle = <_P, R>(
    type: { method: string },
    fn: (params: unknown, token: import('vscode-jsonrpc').CancellationToken) => R | Promise<R>,
  ) => server.handle(type.method, fn as (p: unknown, t: import('vscode-jsonrpc').CancellationToken) => unknown);

  /**
   * A load or attach the kernel refused with EPERM and no verifier log: say whether lockdown is why
   * (mounting securityfs to read it, and saying so) and which kernel setting would allow it.
   */
  const explainRefusal = (e: unknown): unknown => {
    // Errors relayed from an object host arrive as the host's JSON-RPC error.
    const d = e instanceof HelperError ? e.toData() : e instanceof ResponseError && isErrorData(e.data) ? (e.data as ErrorData) : undefined;
    if (!d || (d.errno !== 1 && d.errno !== 13)) return e;
    const details = d.details as { verifierLog?: string } | undefined;
    if (details?.verifierLog) return e;
    const m = need();
    try {
      m.mounts.ensureSecurityfs(say);
    } catch {
      return e; // no securityfs: nothing more to say than the errno
    }
    const fix = m.lockdown.lockdownFix();
    return fix ? new HelperError(d.code, d.message, { errno: d.errno, fix, details: d.details }) : e;
  };

  const mapById = <R>(id: number, fn: (fd: number, info: import('./libbpf').MapInfo) => R) => need().inventory.withMapFd(id, fn);

  handle<T.HelloParams, T.HelloResult>(Methods.hello, (raw) => {
    const p = v.params(raw, ['protocolVersion', 'client']);
    const version = v.int(p.protocolVersion, 'protocolVersion', 0, 1000);
    if (version !== PROTOCOL_VERSION) {
      throw new HelperError('INVALID_PARAMS', `protocol version ${version} does not match the helper's ${PROTOCOL_VERSION}`, {
        fix: 'install the helper that ships with this version of the extension',
      });
    }
    const m = need();
    const notes: T.HelloResult['notes'] = {};
    const btf = fs.existsSync('/sys/kernel/btf/vmlinux');
    if (!btf) notes.btf = 'no /sys/kernel/btf/vmlinux: kernel built without CONFIG_DEBUG_INFO_BTF';
    const iter = counter!.iteratorStatus();
    if (!iter.available) notes.mapSumElemCount = iter.reason;
    const ringbuf = m.L.probeMapType(MapType.RINGBUF);
    const [major, minor] = os.release().split('.').map(Number);
    const atLeast = (a: number, b: number) => major > a || (major === a && minor >= b);
    return {
      protocolVersion: PROTOCOL_VERSION,
      helperVersion: HELPER_VERSION,
      kernelRelease: os.release(),
      libbpfVersion: m.L.libbpfVersion(),
      arch: process.arch,
      uid: process.getuid?.() ?? -1,
      pid: process.pid,
      capabilities: { btf, mapSumElemCount: iter.available, batchOps: atLeast(5, 6), ringbuf, bpfStats: atLeast(5, 8) },
      notes,
    };
  });

  handle<T.ObjectLoadParams, T.ObjectLoadResult>(Methods.objectLoad, async (raw, token) => {
    const p = v.params(raw, ['path', 'bytes', 'pinDir', 'logLevel']);
    if ((p.path === undefined) === (p.bytes === undefined)) throw new HelperError('INVALID_PARAMS', 'give exactly one of path and bytes');
    const logLevel = v.optionalInt(p.logLevel, 'logLevel', 0, 7, 0);
    const pinDir = p.pinDir === undefined ? undefined : v.bpffsPath(p.pinDir, 'pinDir');
    if (pinDir) onBpffs(pinDir, 'pinDir');
    const input: import('./objects').ObjectInput =
      p.path !== undefined ? { path: v.absolutePath(p.path, 'path') } : { bytes: v.base64(p.bytes, 'bytes', MAX_OBJECT_BYTES) };
    const result = await need()
      .objects.loadObject(input, logLevel, pinDir, token, MAX_OBJECT_BYTES, say)
      .catch((e) => {
        throw explainRefusal(e);
      });
    if (pinDir) need().inventory.forgetPins(); // the next list shows the new pins at once
    return result;
  });

  handle<T.ObjectUnloadParams, null>(Methods.objectUnload, async (raw) => {
    const p = v.params(raw, ['handle']);
    await need().objects.unloadObject(v.int(p.handle, 'handle', 1, Number.MAX_SAFE_INTEGER));
    need().inventory.forgetPins();
    return null;
  });

  handle<void, T.ProgListResult>(Methods.progList, (raw) => {
    v.params(raw, []);
    return { programs: need().inventory.listPrograms(statsFd >= 0, counter!.internalProgramIds()), statsEnabled: statsFd >= 0 };
  });

  handle<void, T.MapListResult>(Methods.mapList, (raw) => {
    v.params(raw, []);
    return { maps: need().inventory.listMaps() };
  });

  handle<T.MapCountParams, T.MapCountResult>(Methods.mapCount, (raw) => {
    const p = v.params(raw, ['id', 'path', 'method']);
    if ((p.id === undefined) === (p.path === undefined)) throw new HelperError('INVALID_PARAMS', 'give exactly one of id and path');
    const method = p.method === undefined ? undefined : v.oneOf(p.method, 'method', COUNT_METHODS);
    const m = need();
    const run = (fd: number, info: import('./libbpf').MapInfo): T.MapCountResult => ({
      id: info.id,
      name: info.name,
      type: info.type,
      typeName: mapTypeName(info.type),
      maxEntries: info.max_entries,
      ...counter!.count(fd, m.count.basicsOf(info), method),
    });
    if (p.id !== undefined) return mapById(v.id(p.id), run);
    const path = v.bpffsPath(p.path, 'path');
    return m.inventory.withPinnedFd(path, (fd) => run(fd, m.L.mapInfo(fd)));
  });

  handle<T.MapCountAllParams, T.MapCountAllResult | T.MapCountAllCompactResult>(Methods.mapCountAll, (raw) => {
    const p = v.params(raw, ['compact']);
    const compact = p.compact === undefined ? false : v.bool(p.compact, 'compact');
    need();
    return compact ? counter!.countAllCompact() : counter!.countAll();
  });

  handle<T.MapEntriesParams, T.MapEntriesResult>(Methods.mapEntries, (raw) => {
    const p = v.params(raw, ['id', 'cursor', 'limit']);
    const id = v.id(p.id);
    const limit = v.optionalInt(p.limit, 'limit', 1, 10000, 100);
    const m = need();
    const cursor = p.cursor === undefined ? undefined : m.entries.decodeCursor(typeof p.cursor === 'string' ? p.cursor : '');
    cpus ??= m.L.numPossibleCpus();
    try {
      return mapById(id, (fd, info) => m.entries.readEntries(fd, info, cursor, limit, formatter!, cpus!));
    } catch (e) {
      if (cursor && e instanceof HelperError && e.code === 'NO_SUCH_MAP') {
        throw new HelperError('MAP_GONE', `map ${id} was deleted while its entries were being read`, { fix: 'refresh the map list' });
      }
      throw e;
    }
  });

  handle<T.RingbufParams, T.RingbufResult>(Methods.mapRingbuf, (raw) => {
    const p = v.params(raw, ['id']);
    const m = need();
    return mapById(v.id(p.id), (fd, info) => m.ringbuf.ringbufPositions(fd, info));
  });

  handle<T.TestRunParams, T.TestRunResult>(Methods.progTestRun, async (raw, token) => {
    const p = v.params(raw, ['id', 'dataIn', 'ctxIn', 'repeat', 'timeoutMs']);
    const id = v.id(p.id);
    if (p.dataIn !== undefined) v.base64(p.dataIn, 'dataIn', MAX_TEST_DATA_BYTES);
    if (p.ctxIn !== undefined) v.base64(p.ctxIn, 'ctxIn', 64 * 1024);
    const repeat = v.optionalInt(p.repeat, 'repeat', 1, 1_000_000, 1);
    const timeoutMs = v.optionalInt(p.timeoutMs, 'timeoutMs', 100, 600_000, DEFAULT_TEST_RUN_MS);
    // BPF_PROG_TEST_RUN blocks its thread for as long as the program runs `repeat` times (a looping
    // program: hours); in a host of its own it can be stopped, and this process goes on serving.
    return await need().objectHost.testRunInHost({ id, dataIn: p.dataIn, ctxIn: p.ctxIn, repeat }, token, timeoutMs);
  });

  handle<T.ProgInsnsParams, T.ProgInsnsResult>(Methods.progInsns, (raw) => {
    const p = v.params(raw, ['id', 'jited']);
    const jited = p.jited === undefined ? false : v.bool(p.jited, 'jited');
    const m = need();
    return m.inventory.withProgFd(v.id(p.id), (fd) => m.insns.programInsns(fd, jited));
  });

  handle<T.PinParams, null>(Methods.pin, (raw) => {
    const p = v.params(raw, ['kind', 'id', 'path']);
    const kind = v.oneOf(p.kind, 'kind', ['map', 'prog'] as const);
    const id = v.id(p.id);
    const path = v.bpffsPath(p.path, 'path');
    onBpffs(path, 'path');
    need().pins.pin(kind, id, path);
    return null;
  });

  handle<T.UnpinParams, null>(Methods.unpin, (raw) => {
    const p = v.params(raw, ['path']);
    need().pins.unpin(v.bpffsPath(p.path, 'path'));
    return null;
  });

  handle<void, T.BtfVmlinuxResult>(Methods.btfVmlinux, (raw) => {
    v.params(raw, []);
    return { text: need().btf.vmlinuxHeader(), kernelRelease: os.release() };
  });

  handle<T.StatsEnableParams, T.StatsEnableResult>(Methods.statsEnable, (raw) => {
    const p = v.params(raw, ['enable']);
    const enable = v.bool(p.enable, 'enable');
    const m = need();
    if (enable && statsFd < 0) statsFd = m.L.enableStats();
    if (!enable && statsFd >= 0) {
      m.L.closeFd(statsFd);
      statsFd = -1;
    }
    return { enabled: statsFd >= 0 };
  });

  handle<T.TraceSubscribeParams, T.TraceSubscribeResult>(Methods.traceSubscribe, async (raw) => {
    const p = v.params(raw, ['pipe', 'programs']);
    const pipe = p.pipe === undefined ? true : v.bool(p.pipe, 'pipe');
    const programs = p.programs === undefined ? [] : v.idList(p.programs, 'programs', 64);
    if (!pipe && programs.length === 0) throw new HelperError('INVALID_PARAMS', 'nothing to read: give pipe true or some programs');
    const notify = (batch: T.TraceBatch) => void conn.sendNotification(Notifications.traceLines, batch);
    return await need().trace.subscribeTrace({ watcher: watcher!, say, notify }, pipe, programs);
  });

  handle<T.EventsSubscribeParams, T.EventsSubscribeResult>(Methods.eventsSubscribe, (raw) => {
    const p = v.params(raw, ['id', 'type', 'batch', 'pages']);
    const id = v.id(p.id);
    const type = p.type === undefined ? undefined : v.identifier(p.type, 'type');
    const batch = v.optionalInt(p.batch, 'batch', 1, 4096, 256);
    const pages = v.optionalInt(p.pages, 'pages', 1, 1024, 8);
    if ((pages & (pages - 1)) !== 0) throw new HelperError('INVALID_PARAMS', `pages must be a power of two, got ${pages}`);
    const notify = (b: T.EventsBatch) => void conn.sendNotification(Notifications.eventsRecords, b);
    return need().events.subscribeEvents({ watcher: watcher!, notify }, { id, type, batch, pages });
  });

  handle<T.UnsubscribeParams, null>(Methods.unsubscribe, async (raw) => {
    const p = v.params(raw, ['subscription']);
    const id = v.int(p.subscription, 'subscription', 1, Number.MAX_SAFE_INTEGER);
    if (!(await need().subscriptions.close(id)))
      throw new HelperError('INVALID_PARAMS', `no subscription ${id}`, { fix: 'it already ended' });
    return null;
  });

  conn.onNotification(Notifications.batchAck.method, (raw: unknown) => {
    try {
      const p = v.params(raw, ['subscription']);
      mods?.subscriptions.ack(v.int(p.subscription, 'subscription', 1, Number.MAX_SAFE_INTEGER));
    } catch {
      /* a malformed ack is ignored: notifications have no answer */
    }
  });

  handle<T.AttachParams, T.AttachResult>(Methods.progAttach, async (raw, token) => {
    const p = v.params(raw, [
      'id',
      'pin',
      'iface',
      'direction',
      'xdpMode',
      'cgroup',
      'function',
      'binary',
      'pid',
      'usdt',
      'tracepoint',
      'netfilter',
      'frequency',
    ]);
    const id = v.id(p.id);
    const target: T.AttachTarget = {};
    if (p.iface !== undefined) target.iface = v.text(p.iface, 'iface', 15);
    if (p.direction !== undefined) target.direction = v.oneOf(p.direction, 'direction', ['ingress', 'egress'] as const);
    if (p.xdpMode !== undefined) target.xdpMode = v.oneOf(p.xdpMode, 'xdpMode', ['auto', 'driver', 'generic', 'offload'] as const);
    if (p.cgroup !== undefined) target.cgroup = v.absolutePath(p.cgroup, 'cgroup');
    if (p.function !== undefined) target.function = v.symbol(p.function, 'function');
    if (p.binary !== undefined) target.binary = v.absolutePath(p.binary, 'binary');
    if (p.pid !== undefined) target.pid = v.int(p.pid, 'pid', 1, 0x3fffffff);
    if (p.usdt !== undefined) target.usdt = v.symbol(p.usdt, 'usdt');
    if (p.tracepoint !== undefined) target.tracepoint = v.symbol(p.tracepoint, 'tracepoint');
    if (p.frequency !== undefined) target.frequency = v.int(p.frequency, 'frequency', 1, 100_000);
    if (p.netfilter !== undefined) {
      const nf = v.params(p.netfilter, ['family', 'hook', 'priority']);
      target.netfilter = {
        family: v.oneOf(nf.family, 'netfilter.family', ['ipv4', 'ipv6'] as const),
        hook: v.oneOf(nf.hook, 'netfilter.hook', ['prerouting', 'input', 'forward', 'output', 'postrouting'] as const),
        priority: v.int(nf.priority, 'netfilter.priority', -0x7fffffff, 0x7fffffff),
      };
    }
    const pin = p.pin === undefined ? undefined : v.bpffsPath(p.pin, 'pin');
    if (pin) onBpffs(pin, 'pin');
    const r = await need()
      .objects.attachProgram(id, target, pin, token)
      .catch((e) => {
        throw explainRefusal(e);
      });
    if (pin) need().inventory.forgetPins();
    return r;
  });

  handle<T.DetachParams, null>(Methods.linkDetach, async (raw) => {
    const p = v.params(raw, ['linkId']);
    await need().objects.detachLink(v.id(p.linkId, 'linkId'));
    return null;
  });

  handle<T.LinkPinParams, T.AttachedLink>(Methods.linkPin, async (raw) => {
    const p = v.params(raw, ['linkId', 'path']);
    const path = v.bpffsPath(p.path, 'path');
    onBpffs(path, 'path');
    const r = await need().objects.pinLink(v.id(p.linkId, 'linkId'), path);
    need().inventory.forgetPins();
    return r;
  });

  handle<void, T.LinkListResult>(Methods.linkList, async (raw) => {
    v.params(raw, []);
    return { links: await need().objects.listLinks() };
  });

  handle<void, T.AttachPlacesResult>(Methods.attachPlaces, (raw) => {
    v.params(raw, []);
    return need().places.attachPlaces();
  });

  handle<T.MapTypesParams, T.MapTypesResult>(Methods.mapTypes, (raw) => {
    const p = v.params(raw, ['id']);
    const m = need();
    return mapById(v.id(p.id), (_fd, info) => m.mapEdit.mapTypes(info));
  });

  handle<T.MapUpdateParams, T.MapValueResult>(Methods.mapUpdate, (raw) => {
    const p = v.params(raw, ['id', 'key', 'value', 'mode']);
    const key = v.text(p.key, 'key', MAX_VALUE_TEXT);
    const value = v.text(p.value, 'value', MAX_VALUE_TEXT);
    const mode = p.mode === undefined ? 'any' : v.oneOf(p.mode, 'mode', ['any', 'noexist', 'exist'] as const);
    const m = need();
    cpus ??= m.L.numPossibleCpus();
    return mapById(v.id(p.id), (fd, info) => m.mapEdit.updateEntry(fd, info, key, value, mode, cpus!));
  });

  handle<T.MapLookupParams, T.MapValueResult>(Methods.mapLookup, (raw) => {
    const p = v.params(raw, ['id', 'key']);
    const key = v.text(p.key, 'key', MAX_VALUE_TEXT);
    const m = need();
    cpus ??= m.L.numPossibleCpus();
    return mapById(v.id(p.id), (fd, info) => m.mapEdit.lookupEntry(fd, info, key, cpus!));
  });

  handle<T.MapDeleteParams, null>(Methods.mapDelete, (raw) => {
    const p = v.params(raw, ['id', 'key']);
    const key = v.text(p.key, 'key', MAX_VALUE_TEXT);
    const m = need();
    return mapById(v.id(p.id), (fd, info) => m.mapEdit.deleteEntry(fd, info, key));
  });

  handle<T.MapClearParams, T.MapClearResult>(Methods.mapClear, (raw) => {
    const p = v.params(raw, ['id']);
    const m = need();
    cpus ??= m.L.numPossibleCpus();
    return mapById(v.id(p.id), (fd, info) => m.mapEdit.clearMap(fd, info, cpus!));
  });

  handle<T.MapPushParams, T.MapValueResult>(Methods.mapPush, (raw) => {
    const p = v.params(raw, ['id', 'value']);
    const value = v.text(p.value, 'value', MAX_VALUE_TEXT);
    const m = need();
    return mapById(v.id(p.id), (fd, info) => m.mapEdit.pushValue(fd, info, value));
  });

  handle<T.MapPopParams, T.MapValueResult>(Methods.mapPop, (raw) => {
    const p = v.params(raw, ['id', 'peek']);
    const peek = p.peek === undefined ? false : v.bool(p.peek, 'peek');
    const m = need();
    return mapById(v.id(p.id), (fd, info) => m.mapEdit.popValue(fd, info, peek));
  });

  server.listen(() => {
    try {
      mods?.subscriptions.closeAll();
      watcher?.dispose();
      mods?.objects.unloadAll();
      mods?.objectHost.killSpare();
      counter?.dispose();
      formatter?.dispose();
      if (statsFd >= 0) L?.closeFd(statsFd);
    } finally {
      process.exit(0);
    }
  });
}

ensureTrustedOrExit(); // before libbpf or koffi is loaded
if (process.argv[2] === OBJECT_HOST_FLAG) runObjectHost();
else void main();
