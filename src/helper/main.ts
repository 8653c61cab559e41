// The root helper: a JSON-RPC server on stdin/stdout that loads BPF objects and reads maps
// through libbpf. Requests are served one at a time except those that wait on another process
// (object loads run in object hosts, see objects.ts). Exits when stdin closes, after closing every
// fd it opened and ending its object hosts, so nothing it loaded outlives it unless pinned.
// Started with OBJECT_HOST_FLAG, the same bundle is an object host instead (objectHostMain.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { PROTOCOL_VERSION, Methods, COUNT_METHODS, MapType, mapTypeName, Notifications } from '../protocol';
import type * as T from '../protocol/types';
import { HelperError } from './errors';
import { OBJECT_HOST_FLAG, runObjectHost } from './objectHostMain';
import { serve } from './rpc';
import * as v from './validate';

// stdout is the protocol channel: anything printed by accident goes to stderr instead.
console.log = console.info = console.warn = console.debug = (...a: unknown[]) => process.stderr.write(a.map(String).join(' ') + '\n');

const HELPER_VERSION = '0.1.0';
const MAX_OBJECT_BYTES = 32 * 1024 * 1024;
const MAX_TEST_DATA_BYTES = 1024 * 1024;

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
        testrun: typeof import('./testrun');
        pins: typeof import('./pins');
        btf: typeof import('./btf');
        mounts: typeof import('./mounts');
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
      testrun: require('./testrun'),
      pins: require('./pins'),
      btf: require('./btf'),
      mounts: require('./mounts'),
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
    const result = await need().objects.loadObject(input, logLevel, pinDir, token, MAX_OBJECT_BYTES, say);
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

  handle<T.TestRunParams, T.TestRunResult>(Methods.progTestRun, (raw) => {
    const p = v.params(raw, ['id', 'dataIn', 'ctxIn', 'repeat']);
    const id = v.id(p.id);
    const dataIn = p.dataIn === undefined ? undefined : v.base64(p.dataIn, 'dataIn', MAX_TEST_DATA_BYTES);
    const ctxIn = p.ctxIn === undefined ? undefined : v.base64(p.ctxIn, 'ctxIn', 64 * 1024);
    const repeat = v.optionalInt(p.repeat, 'repeat', 1, 1_000_000, 1);
    const m = need();
    return m.inventory.withProgFd(id, (fd, info) => m.testrun.testRun(fd, info, dataIn, ctxIn, repeat));
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

  server.listen(() => {
    try {
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

if (process.argv[2] === OBJECT_HOST_FLAG) runObjectHost();
else void main();
