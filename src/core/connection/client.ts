// HelperClient: the typed client of the root helper, over any transport that yields a child
// process's stdio (a local spawn, sudo, pkexec, or ssh). Used by the extension, the CLI and tests.
//
// A helper that dies fails every pending request with HELPER_EXITED (and its last stderr lines);
// the next request starts a new one through the same transport. Objects the old helper loaded are
// gone with it (unless pinned): listen to onDidRestart to refresh what you show.
import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import {
  type CancellationToken,
  createMessageConnection,
  Emitter,
  ErrorCodes,
  Event,
  MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { Methods, Notifications, PROTOCOL_VERSION, isErrorData } from '../../protocol';
import type { ErrorData } from '../../protocol/errors';
import type * as T from '../../protocol/types';

/** A started helper process, however it was started. */
export interface HelperProcess {
  stdin: Writable;
  stdout: Readable;
  stderr?: Readable | null;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Default SIGTERM: the helper unloads what it loaded and exits. */
  kill(signal?: NodeJS.Signals): void;
}

/** Starts helper processes: local.ts (spawn/sudo/pkexec); an SSH transport implements the same. */
export interface HelperTransport {
  /** Where the helper runs, for messages ("local", "ssh user@host"). */
  readonly description: string;
  /** The helper sees this machine's files (a local helper): objects go by path. Otherwise
   *  (ssh, or not said) they are sent as bytes. */
  readonly sharesFileSystem?: boolean;
  start(): Promise<HelperProcess>;
  /** Turns a helper that exited before answering `hello` into an error the user can act on. */
  explainStartFailure?(stderr: string, code: number | null): HelperClientError | undefined;
}

/** A failed request: `data` is the helper's structured error. */
export class HelperClientError extends Error {
  constructor(readonly data: ErrorData) {
    super(data.fix ? `${data.message} (${data.fix})` : data.message);
  }
  get code() {
    return this.data.code;
  }
}

const STDERR_TAIL_BYTES = 4096;

/** A live trace or events subscription: batches go to onBatch until dispose() or the helper's exit. */
export interface HelperSubscription<R> {
  readonly result: R;
  /** Resolves when the helper has stopped reading (the tracing pipe is closed, the ring is released). */
  dispose(): Promise<void>;
}

export interface SubscriptionHandlers<B> {
  /** One batch; the next comes only after this returns (or its promise settles). */
  onBatch(batch: B): void | Promise<void>;
  /** The subscription ended without dispose(): the helper exited or restarted. */
  onEnd?(reason: string): void;
}

interface Subscriber {
  session: Session;
  onBatch(batch: { subscription: number }): void | Promise<void>;
  onEnd?(reason: string): void;
}

interface Session {
  proc: HelperProcess;
  conn: MessageConnection;
  hello: T.HelloResult;
  stderrTail: () => string;
  dead: boolean;
  /** Resolves once the helper has exited and its pending requests have failed (never rejects). */
  closed: Promise<void>;
}

/** How long a broken pipe waits for the exit that explains it. */
const EXIT_GRACE_MS = 2000;

/** Errors of the pipe rather than answers of the helper: they mean the helper is gone or going. */
function isTransportFailure(e: unknown): boolean {
  if (!(e instanceof ResponseError)) return true; // "Connection is closed.", stream errors
  return (
    e.code === ErrorCodes.MessageWriteError || e.code === ErrorCodes.PendingResponseRejected || e.code === ErrorCodes.ConnectionInactive
  );
}

/** Waits for `p` at most `ms`, leaving no timer behind to keep the process alive. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export class HelperClient {
  private session?: Promise<Session>;
  /** The helper that answered hello and has not been cleaned up after its exit. */
  private active?: Session;
  private disposed = false;
  private readonly restartEmitter = new Emitter<T.HelloResult>();
  private readonly exitEmitter = new Emitter<string>();
  private readonly logEmitter = new Emitter<T.LogParams>();
  private readonly subscribers = new Map<number, Subscriber>();
  /** A batch that arrived before its subscribe answer was handled (at most one per id: flow control). */
  private readonly early = new Map<number, { subscription: number }>();

  /** Fires with the new helper's hello after a helper (re)started. */
  readonly onDidStart: Event<T.HelloResult> = this.restartEmitter.event;
  /** Fires with a description when a helper exits unexpectedly. */
  readonly onDidExit: Event<string> = this.exitEmitter.event;
  /** Fires when the helper reports something it did on its own (e.g. mounting bpffs). */
  readonly onDidLog: Event<T.LogParams> = this.logEmitter.event;

  constructor(readonly transport: HelperTransport) {}

  /** Starts (or returns) the helper and its hello answer. */
  async hello(): Promise<T.HelloResult> {
    return (await this.current()).hello;
  }

  private async current(): Promise<Session> {
    for (;;) {
      if (this.disposed) throw new HelperClientError({ code: 'HELPER_EXITED', message: 'the helper client was disposed' });
      const pending = (this.session ??= this.startSession().catch((e) => {
        this.session = undefined;
        throw e;
      }));
      const s = await pending;
      if (!s.dead) return s;
      // It exited and its clean-up (a few ms) has not run yet: never hand out a dead helper.
      await s.closed;
      if (this.session === pending) this.session = undefined;
    }
  }

  private async startSession(): Promise<Session> {
    let proc: HelperProcess;
    try {
      proc = await this.transport.start();
    } catch (e) {
      if (e instanceof HelperClientError) throw e;
      throw new HelperClientError({
        code: 'HELPER_UNAVAILABLE',
        message: `cannot start the helper (${this.transport.description}): ${(e as Error).message}`,
      });
    }
    let tail = '';
    proc.stderr?.on('data', (d: Buffer) => {
      tail = (tail + d.toString('utf8')).slice(-STDERR_TAIL_BYTES);
    });
    const reader = new StreamMessageReader(proc.stdout);
    // No partial-message timer: it re-arms itself every 10 s for as long as a message stays half
    // read (a helper killed mid-response), survives dispose(), and kept the CLI alive after its work.
    reader.partialMessageTimeout = 0;
    const conn = createMessageConnection(reader, new StreamMessageWriter(proc.stdin));
    const session: Session = {
      proc,
      conn,
      hello: undefined as unknown as T.HelloResult,
      stderrTail: () => tail.trim(),
      dead: false,
      closed: undefined as unknown as Promise<void>,
    };

    let exitInfo: { code: number | null; signal: string | null } | undefined;
    const exited = proc.exited.then((info) => {
      exitInfo = info;
      session.dead = true;
      for (const [id, sub] of this.subscribers) {
        if (sub.session !== session) continue;
        this.subscribers.delete(id);
        sub.onEnd?.('the helper exited');
      }
      // Give the stderr pipe a moment to flush its last lines before pending requests fail.
      return new Promise<void>((r) => setTimeout(r, 20)).then(() => {
        conn.dispose(); // rejects pending requests; we translate them in request()
        // Only a helper that was up is "lost"; one that died starting fails its hello instead.
        if (this.active === session) {
          this.active = undefined;
          this.session = undefined;
          if (!this.disposed) this.exitEmitter.fire(this.describeExit(info, tail));
        }
      });
    });
    session.closed = exited;
    proc.stdin.on('error', () => {
      /* EPIPE when the helper died: reported through `exited` */
    });
    conn.onNotification(Notifications.log, (p: T.LogParams) => this.logEmitter.fire(p));
    conn.onNotification(Notifications.traceLines, (b: T.TraceBatch) => this.deliver(session, b));
    conn.onNotification(Notifications.eventsRecords, (b: T.EventsBatch) => this.deliver(session, b));
    conn.listen();
    try {
      session.hello = await conn.sendRequest(Methods.hello, { protocolVersion: PROTOCOL_VERSION, client: 'ebpf-workbench' });
    } catch (e) {
      // A write error (EPIPE) can arrive before the exit event: give the exit a moment to land.
      if (!(e instanceof ResponseError && isErrorData(e.data))) {
        await within(exited, EXIT_GRACE_MS);
      }
      proc.kill();
      if (session.dead || exitInfo) {
        // It died before answering: sudo wanted a password, node or libbpf is missing, ...
        await exited;
        throw (
          this.transport.explainStartFailure?.(tail, exitInfo?.code ?? null) ??
          new HelperClientError({
            code: 'HELPER_UNAVAILABLE',
            message: `the helper (${this.transport.description}) exited before answering: ${this.describeExit(exitInfo!, tail)}`,
          })
        );
      }
      throw this.translate(e, session);
    }
    this.active = session;
    this.restartEmitter.fire(session.hello);
    return session;
  }

  private describeExit(info: { code: number | null; signal: string | null }, tail: string): string {
    const how = info.signal ? `killed by ${info.signal}` : `exit code ${info.code}`;
    return tail ? `${how}; last output:\n${tail.split('\n').slice(-10).join('\n')}` : how;
  }

  /** Why a request failed. A broken pipe (EPIPE, a closed or destroyed stream) usually comes a
   *  moment before the exit event: wait for the exit, so that every request pending on a dead
   *  helper fails with HELPER_EXITED, and the next one starts a new helper. */
  private async failure(e: unknown, session: Session): Promise<Error> {
    if (this.disposed && isTransportFailure(e))
      return new HelperClientError({ code: 'HELPER_EXITED', message: 'the helper client was disposed' });
    if (!session.dead && isTransportFailure(e)) {
      await within(session.closed, EXIT_GRACE_MS);
      if (!session.dead) {
        // The pipe broke but the process lives on: nothing can reach it any more.
        session.proc.kill('SIGKILL');
        await within(session.closed, EXIT_GRACE_MS);
      }
    }
    if (session.dead) await session.closed;
    return this.translate(e, session);
  }

  private translate(e: unknown, session: Session): Error {
    if (e instanceof HelperClientError) return e;
    if (e instanceof ResponseError && isErrorData(e.data)) return new HelperClientError(e.data);
    if (session.dead) {
      return new HelperClientError({
        code: 'HELPER_EXITED',
        message: `the helper (${this.transport.description}) exited while a request was pending${session.stderrTail() ? `: ${session.stderrTail().split('\n').slice(-5).join(' | ')}` : ''}`,
        fix: 'the next request starts a new helper; programs and maps it had loaded are gone unless pinned',
      });
    }
    if (isTransportFailure(e)) {
      return new HelperClientError({
        code: 'HELPER_EXITED',
        message: `lost the connection to the helper (${this.transport.description}): ${(e as Error)?.message ?? String(e)}`,
        fix: 'the next request starts a new helper; programs and maps it had loaded are gone unless pinned',
      });
    }
    if (e instanceof ResponseError) return new HelperClientError({ code: 'KERNEL', message: e.message });
    return e instanceof Error ? e : new Error(String(e));
  }

  private deliver(session: Session, batch: { subscription: number }): void {
    const sub = this.subscribers.get(batch.subscription);
    if (!sub || sub.session !== session) {
      if (this.early.size < 64) this.early.set(batch.subscription, batch);
      return;
    }
    const ack = () => {
      if (!session.dead && this.subscribers.get(batch.subscription) === sub)
        void session.conn.sendNotification(Notifications.batchAck, { subscription: batch.subscription }).catch(() => undefined);
    };
    let r: void | Promise<void>;
    try {
      r = sub.onBatch(batch);
    } catch {
      r = undefined;
    }
    if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(ack, ack);
    else ack();
  }

  private async subscribe<P, R extends { subscription: number }, B extends { subscription: number }>(
    type: { method: string },
    params: P,
    handlers: SubscriptionHandlers<B>,
  ): Promise<HelperSubscription<R>> {
    const session = await this.current();
    let result: R;
    try {
      result = await session.conn.sendRequest<R>(type.method, params);
    } catch (e) {
      throw await this.failure(e, session);
    }
    const id = result.subscription;
    this.subscribers.set(id, { session, onBatch: handlers.onBatch as Subscriber['onBatch'], onEnd: handlers.onEnd });
    const early = this.early.get(id);
    this.early.delete(id);
    if (early) this.deliver(session, early);
    let disposed = false;
    return {
      result,
      dispose: async () => {
        if (disposed) return;
        disposed = true;
        if (this.subscribers.get(id)?.session !== session) return; // already ended with its helper
        this.subscribers.delete(id);
        if (session.dead) return;
        try {
          await session.conn.sendRequest(Methods.unsubscribe.method, { subscription: id });
        } catch {
          /* the helper went away meanwhile: nothing is read any more */
        }
      },
    };
  }

  private async request<P, R>(type: { method: string }, params?: P, token?: CancellationToken): Promise<R> {
    const session = await this.current();
    try {
      if (params === undefined) return await session.conn.sendRequest<R>(type.method, token);
      return await session.conn.sendRequest<R>(type.method, params, token);
    } catch (e) {
      throw await this.failure(e, session);
    }
  }

  // ---------- typed methods ----------
  loadObject(p: T.ObjectLoadParams) {
    return this.request<T.ObjectLoadParams, T.ObjectLoadResult>(Methods.objectLoad, p);
  }
  /** Loads an object file of this machine: by path when the helper shares its file system, else as bytes. */
  /** How a local object file reaches this helper: its path when the helper shares our file system, else its bytes. */
  async objectSource(file: string): Promise<Pick<T.ObjectLoadParams, 'path' | 'bytes'>> {
    return this.transport.sharesFileSystem ? { path: file } : { bytes: (await readFile(file)).toString('base64') };
  }
  async loadObjectFile(file: string, opts: Omit<T.ObjectLoadParams, 'path' | 'bytes'> = {}) {
    return this.loadObject({ ...(await this.objectSource(file)), ...opts });
  }
  unloadObject(handle: number) {
    return this.request<T.ObjectUnloadParams, null>(Methods.objectUnload, { handle });
  }
  listPrograms() {
    return this.request<void, T.ProgListResult>(Methods.progList);
  }
  listMaps() {
    return this.request<void, T.MapListResult>(Methods.mapList);
  }
  countMap(p: T.MapCountParams) {
    return this.request<T.MapCountParams, T.MapCountResult>(Methods.mapCount, p);
  }
  countAllMaps() {
    return this.request<void, T.MapCountAllResult>(Methods.mapCountAll);
  }
  /** The same counts as parallel arrays, plus ring buffer positions: what a refresh tick needs. */
  countAllMapsCompact() {
    return this.request<T.MapCountAllParams, T.MapCountAllCompactResult>(Methods.mapCountAllCompact, { compact: true });
  }
  mapEntries(p: T.MapEntriesParams) {
    return this.request<T.MapEntriesParams, T.MapEntriesResult>(Methods.mapEntries, p);
  }
  ringbuf(id: number) {
    return this.request<T.RingbufParams, T.RingbufResult>(Methods.mapRingbuf, { id });
  }
  /** A cancelled token stops the run in the helper at once (it runs in a process of its own). */
  testRun(p: T.TestRunParams, token?: CancellationToken) {
    return this.request<T.TestRunParams, T.TestRunResult>(Methods.progTestRun, p, token);
  }
  pin(p: T.PinParams) {
    return this.request<T.PinParams, null>(Methods.pin, p);
  }
  unpin(path: string) {
    return this.request<T.UnpinParams, null>(Methods.unpin, { path });
  }
  vmlinuxHeader() {
    return this.request<void, T.BtfVmlinuxResult>(Methods.btfVmlinux);
  }
  enableStats(enable: boolean) {
    return this.request<T.StatsEnableParams, T.StatsEnableResult>(Methods.statsEnable, { enable });
  }
  /** bpf_printk lines (tracing pipe) and BPF stream lines of `programs`, until dispose(). */
  subscribeTrace(p: T.TraceSubscribeParams, handlers: SubscriptionHandlers<T.TraceBatch>) {
    return this.subscribe<T.TraceSubscribeParams, T.TraceSubscribeResult, T.TraceBatch>(Methods.traceSubscribe, p, handlers);
  }
  /** Decoded records of a ring buffer or perf event array, until dispose(). */
  subscribeEvents(p: T.EventsSubscribeParams, handlers: SubscriptionHandlers<T.EventsBatch>) {
    return this.subscribe<T.EventsSubscribeParams, T.EventsSubscribeResult, T.EventsBatch>(Methods.eventsSubscribe, p, handlers);
  }
  mapTypes(id: number) {
    return this.request<T.MapTypesParams, T.MapTypesResult>(Methods.mapTypes, { id });
  }
  mapUpdate(p: T.MapUpdateParams) {
    return this.request<T.MapUpdateParams, T.MapValueResult>(Methods.mapUpdate, p);
  }
  mapLookup(p: T.MapLookupParams) {
    return this.request<T.MapLookupParams, T.MapValueResult>(Methods.mapLookup, p);
  }
  mapDelete(p: T.MapDeleteParams) {
    return this.request<T.MapDeleteParams, null>(Methods.mapDelete, p);
  }
  mapClear(id: number) {
    return this.request<T.MapClearParams, T.MapClearResult>(Methods.mapClear, { id });
  }
  mapPush(p: T.MapPushParams) {
    return this.request<T.MapPushParams, T.MapValueResult>(Methods.mapPush, p);
  }
  mapPop(p: T.MapPopParams) {
    return this.request<T.MapPopParams, T.MapValueResult>(Methods.mapPop, p);
  }
  attach(p: T.AttachParams) {
    return this.request<T.AttachParams, T.AttachResult>(Methods.progAttach, p);
  }
  detach(linkId: number) {
    return this.request<T.DetachParams, null>(Methods.linkDetach, { linkId });
  }
  pinLink(p: T.LinkPinParams) {
    return this.request<T.LinkPinParams, T.AttachedLink>(Methods.linkPin, p);
  }
  listLinks() {
    return this.request<void, T.LinkListResult>(Methods.linkList);
  }
  attachPlaces() {
    return this.request<void, T.AttachPlacesResult>(Methods.attachPlaces);
  }
  /** A program's xlated instructions with line info and call names (optionally the JIT's code). */
  programInsns(id: number, jited = false) {
    return this.request<T.ProgInsnsParams, T.ProgInsnsResult>(Methods.progInsns, { id, jited });
  }

  /** Escape hatch for tests of the wire format: any method, any params. */
  raw(method: string, params?: unknown) {
    return this.request<unknown, unknown>({ method }, params);
  }

  /** Stops the helper (closing its stdin lets it unload everything) and waits for it to exit. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const s = await this.session?.catch(() => undefined);
    this.session = undefined;
    this.active = undefined;
    if (!s) return;
    s.conn.dispose();
    s.proc.stdin.end();
    const timer = setTimeout(() => s.proc.kill(), 3000);
    await s.proc.exited;
    clearTimeout(timer);
    this.restartEmitter.dispose();
    this.exitEmitter.dispose();
    this.logEmitter.dispose();
  }
}
