// The "Programs & Maps" tree: each target's TargetModel (core/maps/model.ts) drawn by a
// NodeRenderer (core/maps/render.ts), refreshed by one map.countAll per target per tick while the
// view is visible. The model says what changed: changed counts redraw their own nodes in place;
// added or removed maps and programs refresh the target's subtree (node ids are stable, so
// expansion and selection survive). Failures during a tick are logged, never shown as popups:
// maps come and go.
import * as vscode from 'vscode';
import { BuiltinCommand, Command, ContextKey } from './commands';
import type { Config } from './config';
import type { Ctx } from './ctx';
import type { Target, Targets } from './targets';
import type { MapCountAllCompactResult, MapCountAllResult } from '../protocol';
import { HelperClientError } from '../core/connection/client';
import type { Change, ModelNode } from '../core/maps/model';
import { NodeRenderer, type SnapshotNode } from '../core/maps/render';

interface TargetEntry {
  target: Target;
  renderer: NodeRenderer;
  subscriptions: { dispose(): void }[];
  ticks: number;
  running?: Promise<void>;
  /** The helper does not know map.countAll's `compact` param (an older helper on an SSH target). */
  fullCountsOnly?: boolean;
}

export const VIEW_ID = 'ebpfWorkbench.maps';
/** Without stats, programs that own no map are only found by prog.list: look every few ticks. */
const PROGRAM_SCAN_EVERY = 5;

export class MapsTree implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly models = new Map<string, TargetEntry>();
  private readonly changeEmitter = new vscode.EventEmitter<ModelNode | ModelNode[] | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly view: vscode.TreeView<ModelNode>;
  private timer?: NodeJS.Timeout;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly tickEmitter = new vscode.EventEmitter<string>();
  /** Fires with the target id after each completed tick (the CodeLens redraws). */
  readonly onDidTick = this.tickEmitter.event;

  constructor(
    private readonly targets: Targets,
    private readonly config: Config,
    private readonly media: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.view = vscode.window.createTreeView(VIEW_ID, { treeDataProvider: this, showCollapseAll: true });
    for (const t of targets.all()) this.track(t);
    this.subscriptions.push(
      this.view,
      targets.onDidChange(() => {
        for (const t of targets.all()) if (!this.models.has(t.id)) this.track(t);
        for (const [id, entry] of [...this.models]) {
          if (targets.get(id) === entry.target) continue;
          entry.subscriptions.forEach((d) => d.dispose());
          this.models.delete(id);
        }
        this.changeEmitter.fire(undefined);
      }),
      this.view.onDidChangeVisibility(() => this.schedule()),
      config.onDidChange(['maps.refreshInterval'], () => this.schedule()),
    );
    this.schedule();
  }

  private track(target: Target): void {
    const entry: TargetEntry = { target, renderer: new NodeRenderer(target.model), subscriptions: [], ticks: 0 };
    this.models.set(target.id, entry);
    entry.subscriptions.push(
      target.model.onDidChange((change) => this.apply(change)),
      target.onDidChangeState((s) => {
        if (s.kind !== 'connected') return;
        entry.ticks = 0;
        entry.fullCountsOnly = false; // a new helper may know `compact`
        if (this.view.visible) void this.tickTarget(target.id);
      }),
      // A load or unload: its maps and programs come or go from the inventory at once.
      target.model.onDidChangeObjects(() => {
        if (this.view.visible) void this.tickTarget(target.id, true);
      }),
    );
  }

  /** The target a node belongs to. */
  targetOf(node: ModelNode | undefined): Target | undefined {
    let n = node;
    while (n?.parent) n = n.parent;
    return n ? this.models.get(String(n.ref))?.target : this.targets.default;
  }

  // ---------- TreeDataProvider ----------

  getChildren(node?: ModelNode): ModelNode[] {
    if (!node) return [...this.models.values()].map((m) => m.target.model.root);
    return this.entryOf(node)?.target.model.children(node) ?? [];
  }

  getParent(node: ModelNode): ModelNode | undefined {
    return node.parent;
  }

  getTreeItem(node: ModelNode): vscode.TreeItem {
    const v = this.entryOf(node)!.renderer.view(node);
    const item = new vscode.TreeItem(
      v.label,
      v.collapsible === 'none'
        ? vscode.TreeItemCollapsibleState.None
        : v.collapsible === 'expanded'
          ? vscode.TreeItemCollapsibleState.Expanded
          : vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = node.key;
    item.description = v.description;
    // Costly tooltips (maps, programs) are built on hover, in resolveTreeItem: a tick that redraws
    // 1000 counts then costs 1000 short descriptions, not 1000 Markdown tables.
    if (typeof v.tooltip === 'string') item.tooltip = markdown(v.tooltip);
    item.contextValue = v.contextValue;
    if (v.icon?.startsWith('$')) item.iconPath = new vscode.ThemeIcon(v.icon.slice(1));
    else if (v.icon) item.iconPath = vscode.Uri.joinPath(this.media, `${v.icon}.svg`);
    if (node.kind === 'map') item.command = { command: Command.showMapContents, title: 'Show Contents', arguments: [node] };
    if (node.kind === 'message' && v.contextValue !== 'message')
      item.command = { command: Command.retryTarget, title: 'Retry', arguments: [String(this.targetOf(node)?.id)] };
    return item;
  }

  resolveTreeItem(item: vscode.TreeItem, node: ModelNode): vscode.TreeItem {
    const v = this.entryOf(node)?.renderer.view(node);
    if (typeof v?.tooltip === 'function') item.tooltip = markdown(v.tooltip());
    return item;
  }

  private entryOf(node: ModelNode): TargetEntry | undefined {
    let n = node;
    while (n.parent) n = n.parent;
    return this.models.get(String(n.ref));
  }

  // ---------- ticking ----------

  /** (Re)starts the timer: ticks only while the view is visible. */
  private schedule(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.view.visible) return;
    for (const t of this.targets.all()) void t.connect();
    this.timer = setInterval(() => void this.tick(), this.config.refreshIntervalMs);
    void this.tick();
  }

  /** One tick for every target; resolves when all answered. */
  async tick(): Promise<void> {
    await Promise.all([...this.models.keys()].map((id) => this.tickTarget(id)));
  }

  /** One map.countAll; map.list + prog.list only when the set of maps changed (or every few ticks
   *  for programs without maps, or every tick while BPF stats are on). */
  async tickTarget(id: string, forceInventory = false): Promise<void> {
    const entry = this.models.get(id);
    if (!entry) return;
    // A forced tick (after a load, a pin) waits for ticks in flight and then runs: the caller reads the model next.
    while (entry.running) {
      await entry.running;
      if (!forceInventory) return;
    }
    if (entry.target.state.kind !== 'connected') return;
    entry.running = this.runTick(entry, forceInventory).finally(() => {
      entry.running = undefined;
      this.tickEmitter.fire(id);
    });
    return entry.running;
  }

  private async runTick(entry: TargetEntry, forceInventory: boolean): Promise<void> {
    const { target } = entry;
    const model = target.model;
    try {
      const client = target.client;
      const counts = await this.countAll(entry);
      const now = Date.now();
      if (forceInventory || model.needsInventory(counts)) {
        const [maps, progs] = await Promise.all([client.listMaps(), client.listPrograms()]);
        model.applyInventory(maps, progs, now);
      } else if (model.statsEnabled || entry.ticks % PROGRAM_SCAN_EVERY === 0) {
        // Run statistics, and programs that use no map (countAll cannot reveal those).
        model.applyPrograms(await client.listPrograms(), now);
      }
      if ('ids' in counts) {
        model.applyCompactCounts(counts); // ring buffer positions included
      } else {
        model.applyCounts(counts);
        for (const rb of model.ownRingbufIds()) {
          const positions = await client.ringbuf(rb).catch(() => undefined);
          if (positions) model.applyRingbuf(rb, positions);
        }
      }
      entry.ticks++;
    } catch (e) {
      // A map that vanished mid-request or a helper that is restarting: the next tick sorts it out.
      this.log.debug(`${target.label}: refresh failed: ${(e as Error).message}`);
    }
  }

  /** The compact answer (a tenth of the bytes at 1000 maps); the full one from a helper that
   *  predates `compact` (it refuses unknown params). */
  private async countAll(entry: TargetEntry): Promise<MapCountAllResult | MapCountAllCompactResult> {
    const client = entry.target.client;
    if (!entry.fullCountsOnly) {
      try {
        return await client.countAllMapsCompact();
      } catch (e) {
        if (!(e instanceof HelperClientError && e.code === 'INVALID_PARAMS')) throw e;
        entry.fullCountsOnly = true;
      }
    }
    return client.countAllMaps();
  }

  private apply(change: Change): void {
    if (change.structure) this.changeEmitter.fire(change.nodes.length === 1 ? change.nodes[0] : undefined);
    else if (change.nodes.length) this.changeEmitter.fire(change.nodes);
  }

  async setStats(targetId: string | undefined, enable: boolean): Promise<void> {
    const target = targetId ? this.targets.get(targetId) : this.targets.default;
    if (!target) return;
    const client = await target.ready();
    const r = await client.enableStats(enable);
    this.log.info(`${target.label}: BPF stats ${r.enabled ? 'enabled' : 'disabled'}`);
    await vscode.commands.executeCommand(BuiltinCommand.setContext, ContextKey.statsEnabled, r.enabled);
    await this.tickTarget(target.id, true);
  }

  /** The tree as plain data (the API's tree.snapshot); `refresh`: connect and tick every target first. */
  async snapshot(opts: { refresh?: boolean } = {}): Promise<SnapshotNode[]> {
    if (opts.refresh !== false) {
      await Promise.all(this.targets.all().map((t) => t.connect()));
      await Promise.all(this.targets.all().map((t) => this.tickTarget(t.id, true)));
    }
    return [...this.models.values()].map((m) => m.renderer.snapshot());
  }

  nodeByKey(key: string): ModelNode | undefined {
    for (const m of this.models.values()) {
      const n = m.target.model.nodeByKey(key);
      if (n) return n;
    }
    return undefined;
  }

  isVisible(): boolean {
    return this.view.visible;
  }

  /** Selects and shows a node by its key (a snapshot's `key`), expanding its parents. */
  async reveal(key: string): Promise<boolean> {
    const node = this.nodeByKey(key);
    if (node) await this.view.reveal(node, { select: true, focus: false, expand: true });
    return !!node;
  }

  dispose(): void {
    clearInterval(this.timer);
    this.subscriptions.forEach((d) => d.dispose());
    for (const entry of this.models.values()) entry.subscriptions.forEach((d) => d.dispose());
    this.changeEmitter.dispose();
    this.tickEmitter.dispose();
  }
}

function markdown(text: string): vscode.MarkdownString {
  const tip = new vscode.MarkdownString(text);
  tip.supportThemeIcons = true;
  return tip;
}

export function activate(ctx: Ctx): void {
  const { tree } = ctx;
  ctx.registerCommand(Command.refreshTree, () => tree.tick());
  ctx.registerCommand(Command.enableStats, (node?: ModelNode) => tree.setStats(tree.targetOf(node)?.id, true));
  ctx.registerCommand(Command.disableStats, (node?: ModelNode) => tree.setStats(tree.targetOf(node)?.id, false));
}
