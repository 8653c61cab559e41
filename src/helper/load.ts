// Opening and loading an ELF object with libbpf, and the verifier log of a rejected program. This
// runs in an object host (objectHostMain.ts), never in the root helper itself: libbpf parses the
// untrusted ELF here, and a crash takes down only this object's process.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import type { LoadedMap, LoadedProgram, LoadFailureDetails, ObjectLoadResult } from '../protocol/types';
import { mapTypeName, progTypeName } from '../protocol/names';
import { HelperError } from './errors';
import * as L from './libbpf';
import { pinAll } from './pinAll';

const INITIAL_LOG_BYTES = 1 << 20;
/** Past this a log is reported truncated rather than grown again (the kernel caps at 1 GiB). */
export const MAX_LOG_BYTES = 256 << 20;

/** The object's bytes; `name` is the file name libbpf would have used (it names internal maps). */
export interface ObjectSource {
  bytes: Buffer;
  name?: string;
  /** How messages call it: its path, or "the object". */
  what: string;
}

/** What an object host reports of a loaded object (the root helper adds the handle). */
export type LoadResult = Omit<ObjectLoadResult, 'handle'>;

/** Says what the host is about to do, so a crash can be reported as "while <phase>". */
export type Phase = (doing: string) => void;

function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
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
export function loadObject(
  source: ObjectSource,
  logLevel: number,
  pinDir: string | undefined,
  phase: Phase,
  /** A check (tryLoad): maps the object asks to pin by name are not pinned. */
  noAutoPin = false,
): { obj: L.BpfObject; result: LoadResult } {
  const what = source.what;

  // The failing program gets a larger buffer on each ENOSPC retry; the others keep the initial one.
  let failingName: string | undefined;
  let failingLogBytes = INITIAL_LOG_BYTES;
  for (;;) {
    const libbpfOut: string[] = [];
    phase('opening this object');
    const opened = L.collectLibbpfOutput(() => L.objectOpenMem(source.bytes, source.name), logLevel > 0);
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
    if (noAutoPin) for (const m of L.objectMaps(obj)) L.map.noPin(m);
    const progs = L.objectPrograms(obj);
    const logs = new Map<L.BpfProgram, Buffer>();
    for (const p of progs) {
      const size = L.program.name(p) === failingName ? failingLogBytes : INITIAL_LOG_BYTES;
      const buf = Buffer.alloc(size);
      logs.set(p, buf);
      L.program.setLogBuf(p, buf);
      L.program.setLogLevel(p, logLevel);
    }
    phase('loading this object');
    const loadRun = L.collectLibbpfOutput(() => L.objectLoad(obj), logLevel > 0);
    libbpfOut.push(loadRun.output);
    const rc = loadRun.value ?? -constants.errno.EINVAL;
    const libbpfLog = libbpfOut.join('');

    if (rc === 0) {
      try {
        return { obj, result: describe(obj, progs, logs, logLevel, libbpfLog, pinDir, phase) };
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

function describe(
  obj: L.BpfObject,
  progs: L.BpfProgram[],
  logs: Map<L.BpfProgram, Buffer>,
  logLevel: number,
  libbpfLog: string,
  pinDir: string | undefined,
  phase: Phase,
): LoadResult {
  const programs: LoadedProgram[] = [];
  const fds: { name: string; fd: number }[] = [];
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
    fds.push({ name: entry.name, fd });
  }
  const maps: LoadedMap[] = [];
  for (const m of L.objectMaps(obj)) {
    const fd = L.map.fd(m);
    if (fd < 0) continue;
    // libbpf keeps the full name; the kernel's info cuts it to 15 characters.
    maps.push(mapShape(L.mapInfo(fd), L.map.name(m)));
    fds.unshift({ name: L.map.name(m), fd }); // maps first, as libbpf pins them
  }
  const pinned: string[] = [];
  if (pinDir) {
    phase(`pinning under ${pinDir}`);
    pinned.push(...pinAll(pinDir, fds));
  }
  return { programs, maps, pinned, libbpfLog };
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

/** One object of a batch (object hosts check many mutated objects this way): loaded, then closed. */
export interface TryLoadOutcome {
  ok: boolean;
  code?: string;
  message?: string;
  programs?: number;
  maps?: number;
}

export function tryLoad(source: ObjectSource, logLevel: number, phase: Phase): TryLoadOutcome {
  try {
    const { obj, result } = loadObject(source, logLevel, undefined, phase, true);
    L.objectClose(obj);
    return { ok: true, programs: result.programs.length, maps: result.maps.length };
  } catch (e) {
    const he = e instanceof HelperError ? e : new HelperError('KERNEL', String((e as Error)?.message ?? e));
    return { ok: false, code: he.code, message: he.message };
  }
}
