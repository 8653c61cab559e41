// The machines whose programs and maps we show: one Target per helper, "This machine" (its helper
// started through core/connection/local.ts) and the SSH hosts (sshTargets.ts adds them with their
// own transport). A Target pairs the vscode-free HelperSupervisor (core/connection/supervisor.ts:
// start, backoff, reconnect, state events) with the TargetModel (core/maps/model.ts) that holds
// what this extension loaded there and what the tree shows of the host.
import * as vscode from 'vscode';
import type { HelloResult } from '../protocol';
import type { HelperClient } from '../core/connection/client';
import { startLocalHelper } from '../core/connection/local';
import { HelperSupervisor, type HelperState } from '../core/connection/supervisor';
import { TargetModel } from '../core/maps/model';
import { Command } from './commands';
import type { Ctx } from './ctx';

export class Target implements vscode.Disposable {
  readonly supervisor: HelperSupervisor;
  /** What the tree shows of this target, and the one owner of the objects loaded on it. */
  readonly model: TargetModel;
  private readonly subscription: { dispose(): void };

  constructor(
    /** Stable id, e.g. "local" or "ssh:user@host". */
    readonly id: string,
    readonly label: string,
    client: HelperClient,
    log: vscode.LogOutputChannel,
  ) {
    this.supervisor = new HelperSupervisor(client, { label, log });
    this.model = new TargetModel(id, label);
    this.model.setState(this.supervisor.state);
    // The first listener: the model follows the helper before any feature hears of the change.
    this.subscription = this.supervisor.onDidChangeState((s) => {
      const lost = s.kind !== 'connected' ? this.model.loadedObjects.length : 0;
      if (lost) log.warn(`${label}: ${lost} loaded object(s) went away with the helper (pinned maps and programs stay).`);
      this.model.setState(s);
    });
  }

  /** Fires on every helper state change, after the model took it in. */
  get onDidChangeState(): vscode.Event<HelperState> {
    return this.supervisor.onDidChangeState;
  }

  get state(): HelperState {
    return this.supervisor.state;
  }

  get hello(): HelloResult | undefined {
    return this.supervisor.hello;
  }

  get client(): HelperClient {
    return this.supervisor.client;
  }

  /** Starts the helper unless it runs or is starting; resolves when the attempt is over. */
  connect(): Promise<void> {
    return this.supervisor.connect();
  }

  /** Retries now, forgetting the backoff (the "Retry" action). */
  retry(): Promise<void> {
    return this.supervisor.retry();
  }

  /** The client of a running helper; starts one when needed and fails with the reason it cannot. */
  ready(): Promise<HelperClient> {
    return this.supervisor.ready();
  }

  private readonly loads = new Map<Promise<unknown>, string>();

  /** Marks `p` as a load in progress (what: the object's name) until it settles. */
  trackLoad<T>(what: string, p: Promise<T>): Promise<T> {
    this.loads.set(p, what);
    void p.finally(() => this.loads.delete(p)).catch(() => undefined);
    return p;
  }

  /** Loads in progress on this target: commands that need their maps wait for them. */
  get pendingLoads(): { what: string; done: Promise<unknown> }[] {
    return [...this.loads].map(([done, what]) => ({ what, done: done.catch(() => undefined) }));
  }

  dispose(): void {
    this.subscription.dispose();
    // Closing the helper's stdin makes it unload everything it loaded that is not pinned.
    void this.supervisor.dispose();
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
