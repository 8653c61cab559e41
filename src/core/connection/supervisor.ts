// The supervisor of one helper: starts it through its HelperClient (any transport: local, sudo,
// ssh), reports each state change (starting, connected, waiting for the user, disconnected), and
// restarts a helper that died, backing off with jitter while starts keep failing. A failure only
// the user can fix (ErrorData.retryable === false: ssh auth, host keys, a missing node or sudo
// rule; or PERMISSION) waits for retry() instead: retrying every 30 s changes nothing, and repeated
// failed logins can get the address banned (fail2ban). A helper that stayed up STABLE_MS resets
// the backoff. No vscode: the extension's targets, the CLI and tests use it alike; the clock and
// the randomness are injectable so the state machine is unit-tested with a fake clock.
import { Emitter, type Event } from 'vscode-jsonrpc';
import type { HelloResult } from '../../protocol/types';
import { HelperClientError, type HelperClient } from './client';

export type HelperState =
  | { kind: 'starting'; how?: string }
  | { kind: 'connected'; hello: HelloResult; how?: string }
  /** Waits for the user (no automatic retry): privileges, or SSH auth, host key, node, sudo... */
  | { kind: 'needs-privileges'; message: string; fix?: string; /** Default "needs privileges". */ title?: string }
  | { kind: 'disconnected'; message: string; retryInMs?: number };

export interface Backoff {
  /** Delay before the first retry. */
  firstMs: number;
  /** Cap of the doubling delay. */
  maxMs: number;
  /** Each delay is spread by ± this fraction, so that targets that failed together do not retry together. */
  jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { firstMs: 1000, maxMs: 30_000, jitter: 0.2 };
/** A helper that stayed up this long resets the backoff. */
export const STABLE_MS = 30_000;

/** Delay before retry `attempt` (0-based): firstMs, doubling up to maxMs, ± jitter. `random` in [0, 1). */
export function backoffDelayMs(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const d = Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(attempt, 30));
  return Math.round(d * (1 - backoff.jitter + random() * 2 * backoff.jitter));
}

export type StartFailureDecision =
  /** Show `title` with the message and fix, and a Retry action; no automatic retries. */
  { wait: true; title: string; message: string; fix?: string } | { wait: false; message: string };

/** Wait for the user, or retry with backoff? Decided by the error data, whatever the transport. */
export function decideStartFailure(e: unknown): StartFailureDecision {
  if (e instanceof HelperClientError && e.code === 'PERMISSION')
    return { wait: true, title: 'needs privileges', message: e.data.message, fix: e.data.fix };
  if (e instanceof HelperClientError && e.data.retryable === false)
    return { wait: true, title: 'needs attention', message: e.data.message, fix: e.data.fix };
  return { wait: false, message: (e as Error)?.message ?? String(e) };
}

/** Timers, for the retry schedule. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Where the supervisor reports (a VS Code LogOutputChannel fits). */
export interface SupervisorLog {
  info(message: string): void;
  warn(message: string): void;
}

export interface SupervisorOptions {
  /** Names the helper in messages ("This machine", "root@db"). */
  label: string;
  log?: SupervisorLog;
  backoff?: Backoff;
  clock?: Clock;
  random?: () => number;
}

export class HelperSupervisor {
  readonly label: string;
  private stateValue: HelperState = { kind: 'starting' };
  /** Failed starts (or quick losses) since the last reset: the backoff's exponent. */
  private failures = 0;
  private retryTimer: unknown;
  private connectedAt = 0;
  private connecting?: Promise<void>;
  private disposed = false;
  private readonly log?: SupervisorLog;
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly stateEmitter = new Emitter<HelperState>();
  private readonly subscriptions: { dispose(): void }[];

  /** Fires on every state change. */
  readonly onDidChangeState: Event<HelperState> = this.stateEmitter.event;

  constructor(
    readonly client: HelperClient,
    opts: SupervisorOptions,
  ) {
    this.label = opts.label;
    this.log = opts.log;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
    this.clock = opts.clock ?? systemClock;
    this.random = opts.random ?? Math.random;
    this.subscriptions = [
      client.onDidExit((why) => this.lost(`the helper exited: ${why}`)),
      client.onDidLog((p) => this.log?.[p.level](`${this.label}: ${p.message}`)),
    ];
  }

  get state(): HelperState {
    return this.stateValue;
  }

  get hello(): HelloResult | undefined {
    return this.stateValue.kind === 'connected' ? this.stateValue.hello : undefined;
  }

  /** Starts the helper unless it runs or is starting; resolves when the attempt is over. */
  connect(): Promise<void> {
    if (this.disposed || this.stateValue.kind === 'connected') return Promise.resolve();
    this.connecting ??= this.attempt();
    return this.connecting;
  }

  /** Retries now, forgetting the backoff (the "Retry" action). */
  retry(): Promise<void> {
    this.clock.clearTimeout(this.retryTimer);
    this.failures = 0;
    return this.connect();
  }

  /** The client of a running helper; starts one when needed and fails with the reason it cannot. */
  async ready(): Promise<HelperClient> {
    await this.connect();
    const s = this.stateValue;
    if (s.kind === 'connected') return this.client;
    const message =
      s.kind === 'starting'
        ? 'the helper is starting'
        : s.kind === 'needs-privileges'
          ? `${s.message}${s.fix ? ` — ${s.fix}` : ''}`
          : s.message;
    throw new Error(`${this.label}: ${message}`);
  }

  private async attempt(): Promise<void> {
    const how = this.client.transport.description;
    this.setState({ kind: 'starting', how });
    let outcome: { hello: HelloResult } | { error: unknown };
    try {
      outcome = { hello: await this.client.hello() };
    } catch (error) {
      outcome = { error };
    }
    // Over before anyone hears of it: a retry scheduled below may fire and start the next attempt.
    this.connecting = undefined;
    if (this.disposed) return;
    if ('hello' in outcome) {
      const { hello } = outcome;
      this.connectedAt = this.clock.now();
      this.log?.info(
        `${this.label}: helper ${hello.helperVersion} connected (${how}, pid ${hello.pid}), Linux ${hello.kernelRelease}, libbpf ${hello.libbpfVersion}`,
      );
      this.setState({ kind: 'connected', hello, how });
      return;
    }
    const d = decideStartFailure(outcome.error);
    if (d.wait) {
      this.clock.clearTimeout(this.retryTimer);
      this.log?.warn(`${this.label}: ${d.message}${d.fix ? ` — ${d.fix}` : ''}`);
      this.setState({ kind: 'needs-privileges', title: d.title, message: d.message, fix: d.fix });
      return;
    }
    this.scheduleRetry(`cannot start the helper: ${d.message}`);
  }

  private lost(why: string): void {
    if (this.disposed) return;
    this.log?.warn(`${this.label}: ${why}`);
    if (this.clock.now() - this.connectedAt > STABLE_MS) this.failures = 0;
    this.scheduleRetry(why);
  }

  private scheduleRetry(why: string): void {
    const wait = backoffDelayMs(this.failures++, this.backoff, this.random);
    this.log?.info(`${this.label}: ${why.split('\n')[0]}; retrying in ${(wait / 1000).toFixed(1)} s`);
    this.setState({ kind: 'disconnected', message: why, retryInMs: wait });
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => void this.connect(), wait);
  }

  private setState(state: HelperState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  /** Stops retrying and stops the helper (closing its stdin makes it unload what it loaded that is not pinned). */
  dispose(): Promise<void> {
    this.disposed = true;
    this.clock.clearTimeout(this.retryTimer);
    this.subscriptions.forEach((d) => d.dispose());
    this.stateEmitter.dispose();
    return this.client.dispose();
  }
}
