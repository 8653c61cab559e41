// Opening and loading ELF objects with libbpf, and the verifier log of a rejected program.
// The helper owns every loaded object; unload (or helper exit) closes its fds, which frees
// everything in the kernel that is not pinned.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import type { LoadedMap, LoadedProgram, LoadFailureDetails, ObjectLoadResult } from '../protocol/types';
import { mapTypeName, progTypeName } from '../protocol/names';
import { HelperError } from './errors';
import * as L from './libbpf';

const INITIAL_LOG_BYTES = 1 << 20;
/** Past this a log is reported truncated rather than grown again (the kernel caps at 1 GiB). */
export const MAX_LOG_BYTES = 256 << 20;

export type ObjectSource = { path: string } | { bytes: Buffer };

interface LoadedObject {
  obj: L.BpfObject;
  programIds: number[];
  mapIds: number[];
}

const loaded = new Map<number, LoadedObject>();
let nextHandle = 1;

/** Which loaded object (if any) owns a program or map id. */
export function ownerOf(kind: 'prog' | 'map', id: number): number | undefined {
  for (const [handle, o] of loaded) if ((kind === 'prog' ? o.programIds : o.mapIds).includes(id)) return handle;
  return undefined;
}

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const EM_BPF = 247;

/** Cheap checks that give a clearer error than libbpf's for the common wrong inputs. */
function checkElf(head: Buffer, what: string): void {
  if (head.length < 4 || !head.subarray(0, 4).equals(ELF_MAGIC)) {
    throw new HelperError('NOT_ELF', `${what} is not an ELF object file`, {
      fix: 'pass the .bpf.o that clang -target bpf produced, not the .c source or another file',
    });
  }
  if (head.length >= 20) {
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    if (machine !== EM_BPF) {
      throw new HelperError('BAD_OBJECT', `${what} is an ELF file for another machine (e_machine ${machine}), not BPF`, {
        fix: 'compile with clang -target bpf (or -target bpfel) -c prog.bpf.c -o prog.bpf.o',
      });
    }
  }
}

function readHead(source: ObjectSource): Buffer {
  if ('bytes' in source) return source.bytes.subarray(0, 64);
  const fd = fs.openSync(source.path, 'r');
  try {
    const head = Buffer.alloc(64);
    return head.subarray(0, fs.readSync(fd, head, 0, 64, 0));
  } finally {
    fs.closeSync(fd);
  }
}

function open(source: ObjectSource): L.BpfObject {
  return 'bytes' in source ? L.objectOpenMem(source.bytes) : L.objectOpenFile(source.path);
}

function lockdownHint(): string | undefined {
  try {
    const mode = /\[(\w+)\]/.exec(fs.readFileSync('/sys/kernel/security/lockdown', 'utf8'))?.[1];
    if (mode && mode !== 'none')
      return `kernel lockdown is "${mode}": fentry/fexit/lsm/kprobe-override programs are refused; use tracepoints, tp_btf, XDP, tc or socket filters`;
  } catch {
    /* no securityfs: no hint */
  }
  return undefined;
}

/** Opens and loads an object; on a rejection reports the failing program's complete log. */
export function loadObject(source: ObjectSource, logLevel: number, pinDir?: string): ObjectLoadResult {
  const what = 'path' in source ? source.path : 'the object';
  checkElf(readHead(source), what);

  // The failing program gets a larger buffer on each ENOSPC retry; the others keep the initial one.
  let failingName: string | undefined;
  let failingLogBytes = INITIAL_LOG_BYTES;
  for (;;) {
    const libbpfOut: string[] = [];
    const opened = L.collectLibbpfOutput(() => open(source), logLevel > 0);
    libbpfOut.push(opened.output);
    if (opened.error || !opened.value) {
      const err = opened.error as HelperError;
      throw new HelperError('BAD_OBJECT', `libbpf cannot open ${what}: ${err.message}`, {
        errno: err.errno,
        fix: "the file is truncated, not a BPF object, or uses sections this libbpf does not know; rebuild it and check libbpf's messages",
        details: { verifierLog: '', logTruncated: false, libbpfLog: opened.output } satisfies LoadFailureDetails,
      });
    }
    const obj = opened.value;
    const progs = L.objectPrograms(obj);
    const logs = new Map<L.BpfProgram, Buffer>();
    for (const p of progs) {
      const size = L.program.name(p) === failingName ? failingLogBytes : INITIAL_LOG_BYTES;
      const buf = Buffer.alloc(size);
      logs.set(p, buf);
      L.program.setLogBuf(p, buf);
      L.program.setLogLevel(p, logLevel);
    }
    const loadRun = L.collectLibbpfOutput(() => L.objectLoad(obj), logLevel > 0);
    libbpfOut.push(loadRun.output);
    const rc = loadRun.value ?? -constants.errno.EINVAL;
    const libbpfLog = libbpfOut.join('');

    if (rc === 0) {
      try {
        return register(obj, progs, logs, logLevel, libbpfLog, pinDir);
      } catch (e) {
        L.objectClose(obj);
        throw e;
      }
    }

    const failedName =
      /prog '([^']+)': BPF program load failed/.exec(libbpfLog)?.[1] ??
      progs
        .map((p) => L.program.name(p))
        .find((n) => {
          const p = progs.find((q) => L.program.name(q) === n)!;
          return logs.get(p)![0] !== 0;
        });
    const failed = progs.find((p) => L.program.name(p) === failedName);
    const log = failed ? cString(logs.get(failed)!) : '';
    const section = failed ? L.program.section(failed) : undefined;
    L.objectClose(obj);

    const errno = -rc;
    if (errno === constants.errno.ENOSPC && failedName && failingLogBytes < MAX_LOG_BYTES) {
      failingName = failedName;
      failingLogBytes = Math.min(failingLogBytes * 8, MAX_LOG_BYTES);
      continue;
    }
    const truncated = errno === constants.errno.ENOSPC;
    const details: LoadFailureDetails = { program: failedName, section, verifierLog: log, logTruncated: truncated, libbpfLog };
    if (failedName) {
      const lastLine = log
        .trimEnd()
        .split('\n')
        .filter((l) => l && !l.startsWith('processed ') && !l.startsWith('verification time') && !l.startsWith('stack depth '))
        .pop();
      const hint = log === '' && (errno === constants.errno.EPERM || errno === constants.errno.EACCES) ? lockdownHint() : undefined;
      throw new HelperError(
        'VERIFIER_REJECTED',
        `the kernel rejected program '${failedName}'${lastLine ? `: ${lastLine}` : ''} (${HelperError.errno(errno, 'load').message.replace(/^load: /, '')})`,
        {
          errno,
          fix:
            hint ??
            (truncated
              ? `the verifier log exceeded ${MAX_LOG_BYTES} bytes and was truncated; load with logLevel 1 instead of 2`
              : 'the verifier log says which instruction broke which rule; fix the source line it points at'),
          details,
        },
      );
    }
    throw new HelperError(
      'LOAD_FAILED',
      `libbpf could not load ${what} (${HelperError.errno(errno, 'load').message.replace(/^load: /, '')}); see libbpf's messages`,
      {
        errno,
        fix: "libbpf's messages name the failing map, relocation or BTF type; a missing kernel feature usually means the kernel is too old for it",
        details,
      },
    );
  }
}

function register(
  obj: L.BpfObject,
  progs: L.BpfProgram[],
  logs: Map<L.BpfProgram, Buffer>,
  logLevel: number,
  libbpfLog: string,
  pinDir?: string,
): ObjectLoadResult {
  const programs: LoadedProgram[] = [];
  for (const p of progs) {
    const fd = L.program.fd(p);
    if (fd < 0) continue; // autoload off
    const info = L.progInfo(fd);
    const entry: LoadedProgram = {
      name: L.program.name(p),
      section: L.program.section(p),
      type: info.type,
      typeName: progTypeName(info.type),
      id: info.id,
      insnCount: L.program.insnCount(p),
      verifiedInsns: info.verified_insns,
    };
    if (logLevel > 0) entry.log = cString(logs.get(p)!);
    programs.push(entry);
  }
  const maps: LoadedMap[] = [];
  for (const m of L.objectMaps(obj)) {
    const fd = L.map.fd(m);
    if (fd < 0) continue;
    // libbpf keeps the full name; the kernel's info cuts it to 15 characters.
    maps.push(mapShape(L.mapInfo(fd), L.map.name(m)));
  }
  const pinned: string[] = [];
  if (pinDir) {
    fs.mkdirSync(pinDir, { recursive: true });
    L.objectPinMaps(obj, pinDir);
    L.objectPinPrograms(obj, pinDir);
    pinned.push(...maps.map((m) => `${pinDir}/${m.name}`), ...programs.map((p) => `${pinDir}/${p.name}`));
  }
  const handle = nextHandle++;
  loaded.set(handle, { obj, programIds: programs.map((p) => p.id), mapIds: maps.map((m) => m.id) });
  return { handle, programs, maps, pinned, libbpfLog };
}

export function unloadObject(handle: number): void {
  const o = loaded.get(handle);
  if (!o)
    throw new HelperError('NO_SUCH_OBJECT', `no loaded object with handle ${handle}`, {
      fix: 'it was already unloaded, or the helper restarted; load it again',
    });
  loaded.delete(handle);
  L.objectClose(o.obj);
}

/** Closes every object (helper exit). */
export function unloadAll(): void {
  for (const handle of [...loaded.keys()]) unloadObject(handle);
}

/** What every map description shares, from the kernel's bpf_map_info. */
export function mapShape(info: L.MapInfo, name = info.name): LoadedMap {
  return {
    name,
    id: info.id,
    type: info.type,
    typeName: mapTypeName(info.type),
    keySize: info.key_size,
    valueSize: info.value_size,
    maxEntries: info.max_entries,
    flags: info.map_flags,
  };
}
