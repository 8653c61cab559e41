// The root helper's side of an object host (objectHostMain.ts): starts the same helper script in
// host mode as a child, talks JSON-RPC to it over the child's stdio, and turns the child's death
// into an error that names the cause ("libbpf crashed (SIGSEGV) while opening this object").
// A host that dies fails only its own requests; the root helper and every other host go on.
//
// One spare host is kept started once the first object was loaded, so a load does not wait for a
// Node process to start (about 0.1-0.3 s); hosts are never reused after libbpf has seen an object.
import { ChildProcess, spawn } from 'node:child_process';
import {
  CancellationToken,
  createMessageConnection,
  MessageConnection,
  ResponseError,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import type { TestRunResult } from '../protocol/types';
import { HelperError } from './errors';
import { OBJECT_HOST_FLAG, PHASE_MARKER } from './objectHostMain';

const STDERR_TAIL_BYTES = 16 * 1024;
const CLOSE_GRACE_MS = 2000;

export interface HostExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface HostRequestOptions {
  /** What the host is asked to do, for messages ("loading /x.bpf.o"), until it reports a phase. */
  doing: string;
  token?: CancellationToken;
  /** Kill the host and fail with TIMEOUT after this long. */
  timeoutMs?: number;
  /** The error to report when the host dies during this request (default: crashError). */
  onCrash?: (exit: HostExit, doing: string, output: string) => HelperError;
}

/** Node flags of our own process that a child should share (tsx in tests), without debugger ports. */
function childExecArgv(): string[] {
  return process.execArgv.filter((a) => !/^--(inspect|debug)/.test(a));
}

export function describeExit(exit: HostExit): string {
  return exit.signal ? `crashed (${exit.signal})` : `exited with code ${exit.code}`;
}

/** The default report of a host that died: what it was doing, and what the user can do. */
export function crashError(exit: HostExit, doing: string, output: string): HelperError {
  const parsing = /^(opening|loading)/.test(doing);
  return new HelperError(
    parsing ? 'BAD_OBJECT' : 'KERNEL',
    `libbpf ${describeExit(exit)} while ${doing}${parsing ? ': the ELF is malformed in a way libbpf does not check' : ''}`,
    {
      fix: parsing
        ? 'rebuild the object with clang -g -O2 -target bpf; if a fresh build crashes libbpf too, report it to libbpf with the object. Nothing else the helper holds was affected'
        : 'only this request failed; try again, and report it if it happens again',
      details: { verifierLog: '', logTruncated: false, libbpfLog: output, crash: { signal: exit.signal, code: exit.code, while: doing } },
    },
  );
}

export class ObjectHost {
  private readonly child: ChildProcess;
  private readonly conn: MessageConnection;
  private output = '';
  private phase?: string;
  private exitInfo?: HostExit;
  private expected = false;
  /** Requests in flight, failed when the host dies. */
  private readonly onDeath = new Set<(exit: HostExit) => void>();
  readonly exited: Promise<HostExit>;

  private constructor() {
    const script = process.argv[1];
    this.child = spawn(process.execPath, [...childExecArgv(), script, OBJECT_HOST_FLAG], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin!.on('error', () => {
      /* EPIPE after the host died: reported through `exited` */
    });
    let pending = '';
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => {
      // Phase markers are whole lines; everything else is libbpf's (or Node's) own output.
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const at = line.indexOf(PHASE_MARKER);
        if (at >= 0) this.phase = line.slice(at + PHASE_MARKER.length);
        else if (line) this.output = (this.output + line + '\n').slice(-STDERR_TAIL_BYTES);
      }
    });
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': the last stdout and stderr bytes are read by then.
      this.child.on('close', (code, signal) => {
        if (pending && !pending.includes(PHASE_MARKER)) this.output = (this.output + pending).slice(-STDERR_TAIL_BYTES);
        this.exitInfo = { code, signal };
        this.conn.dispose();
        for (const fail of [...this.onDeath]) fail(this.exitInfo);
        resolve(this.exitInfo);
      });
      this.child.on('error', () => {
        this.exitInfo ??= { code: -1, signal: null };
        for (const fail of [...this.onDeath]) fail(this.exitInfo);
        resolve(this.exitInfo);
      });
    });
    const reader = new StreamMessageReader(this.child.stdout!);
    reader.partialMessageTimeout = 0; // no timer that outlives the host
    this.conn = createMessageConnection(reader, new StreamMessageWriter(this.child.stdin!));
    this.conn.onError(() => undefined);
    this.conn.listen();
  }

  static start(): ObjectHost {
    return new ObjectHost();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** Alive and not being ended (a killed host stays alive until the kernel has reaped it). */
  get usable(): boolean {
    return this.alive && !this.expected;
  }

  /** Did the host die without being asked to (a crash)? Resolves once it is gone. */
  async crashed(): Promise<HostExit | undefined> {
    const exit = await this.exited;
    return this.expected ? undefined : exit;
  }

  /** libbpf's (and Node's) last output on the host's stderr. */
  get lastOutput(): string {
    return this.output;
  }

  /** Sends one request; fails with a structured error when the host dies, is cancelled or times out. */
  request<R>(method: string, params: unknown, opts: HostRequestOptions): Promise<R> {
    if (!this.alive) return Promise.reject(new HelperError('KERNEL', `the object host is gone (${describeExit(this.exitInfo!)})`));
    this.phase = undefined;
    return new Promise<R>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const died = (exit: HostExit) => settle(() => reject((opts.onCrash ?? crashError)(exit, this.phase ?? opts.doing, this.output)));
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        cancel?.dispose();
        this.onDeath.delete(died);
        fn();
      };
      this.onDeath.add(died);
      this.conn.sendRequest<R>(method, params).then(
        (r) => settle(() => resolve(r)),
        (e) => {
          // An answer from the host (a structured error) passes through; a broken pipe waits for the exit.
          if (e instanceof ResponseError && this.alive) settle(() => reject(e));
        },
      );
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.kill();
          settle(() =>
            reject(
              new HelperError('TIMEOUT', `stopped after ${Math.round(opts.timeoutMs! / 1000)} s while ${this.phase ?? opts.doing}`, {
                fix: 'it ran past its time bound; ask for less work (fewer repetitions) or a longer timeoutMs',
              }),
            ),
          );
        }, opts.timeoutMs);
      }
      const cancel = opts.token?.onCancellationRequested(() => {
        this.kill();
        settle(() => reject(new HelperError('CANCELLED', `cancelled while ${this.phase ?? opts.doing}`)));
      });
    });
  }

  /** Stops the host the orderly way (stdin closes; it closes its object and exits), SIGKILL if it lingers. */
  async close(): Promise<void> {
    this.expected = true;
    if (!this.alive) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), CLOSE_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** Ends the host at once; the kernel frees what it held (except pins). */
  kill(): void {
    this.expected = true;
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/** A started host that has not seen any object yet, ready for the next load. */
let spare: ObjectHost | undefined;

/** A fresh host for one object: the spare if it is up, else a new one; a new spare follows. */
export function freshHost(): ObjectHost {
  const host = spare?.alive ? spare : ObjectHost.start();
  spare = undefined;
  return host;
}

/**
 * Starts the next spare once the current request has been answered (starting Node costs a few ms
 * of this process's time even before the child runs), and warms it up with one of the helper's own
 * objects: the first libbpf load of a fresh process compiles its JavaScript paths (10-20 ms).
 */
export function prepareSpare(warmup?: Buffer): void {
  setImmediate(() => {
    if (spare?.alive) return;
    const host = (spare = ObjectHost.start());
    if (warmup)
      void host
        .request('host.tryLoad', { objects: [{ bytes: warmup.toString('base64') }] }, { doing: 'warming up' })
        .catch(() => undefined);
  });
}

/** A host that ran test runs and can run the next; at most one is kept. */
let testRunIdle: ObjectHost | undefined;

/**
 * BPF_PROG_TEST_RUN in a host of its own (never the one holding the object): the root helper keeps
 * serving while it runs, and a cancel or the time bound kills the host, which the kernel notices
 * between repetitions (a pending signal ends the run). A host whose run finished is reused.
 */
export async function testRunInHost(
  params: { id: number; dataIn?: unknown; ctxIn?: unknown; repeat: number },
  token: CancellationToken,
  timeoutMs: number,
): Promise<TestRunResult> {
  const host = testRunIdle?.usable ? testRunIdle : ObjectHost.start();
  if (host === testRunIdle) testRunIdle = undefined;
  try {
    return await host.request<TestRunResult>('host.testRun', params, { doing: `test-running program ${params.id}`, token, timeoutMs });
  } finally {
    if (host.usable && !testRunIdle) testRunIdle = host;
    else if (host.usable) void host.close();
  }
}

/** Every host still running (helper exit kills them; PR_SET_PDEATHSIG would too). */
export function killSpare(): void {
  spare?.kill();
  spare = undefined;
  testRunIdle?.kill();
  testRunIdle = undefined;
}
