// The helper supervisor's state machine: start, lose the helper, back off with jitter, reconnect,
// wait for the user after a failure only they can fix. The helper is an in-process JSON-RPC peer
// on a pipe (the real HelperClient and vscode-jsonrpc on both ends; only the process is missing),
// and the retry timers run on a fake clock, so every delay is checked exactly and nothing sleeps.
import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { HelperClient, HelperClientError, type HelperProcess, type HelperTransport } from '../../src/core/connection/client';
import { backoffDelayMs, HelperSupervisor, STABLE_MS, type Clock, type HelperState } from '../../src/core/connection/supervisor';
import type { ErrorData } from '../../src/protocol/errors';
import type { HelloResult } from '../../src/protocol';

/** Timers that fire only when the test moves time forward. */
class FakeClock implements Clock {
  private time = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  now(): number {
    return this.time;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.time);
  }
  /** Moves time forward, running the timers that come due. */
  advance(ms: number): void {
    this.time += ms;
    for (const [id, t] of [...this.timers]) {
      if (t.at <= this.time) {
        this.timers.delete(id);
        t.fn();
      }
    }
  }
}

/** A helper that answers `hello` in this process; `failNext` makes the next starts fail like a transport does. */
class InProcessHelper implements HelperTransport {
  readonly description = 'in-process';
  starts = 0;
  failNext: ErrorData[] = [];
  /** Starts that exit (code 1) before answering hello, as a helper missing libbpf does. */
  dieBeforeHello = 0;
  private running?: { exit: (info: { code: number | null; signal: string | null }) => void; stdin: PassThrough };

  async start(): Promise<HelperProcess> {
    this.starts++;
    const failure = this.failNext.shift();
    if (failure) throw new HelperClientError(failure);
    const toHelper = new PassThrough();
    const fromHelper = new PassThrough();
    if (this.dieBeforeHello > 0) {
      this.dieBeforeHello--;
      const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
        setImmediate(() => {
          fromHelper.end();
          r({ code: 1, signal: null });
        }),
      );
      return { stdin: toHelper, stdout: fromHelper, exited, kill: () => undefined };
    }
    const conn = createMessageConnection(new StreamMessageReader(toHelper), new StreamMessageWriter(fromHelper));
    const pid = 1000 + this.starts;
    conn.onRequest('hello', (): HelloResult => ({ ...HELLO, pid }));
    conn.listen();
    let exit!: (info: { code: number | null; signal: string | null }) => void;
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) => (exit = r));
    const stop = (info: { code: number | null; signal: string | null }) => {
      conn.dispose();
      fromHelper.end();
      exit(info);
    };
    toHelper.on('finish', () => stop({ code: 0, signal: null })); // stdin closed: the helper exits
    this.running = { exit: stop, stdin: toHelper };
    return { stdin: toHelper, stdout: fromHelper, exited, kill: (signal = 'SIGTERM') => stop({ code: null, signal }) };
  }

  /** The helper dies (SIGKILL), as when the OOM killer or a user kills it. */
  crash(): void {
    this.running?.exit({ code: null, signal: 'SIGKILL' });
  }

  /** The pipe to the helper breaks now, and the exit is seen `ms` later (real time), as with a
   *  killed process: writes fail ("write after a stream was destroyed") before the exit event. */
  breakPipe(ms: number): void {
    const running = this.running;
    running?.stdin.destroy();
    setTimeout(() => running?.exit({ code: null, signal: 'SIGKILL' }), ms);
  }
}

const HELLO: HelloResult = {
  protocolVersion: 1,
  helperVersion: '0.1.0',
  kernelRelease: '6.18.0',
  libbpfVersion: '1.1',
  arch: 'x64',
  uid: 0,
  pid: 0,
  capabilities: { btf: true, mapSumElemCount: true, batchOps: true, ringbuf: true, bpfStats: true },
  notes: {},
};

const backoff = { firstMs: 1000, maxMs: 30_000, jitter: 0.2 };

describe('helper supervisor', () => {
  let clock: FakeClock;
  let helper: InProcessHelper;
  let supervisor: HelperSupervisor;
  let states: HelperState[];
  let random: number;

  beforeEach(() => {
    clock = new FakeClock();
    helper = new InProcessHelper();
    random = 0.5; // no jitter unless a test says otherwise
    supervisor = new HelperSupervisor(new HelperClient(helper), { label: 'test', backoff, clock, random: () => random });
    states = [];
    supervisor.onDidChangeState((s) => states.push(s));
  });

  afterEach(async () => {
    await supervisor.dispose();
  });

  /** Resolves at the next state of this kind. */
  const next = (kind: HelperState['kind']) =>
    new Promise<HelperState>((resolve) => {
      const sub = supervisor.onDidChangeState((s) => {
        if (s.kind !== kind) return;
        sub.dispose();
        resolve(s);
      });
    });

  it('starts the helper on connect and reports starting, then connected', async () => {
    await supervisor.connect();
    assert.deepEqual(
      states.map((s) => s.kind),
      ['starting', 'connected'],
    );
    assert.equal(supervisor.hello?.pid, 1001);
    assert.equal((await supervisor.ready()).transport, helper);
    await supervisor.connect(); // already connected: no second start
    assert.equal(helper.starts, 1);
  });

  it('reports a helper that died as disconnected and starts a new one after the backoff', async () => {
    await supervisor.connect();
    const down = next('disconnected');
    helper.crash();
    const s = await down;
    assert.ok(s.kind === 'disconnected' && /killed by SIGKILL/.test(s.message), JSON.stringify(s));
    assert.equal(s.retryInMs, 1000);
    assert.deepEqual(clock.pending(), [1000]);
    const up = next('connected');
    clock.advance(999);
    assert.equal(helper.starts, 1, 'no restart before the delay');
    clock.advance(1);
    const again = await up;
    assert.ok(again.kind === 'connected' && again.hello.pid === 1002);
  });

  it('doubles the delay while starts keep failing, up to the cap, and resets it on Retry', async () => {
    const unreachable: ErrorData = { code: 'HELPER_UNAVAILABLE', message: 'cannot connect', retryable: true };
    helper.failNext = Array(8).fill(unreachable);
    await supervisor.connect();
    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      const s = supervisor.state;
      assert.equal(s.kind, 'disconnected');
      delays.push(s.kind === 'disconnected' ? s.retryInMs! : 0);
      const settled = next('disconnected');
      clock.advance(delays[i]);
      await settled;
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    await supervisor.retry(); // at once, whatever the timer says
    assert.equal(supervisor.state.kind, 'connected');
    assert.equal(helper.starts, 9);
    const down = next('disconnected');
    helper.crash();
    assert.equal(((await down) as { retryInMs: number }).retryInMs, 1000, 'Retry forgot the backoff');
  });

  it('spreads each delay by up to ±20% (jitter)', () => {
    assert.equal(
      backoffDelayMs(2, backoff, () => 0),
      3200,
    );
    assert.equal(
      backoffDelayMs(2, backoff, () => 0.999999),
      4800,
    );
    assert.equal(
      backoffDelayMs(2, backoff, () => 0.5),
      4000,
    );
    for (let i = 0; i < 100; i++) {
      const d = backoffDelayMs(5, backoff);
      assert.ok(d >= 24_000 && d <= 36_000, String(d));
    }
  });

  it('uses the jittered delay for its retries', async () => {
    random = 0;
    helper.failNext = [{ code: 'HELPER_UNAVAILABLE', message: 'cannot connect', retryable: true }];
    await supervisor.connect();
    assert.deepEqual(clock.pending(), [800]);
  });

  it('waits for the user after a failure only they can fix: no timer, until Retry', async () => {
    const auth: ErrorData = { code: 'HELPER_UNAVAILABLE', message: 'ssh could not log in', fix: 'ssh-copy-id', retryable: false };
    helper.failNext = [auth, auth];
    await supervisor.connect();
    assert.deepEqual(supervisor.state, {
      kind: 'needs-privileges',
      title: 'needs attention',
      message: 'ssh could not log in',
      fix: 'ssh-copy-id',
    });
    assert.deepEqual(clock.pending(), []);
    await assert.rejects(supervisor.ready(), /^Error: test: ssh could not log in — ssh-copy-id$/);
    assert.equal(helper.starts, 2, 'ready() tries once more, the user asked for the helper');
    helper.failNext = [];
    await supervisor.retry();
    assert.equal(supervisor.state.kind, 'connected');
  });

  it('waits for privileges on PERMISSION, whatever the transport', async () => {
    helper.failNext = [{ code: 'PERMISSION', message: 'the helper needs root', fix: 'allow sudo' }];
    await supervisor.connect();
    assert.deepEqual(supervisor.state, {
      kind: 'needs-privileges',
      title: 'needs privileges',
      message: 'the helper needs root',
      fix: 'allow sudo',
    });
    assert.deepEqual(clock.pending(), []);
  });

  it('forgets the backoff when the lost helper had been up a while', async () => {
    helper.failNext = Array(3).fill({ code: 'HELPER_UNAVAILABLE', message: 'down', retryable: true });
    await supervisor.connect();
    for (const ms of [1000, 2000, 4000]) {
      const settled = next(ms === 4000 ? 'connected' : 'disconnected');
      clock.advance(ms);
      await settled;
    }
    // Lost at once: the backoff goes on from where it was.
    let down = next('disconnected');
    helper.crash();
    assert.equal(((await down) as { retryInMs: number }).retryInMs, 8000);
    let up = next('connected');
    clock.advance(8000);
    await up;
    // Lost after being up longer than STABLE_MS: back to the first delay.
    clock.advance(STABLE_MS + 1);
    down = next('disconnected');
    helper.crash();
    assert.equal(((await down) as { retryInMs: number }).retryInMs, 1000);
    up = next('connected');
    clock.advance(1000);
    await up;
  });

  it('counts a helper that dies before answering hello once, not also as a lost helper', async () => {
    helper.dieBeforeHello = 2;
    await supervisor.connect();
    const first = supervisor.state;
    assert.ok(first.kind === 'disconnected' && /exited before answering: exit code 1/.test(first.message), JSON.stringify(first));
    assert.deepEqual(clock.pending(), [1000]);
    const settled = next('disconnected');
    clock.advance(1000);
    await settled;
    assert.deepEqual(clock.pending(), [2000]);
  });

  it('stops retrying once disposed', async () => {
    helper.failNext = [{ code: 'HELPER_UNAVAILABLE', message: 'down', retryable: true }];
    await supervisor.connect();
    assert.deepEqual(clock.pending(), [1000]);
    await supervisor.dispose();
    assert.deepEqual(clock.pending(), []);
    await supervisor.connect();
    assert.equal(helper.starts, 1);
  });
});

describe('helper client: a helper that goes away', () => {
  let helper: InProcessHelper;
  let client: HelperClient;

  beforeEach(() => {
    helper = new InProcessHelper();
    client = new HelperClient(helper);
  });

  afterEach(() => client.dispose());

  it('hello() right after the helper died starts a new helper, never answers with the dead one', async () => {
    assert.equal((await client.hello()).pid, 1001);
    helper.crash();
    assert.equal((await client.hello()).pid, 1002);
  });

  it('a request written after the pipe broke, before the exit is seen, fails with HELPER_EXITED', async () => {
    await client.hello();
    helper.breakPipe(50);
    await assert.rejects(client.listMaps(), (e: unknown) => {
      assert.ok(e instanceof HelperClientError, String(e));
      assert.equal(e.code, 'HELPER_EXITED');
      assert.match(e.message, /exited while a request was pending/);
      return true;
    });
    assert.equal((await client.hello()).pid, 1002);
  });
});
