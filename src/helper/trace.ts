// The trace console's source: bpf_printk output from the kernel's tracing pipe, and per-program
// BPF streams (bpf_stream_printk output and the kernel's runtime errors, Linux 6.17+).
//
// The tracing pipe is read only while at least one client subscribes, through one shared
// non-blocking fd watched by FdWatcher; every subscriber gets every line. Reading the pipe
// consumes it for the whole host and the kernel admits one reader at a time, so the subscription
// says so, and a busy pipe is an error that names the process holding it. tracefs is
// mounted on /sys/kernel/tracing when the machine booted without it; debugfs's tracing directory is
// the fallback. Streams have no fd to wait on: they are read every STREAM_POLL_MS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import type { TraceBatch, TraceLine, TraceSubscribeResult } from '../protocol/types';
import { LineSplitter, parseTraceLine } from '../core/trace/traceLine';
import { HelperError } from './errors';
import * as L from './libbpf';
import { ensureMounted, isMounted, TRACEFS_MAGIC, type Say } from './mounts';
import { close, Outbox, register } from './subscriptions';
import type { FdWatcher } from './watch';

const TRACEFS = '/sys/kernel/tracing';
const DEBUGFS = '/sys/kernel/debug';
const DEBUGFS_MAGIC = 0x64626720;
const STREAM_POLL_MS = 250;
const BATCH = 512;
const READ_CHUNK = 64 * 1024;

export const PIPE_NOTE =
  'the tracing pipe is global: it carries bpf_printk output of every program on this host, and reading it consumes it — ' +
  'while this console reads, nobody else on the host can (cat trace_pipe, bpftool prog tracelog and other consoles get "busy"); close it to let them';

/** The trace_pipe to read: tracefs (mounted if needed), else debugfs's tracing directory. */
export function locateTracePipe(say: Say): string {
  if (isMounted(TRACEFS, TRACEFS_MAGIC)) return `${TRACEFS}/trace_pipe`;
  let tracefsError: HelperError | undefined;
  try {
    ensureMounted(TRACEFS, 'tracefs', TRACEFS_MAGIC, say);
    return `${TRACEFS}/trace_pipe`;
  } catch (e) {
    tracefsError = e as HelperError;
  }
  // Older setups: debugfs automounts tracefs at /sys/kernel/debug/tracing.
  if (!isMounted(DEBUGFS, DEBUGFS_MAGIC)) {
    try {
      L.mountFs('debugfs', DEBUGFS, 'debugfs', '');
      say(`mounted debugfs on ${DEBUGFS} to reach the tracing pipe (tracefs could not be mounted on ${TRACEFS})`);
    } catch {
      /* fall through to the tracefs error, which says how to fix it */
    }
  }
  const viaDebugfs = `${DEBUGFS}/tracing/trace_pipe`;
  if (fs.existsSync(viaDebugfs)) return viaDebugfs;
  throw new HelperError('KERNEL', `no tracing pipe: ${tracefsError.message}`, {
    errno: tracefsError.errno,
    fix: tracefsError.fix ?? `mount tracefs: mount -t tracefs tracefs ${TRACEFS} (the kernel needs CONFIG_TRACING)`,
  });
}

/** Other processes that hold the pipe open (they compete for its lines), as "comm (pid N)". */
export function otherReaders(pipe: string): string[] {
  const out: string[] = [];
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid);
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === pipe;
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    // The executable's name first: a runtime can rename its main thread (Node 24's comm is
    // "MainThread"), and the user knows the program they started.
    let name = '?';
    try {
      name = path.basename(fs.readlinkSync(`/proc/${pid}/exe`));
    } catch {
      try {
        name = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        /* exited meanwhile */
      }
    }
    out.push(`${name} (pid ${pid})`);
    if (out.length >= 5) break;
  }
  return out;
}

/** BPF_PROG_STREAM_READ_BY_FD exists from Linux 6.17. */
export function streamsSupported(release = os.release()): boolean {
  const [major, minor] = release.split('.').map((x) => parseInt(x, 10));
  return major > 6 || (major === 6 && minor >= 17);
}

type Listener = (lines: TraceLine[]) => void;

/** The one open tracing pipe, shared by every subscriber, closed when the last one leaves. */
class PipeReader {
  private fd = -1;
  private unwatch: (() => Promise<void>) | undefined;
  /** A close in progress: the file is released once the watcher's poll let go of it. */
  private closing: Promise<void> | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly splitter = new LineSplitter();
  private readonly chunk = Buffer.alloc(READ_CHUNK);

  constructor(
    readonly path: string,
    private readonly watcher: FdWatcher,
  ) {}

  async add(l: Listener): Promise<void> {
    await this.closing;
    if (this.fd < 0) {
      this.fd = fs.openSync(this.path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      this.unwatch = this.watcher.watch(this.fd, () => this.read());
    }
    this.listeners.add(l);
  }

  /** Resolves when the pipe is released (so another reader can open it). */
  async remove(l: Listener): Promise<void> {
    this.listeners.delete(l);
    if (this.listeners.size === 0 && this.fd >= 0) {
      const fd = this.fd;
      const unwatch = this.unwatch;
      this.fd = -1;
      this.closing = (async () => {
        await unwatch?.();
        fs.closeSync(fd);
      })();
      await this.closing;
      this.closing = undefined;
    }
  }

  private read(): void {
    const lines: TraceLine[] = [];
    // Bounded per wake-up, so a flood of printk output cannot starve requests.
    for (let i = 0; i < 64 && this.fd >= 0; i++) {
      const n = L.readNonBlocking(this.fd, this.chunk);
      if (n <= 0) break;
      for (const raw of this.splitter.push(this.chunk.toString('utf8', 0, n))) {
        const line = parseTraceLine(raw);
        if (line) lines.push(line);
      }
    }
    if (lines.length) for (const l of this.listeners) l(lines);
  }
}

let pipeReader: PipeReader | undefined;

export interface TraceContext {
  watcher: FdWatcher;
  say: Say;
  notify: (batch: TraceBatch) => void;
}

/** Reads every waiting line of a program's streams. */
function readStreams(progFd: number, programId: number, buf: Buffer, splitters: LineSplitter[]): TraceLine[] {
  const out: TraceLine[] = [];
  for (const stream of [1, 2] as const) {
    for (let i = 0; i < 16; i++) {
      const n = L.progStreamRead(progFd, stream, buf);
      if (n <= 0) break;
      for (const text of splitters[stream - 1].push(buf.toString('utf8', 0, n))) {
        out.push({ source: stream === 1 ? 'stdout' : 'stderr', programId, pid: 0, comm: '', cpu: -1, timestamp: 0, text });
      }
      if (n < buf.length) break;
    }
  }
  return out;
}

export async function subscribeTrace(ctx: TraceContext, pipe: boolean, programIds: number[]): Promise<TraceSubscribeResult> {
  const notes: string[] = [];
  const streams = streamsSupported();
  let pipePath: string | undefined;
  if (pipe) {
    pipePath = locateTracePipe(ctx.say);
    if (pipeReader?.path !== pipePath) pipeReader = new PipeReader(pipePath, ctx.watcher);
    notes.push(PIPE_NOTE);
  }
  // Program fds are held for the subscription, so a program that is unloaded keeps its stream readable until then.
  const progs: { id: number; fd: number; splitters: LineSplitter[] }[] = [];
  if (programIds.length && !streams)
    notes.push(`this kernel (${os.release()}) has no BPF streams (Linux 6.17+): only the tracing pipe is read`);
  try {
    if (streams) for (const id of programIds) progs.push({ id, fd: L.progFdById(id), splitters: [new LineSplitter(), new LineSplitter()] });
  } catch (e) {
    for (const p of progs) L.closeFd(p.fd);
    const he = e as HelperError;
    if (he.errno === 2) throw new HelperError('NO_SUCH_PROGRAM', `${he.message}: no such program`, { fix: 'refresh the program list' });
    throw e;
  }

  const reader = pipe ? pipeReader : undefined;
  let outbox: Outbox<TraceLine>;
  let listener: Listener;
  let timer: NodeJS.Timeout | undefined;
  const id = register((sub) => {
    outbox = new Outbox<TraceLine>((lines) => ctx.notify({ subscription: sub, lines, dropped: outbox.dropped }), BATCH);
    listener = (lines) => {
      const before = outbox.dropped;
      for (const l of lines) outbox.push(l);
      if (outbox.dropped !== before) outbox.touch();
    };
    return {
      ack: () => outbox.ack(),
      close: async () => {
        if (timer) clearInterval(timer);
        for (const p of progs) L.closeFd(p.fd);
        outbox.close();
        await reader?.remove(listener);
      },
    };
  });
  try {
    await reader?.add(listener!);
  } catch (e) {
    await close(id);
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EBUSY') {
      const who = otherReaders(pipePath!);
      throw new HelperError(
        'BUSY',
        `${who.length ? who.join(', ') : 'another process'} is reading ${pipePath}, and the kernel lets one reader at a time`,
        {
          errno: err.errno === undefined ? undefined : -err.errno,
          fix: `stop that reader${who.length ? ` (${who.map((w) => `kill ${/pid (\d+)/.exec(w)?.[1]}`).join(', ')})` : ''} — another trace console or "ebpf-workbench trace", cat, bpftool prog tracelog — and try again`,
        },
      );
    }
    throw new HelperError(err.code === 'EACCES' ? 'PERMISSION' : 'KERNEL', `cannot open ${pipePath}: ${err.message}`, {
      fix: 'the helper must run as root to read the tracing pipe',
    });
  }
  if (progs.length) {
    const buf = Buffer.alloc(READ_CHUNK);
    timer = setInterval(() => {
      for (const p of progs) for (const line of readStreams(p.fd, p.id, buf, p.splitters)) outbox.push(line);
    }, STREAM_POLL_MS);
  }
  return { subscription: id, ...(pipePath ? { pipe: pipePath } : {}), streams, notes };
}
