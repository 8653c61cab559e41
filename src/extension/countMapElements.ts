// "eBPF: Count Map Elements": pick a map (the one defined under the cursor is preselected), count it
// with the fastest exact method, and say how and how long it took. "Compare All Methods" counts it
// with every method the helper knows and shows them side by side. Returns its result, so tests
// (and other extensions) can run it through executeCommand with a map id.
import * as vscode from 'vscode';
import { COUNT_METHODS, CountMethod, MapCountResult } from '../protocol';
import type { Target, Targets } from './targets';
import { HelperClientError } from '../core/connection/client';
import { findMapDefinitions, kernelName, loadedMapFor } from './mapCodeLens';
import { formatInt, formatMicros, mapDescription, methodText } from '../core/maps/format';
import type { ModelNode } from '../core/maps/model';
import type { MapsTree } from './mapsTree';
import { Command } from './commands';
import type { Ctx } from './ctx';

export interface MethodResult {
  method: CountMethod;
  count?: number;
  exact?: boolean;
  /** Helper-side time. */
  micros?: number;
  /** Why this method does not apply to this map. */
  error?: string;
}

export interface CountMapElementsResult extends MapCountResult {
  targetId: string;
  /** Extension-side time including the helper round trip. */
  roundTripMs: number;
  /** Present after "Compare All Methods". */
  compare?: MethodResult[];
}

/** What the command accepts: a tree node, a map id, or { id, targetId?, compare?, interactive? }. */
type Arg = ModelNode | number | { id: number; targetId?: string; compare?: boolean; interactive?: boolean } | undefined;

export function activate(ctx: Ctx): void {
  // One panel for comparisons, reused: a comparison is a glance, not a document to keep.
  let panel: vscode.WebviewPanel | undefined;
  const counter = new Counter(ctx.targets, ctx.tree, (title, html) => {
    if (!panel) {
      panel = vscode.window.createWebviewPanel('ebpfWorkbench.countCompare', title, vscode.ViewColumn.Active, {});
      panel.onDidDispose(() => (panel = undefined));
    }
    panel.title = title;
    panel.webview.html = html;
    panel.reveal();
  });
  ctx.registerCommand(Command.countMapElements, (arg?: Arg) => counter.run(arg));
  ctx.subscriptions.push({ dispose: () => panel?.dispose() });
}

class Counter {
  constructor(
    private readonly targets: Targets,
    private readonly tree: MapsTree,
    private readonly showTable: (title: string, html: string) => void,
  ) {}

  async run(arg: Arg): Promise<CountMapElementsResult | undefined> {
    // A bare id or { id } from code: answer without UI. A tree node or the CodeLens: show the result.
    let target: Target | undefined;
    let id: number | undefined;
    let interactive = true;
    let compare = false;
    if (typeof arg === 'number') {
      target = this.targets.default;
      id = arg;
      interactive = false;
    } else if (arg && 'kind' in arg) {
      target = this.tree.targetOf(arg);
      id = arg.kind === 'map' ? (arg.ref as number) : undefined;
    } else if (arg && 'id' in arg) {
      target = arg.targetId ? this.targets.get(arg.targetId) : this.targets.default;
      id = arg.id;
      compare = !!arg.compare;
      interactive = !!arg.interactive;
    }
    if (id === undefined) {
      const picked = await this.pick();
      if (!picked) return undefined;
      ({ target, id } = picked);
    }
    if (!target) throw new Error(`eBPF: no target ${typeof arg === 'object' && arg && 'targetId' in arg ? arg.targetId : ''}`);

    let result: CountMapElementsResult;
    try {
      result = await this.count(target, id);
      if (compare) result.compare = await this.compare(target, id);
    } catch (e) {
      if (!interactive) throw e;
      const gone = e instanceof HelperClientError && (e.code === 'NO_SUCH_MAP' || e.code === 'MAP_GONE');
      void vscode.window.showWarningMessage(
        gone ? `eBPF: map ${id} no longer exists.` : `eBPF: counting map ${id} failed: ${(e as Error).message}`,
      );
      return undefined;
    }
    if (interactive && result.compare) this.showTable(`Count methods: ${result.name}`, compareHtml(result, result.compare));
    else if (interactive) void this.present(target, result);
    return result;
  }

  private async count(target: Target, id: number, method?: CountMethod): Promise<CountMapElementsResult> {
    const client = await target.ready();
    const t0 = performance.now();
    const r = await client.countMap(method ? { id, method } : { id });
    const roundTripMs = performance.now() - t0;
    if (!method) target.model.applyCount(r);
    const name = target.model.loadedObjects.flatMap((o) => o.maps).find((m) => m.id === r.id)?.name ?? r.name;
    return { ...r, name, targetId: target.id, roundTripMs };
  }

  private async compare(target: Target, id: number): Promise<MethodResult[]> {
    const out: MethodResult[] = [];
    for (const method of COUNT_METHODS) {
      try {
        const r = await this.count(target, id, method);
        out.push({ method, count: r.count, exact: r.exact, micros: r.micros });
      } catch (e) {
        out.push({ method, error: e instanceof HelperClientError ? e.data.message : (e as Error).message });
      }
    }
    return out;
  }

  private async present(target: Target, r: CountMapElementsResult): Promise<void> {
    const how = `${r.exact ? 'exact' : 'walked, may drift while the map changes'}, ${r.method}, ${formatMicros(r.micros)} in the helper (${r.roundTripMs.toFixed(1)} ms round trip)`;
    const choice = await vscode.window.showInformationMessage(
      `${r.name} (#${r.id}, ${r.typeName}): ${formatInt(r.count)} of ${formatInt(r.maxEntries)} elements — ${how}.`,
      'Compare All Methods',
    );
    if (choice !== 'Compare All Methods') return;
    const rows = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `eBPF: counting ${r.name} with every method` },
      () => this.compare(target, r.id),
    );
    this.showTable(`Count methods: ${r.name}`, compareHtml(r, rows));
  }

  /** Quick pick of the maps on the targets: the one under the cursor first, then the active file's maps. */
  private async pick(): Promise<{ target: Target; id: number } | undefined> {
    const loading = this.targets.all().flatMap((t) => t.pendingLoads);
    if (loading.length) {
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `eBPF: waiting for the load of ${loading.map((l) => l.what).join(', ')} to finish`,
        },
        () => Promise.all(loading.map((l) => l.done)),
      );
    }
    const atCursor = this.mapAtCursor();
    const active = this.activeFileMaps();
    type Item = vscode.QuickPickItem & { target: Target; id: number };
    const items: Item[] = [];
    for (const target of this.targets.all()) {
      if (target.state.kind !== 'connected') continue;
      let maps = target.model.allMaps();
      if (maps.length === 0 || !maps.some((m) => m.summary)) {
        maps = (await target.client.listMaps()).maps.map((s) => ({
          id: s.id,
          name: s.name,
          typeName: s.typeName,
          maxEntries: s.maxEntries,
          summary: s,
        }));
      }
      for (const m of maps.sort((a, b) => a.id - b.id)) {
        const ours = target.model.loadedObjects.some((o) => o.maps.some((x) => x.id === m.id));
        items.push({
          label: `${ours ? '$(star-full) ' : ''}${m.name || '(no name)'}`,
          description: `#${m.id} · ${m.typeName} · ${mapDescription(m.typeName, m.maxEntries, m.count)}`,
          detail: this.targets.all().length > 1 ? target.label : undefined,
          target,
          id: m.id,
        });
      }
    }
    if (items.length === 0) {
      await Promise.all(this.targets.all().map((t) => t.connect()));
      void vscode.window.showInformationMessage('eBPF: no maps found (is the helper running? see the Programs & Maps view).');
      return undefined;
    }
    // Preselect by putting the map under the cursor first, then the maps of the active file's object:
    // the quick pick highlights the first item.
    const rank = (x: Item) =>
      atCursor && x.target.id === atCursor.targetId && x.id === atCursor.id ? 0 : active.has(`${x.target.id}/${x.id}`) ? 1 : 2;
    items.sort((a, b) => rank(a) - rank(b));
    const picked = await vscode.window.showQuickPick(items, {
      placeHolder: 'Map to count (search by name, id or type)',
      matchOnDescription: true,
    });
    return picked && { target: picked.target, id: picked.id };
  }

  /** Maps of the objects this workspace loaded from the active editor's file ("target/id"). */
  private activeFileMaps(): Set<string> {
    const file = vscode.window.activeTextEditor?.document.fileName;
    const out = new Set<string>();
    if (!file) return out;
    for (const t of this.targets.all())
      for (const o of t.model.loadedObjects)
        if (o.sourcePath === file || o.objectPath === file) for (const m of o.maps) out.add(`${t.id}/${m.id}`);
    return out;
  }

  private mapAtCursor(): { targetId: string; id: number } | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !editor.document.fileName.endsWith('.bpf.c')) return undefined;
    const line = editor.selection.active.line;
    const def = findMapDefinitions(editor.document.getText()).find((d) => line >= d.startLine && line <= d.endLine);
    if (!def) return undefined;
    const loaded = loadedMapFor(this.targets, editor.document.fileName, def.name);
    if (loaded) return loaded;
    // Not loaded by us: a map with that name elsewhere on the host.
    for (const t of this.targets.all()) {
      const m = t.model.allMaps().find((x) => x.name === kernelName(def.name));
      if (m) return { targetId: t.id, id: m.id };
    }
    return undefined;
  }
}

const esc = (t: string) => t.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The comparison as a small HTML page (no scripts) that follows the theme. */
export function compareHtml(r: CountMapElementsResult, rows: MethodResult[]): string {
  const body = rows
    .map((x) =>
      x.error
        ? `<tr class="na"><td>${esc(x.method)}</td><td>—</td><td>—</td><td>—</td><td>not available: ${esc(x.error)}</td></tr>`
        : `<tr${x.method === r.method ? ' class="default"' : ''}><td>${esc(x.method)}${x.method === r.method ? ' (default)' : ''}</td><td class="n">${formatInt(x.count!)}</td>` +
          `<td>${x.exact ? 'yes' : 'no'}</td><td class="n">${formatMicros(x.micros!)}</td><td>${esc(methodText(x.method))}</td></tr>`,
    )
    .join('\n');
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';">
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 8px 16px; }
  h1 { font-size: 1.2em; font-weight: 600; }
  table { border-collapse: collapse; }
  th, td { text-align: left; padding: 4px 12px; border-bottom: 1px solid var(--vscode-panel-border); }
  td.n { text-align: right; font-family: var(--vscode-editor-font-family); }
  tr.default td { font-weight: 600; }
  tr.na td { color: var(--vscode-descriptionForeground); }
  p { color: var(--vscode-descriptionForeground); }
</style></head><body>
<h1>${esc(r.name)} — map #${r.id}, ${esc(r.typeName)}, max ${formatInt(r.maxEntries)} entries</h1>
<table><thead><tr><th>Method</th><th>Count</th><th>Exact under churn</th><th>Helper time</th><th>How</th></tr></thead>
<tbody>${body}</tbody></table>
<p>The default is the fastest method that stays exact while programs change the map.</p>
</body></html>`;
}
