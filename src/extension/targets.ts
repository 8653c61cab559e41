// The machines whose programs and maps we show: one Target per helper. "This machine" starts the
// helper through core/connection/local.ts; SSH targets (core/connection/ssh.ts) add themselves with their own
// HelperTransport. A Target supervises its helper: it reports state changes (starting, connected,
// needs privileges or other user action, disconnected) and restarts a helper that died, backing off
// on repeated failures; failures only the user can fix (core/connection/startFailure.ts) wait for Retry.
import * as vscode from 'vscode';
import type { HelloResult, ObjectLoadResult } from '../protocol';
import type { HelperClient } from '../core/connection/client';
import { startLocalHelper } from '../core/connection/local';
import { Command } from './commands';
import type { Ctx } from './ctx';
import { decideStartFailure } from '../core/connection/startFailure';
import type { HelperState, LoadedObjectInfo } from '../core/maps/model';

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
/** A helper that stayed up this long resets the backoff. */
const STABLE_MS = 30_000;

export class Target implements vscode.Disposable {
  private stateValue: HelperState = { kind: 'starting' };
  private objects: LoadedObjectInfo[] = [];
  private retryMs = FIRST_RETRY_MS;
  private retryTimer?: NodeJS.Timeout;
  private connectedAt = 0;
  private connecting?: Promise<void>;
  private disposed = false;
  private readonly stateEmitter = new vscode.EventEmitter<HelperState>();
  private readonly objectsEmitter = new vscode.EventEmitter<readonly LoadedObjectInfo[]>();
  private readonly subscriptions: vscode.Disposable[] = [];

  /** Fires on every helper state change. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires when the objects this extension loaded on this target change (also when a restart drops them). */
  readonly onDidChangeObjects = this.objectsEmitter.event;

  constructor(
    /** Stable id, e.g. "local" or "ssh:user@host". */
    readonly id: string,
    readonly label: string,
    readonly client: HelperClient,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const exit = client.onDidExit((why) => this.lost(`the helper exited: ${why}`));
    const said = client.onDidLog((p) => this.log[p.level](`${this.label}: ${p.message}`));
    this.subscriptions.push(exit, said);
  }

  get state(): HelperState {
    return this.stateValue;
  }

  get hello(): HelloResult | undefined {
    return this.stateValue.kind === 'connected' ? this.stateValue.hello : undefined;
  }

  /** Objects loaded through this extension on this target, in load order. */
  get loadedObjects(): readonly LoadedObjectInfo[] {
    return this.objects;
  }

  /** Starts the helper unless it runs or is starting; resolves when the attempt is over. */
  connect(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.stateValue.kind === 'connected') return Promise.resolve();
    this.connecting ??= this.attempt().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Retries now, forgetting the backoff (the "Retry" action). */
  retry(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryMs = FIRST_RETRY_MS;
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

  addObject(result: ObjectLoadResult, objectPath: string, sourcePath?: string): LoadedObjectInfo {
    const info: LoadedObjectInfo = {
      handle: result.handle,
      objectPath,
      sourcePath,
      programs: result.programs,
      maps: result.maps,
      pinned: result.pinned,
    };
    this.objects = [...this.objects, info];
    this.objectsEmitter.fire(this.objects);
    return info;
  }

  removeObject(handle: number): void {
    this.objects = this.objects.filter((o) => o.handle !== handle);
    this.objectsEmitter.fire(this.objects);
  }

  private async attempt(): Promise<void> {
    this.setState({ kind: 'starting', how: this.client.transport.description });
    try {
      const hello = await this.client.hello();
      this.connectedAt = Date.now();
      this.log.info(
        `${this.label}: helper ${hello.helperVersion} connected (${this.client.transport.description}, pid ${hello.pid}), Linux ${hello.kernelRelease}, libbpf ${hello.libbpfVersion}`,
      );
      this.setState({ kind: 'connected', hello, how: this.client.transport.description });
    } catch (e) {
      const d = decideStartFailure(e);
      if (d.wait) {
        // Retrying cannot help until the user changes something: wait for "Retry".
        clearTimeout(this.retryTimer);
        this.log.warn(`${this.label}: ${d.message}${d.fix ? ` — ${d.fix}` : ''}`);
        this.setState({ kind: 'needs-privileges', title: d.title, message: d.message, fix: d.fix });
        return;
      }
      this.scheduleRetry(`cannot start the helper: ${d.message}`);
    }
  }

  private lost(why: string): void {
    if (this.disposed) return;
    this.log.warn(`${this.label}: ${why}`);
    if (this.objects.length) {
      this.log.warn(`${this.label}: ${this.objects.length} loaded object(s) went away with the helper (pinned maps and programs stay).`);
      this.objects = [];
      this.objectsEmitter.fire(this.objects);
    }
    if (Date.now() - this.connectedAt > STABLE_MS) this.retryMs = FIRST_RETRY_MS;
    this.scheduleRetry(why);
  }

  private scheduleRetry(why: string): void {
    if (this.disposed) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
    this.log.info(`${this.label}: ${why.split('\n')[0]}; retrying in ${wait / 1000} s`);
    this.setState({ kind: 'disconnected', message: why, retryInMs: wait });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), wait);
  }

  private setState(state: HelperState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.retryTimer);
    this.subscriptions.forEach((d) => d.dispose());
    this.stateEmitter.dispose();
    this.objectsEmitter.dispose();
    // Closing the helper's stdin makes it unload everything it loaded that is not pinned.
    void this.client.dispose();
  }
}

/** Every target the extension knows; "This machine" always exists (first). */
export class Targets implements vscode.Disposable {
  private readonly list: Target[] = [];
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** Fires when a target is added or removed. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    // The helper starts on first use (the tree becoming visible, a load), not at activation.
    this.createClientTarget('local', 'This machine', startLocalHelper());
  }

  all(): readonly Target[] {
    return this.list;
  }

  get(id: string): Target | undefined {
    return this.list.find((t) => t.id === id);
  }

  /** The target commands act on when none is given: for now the first (this machine). */
  get default(): Target {
    return this.list[0];
  }

  add(target: Target): Target {
    this.list.push(target);
    this.changeEmitter.fire();
    return target;
  }

  remove(id: string): void {
    const i = this.list.findIndex((t) => t.id === id);
    if (i < 0) return;
    const [t] = this.list.splice(i, 1);
    t.dispose();
    this.changeEmitter.fire();
  }

  createClientTarget(id: string, label: string, client: HelperClient): Target {
    return this.add(new Target(id, label, client, this.log));
  }

  dispose(): void {
    for (const t of this.list.splice(0)) t.dispose();
    this.changeEmitter.dispose();
  }
}

/** "Restart Helper" on a target (its tree node, its id, or the default one). */
export function activate(ctx: Ctx): void {
  ctx.registerCommand(Command.retryTarget, (arg?: { targetId?: string } | string) => {
    const id = typeof arg === 'string' ? arg : arg?.targetId;
    return (id ? ctx.targets.get(id) : ctx.targets.default)?.retry();
  });
}
