// "eBPF: Show Events": a live table of the records of a ring buffer or perf event array, consumed by
// the target's helper on request and decoded with the object's BTF: one column per field, newest
// first, pause/resume, filter, events/s, dropped and lost counts, export to JSON lines. The record
// type comes from the object's source (`sizeof(struct X)` in the bpf_ringbuf_* or
// bpf_perf_event_output call on the map), else the helper infers it, and the user can pick another
// struct of the object. Memory is bounded at every step: the helper sends one batch at a time,
// this side keeps the newest KEPT records, the page shows the newest SHOWN.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { EventRecord, EventsSubscribeResult, RecordType } from '../protocol';
import type { HelperSubscription } from '../core/connection/client';
import { inferRecordTypes } from '../core/btf/recordType';
import type { ModelNode } from '../core/maps/model';
import { Command } from './commands';
import type { Ctx } from './ctx';
import type { Target } from './targets';

const KEPT = 5000;
const SHOWN = 500;
const POST_MS = 200;

export interface EventsViewState {
  targetId: string;
  id: number;
  name: string;
  recordType?: string;
  fields: string[];
  /** Newest first: the rows the table shows (at most 50 here), as field → value. */
  rows: Record<string, unknown>[];
  received: number;
  dropped: number;
  lost: number;
  perSecond: number;
  paused: boolean;
  notes: string[];
  error?: string;
}

/** A record as one object: time, CPU, fields by name (or hex without a type). */
export function recordRow(r: EventRecord, type: RecordType | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = { time: new Date(r.time).toISOString() };
  if (r.cpu !== undefined) o.cpu = r.cpu;
  if (type && r.values) type.fields.forEach((f, i) => (o[f.name] = r.values![i]));
  if (r.hex !== undefined) o.hex = r.hex;
  return o;
}

class EventsPanel {
  private sub?: HelperSubscription<EventsSubscribeResult>;
  private type?: RecordType;
  private notes: string[] = [];
  private kept: EventRecord[] = [];
  private pending: EventRecord[] = [];
  private totals = { received: 0, dropped: 0, lost: 0 };
  private paused = false;
  private error?: string;
  private rate = 0;
  private lastReceived = 0;
  private candidates: { name: string; size: number }[] = [];
  /** Perf event arrays say which CPU wrote a record: one more column. */
  private perf = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly target: Target,
    readonly id: number,
    private readonly name: string,
    private readonly sourceType: string | undefined,
  ) {
    panel.webview.options = { enableScripts: true };
    panel.webview.html = page(panel.webview, `${name} (#${id}) on ${target.label}`);
    panel.webview.onDidReceiveMessage((m: { type: string; name?: string }) => {
      if (m.type === 'ready') this.post(true);
      if (m.type === 'pause') this.paused = true;
      if (m.type === 'resume') this.paused = false;
      if (m.type === 'clear') {
        this.kept = [];
        this.pending = [];
        this.post(true);
      }
      if (m.type === 'export') void this.export();
      if (m.type === 'setType' && m.name) void this.subscribe(m.name);
      if (m.type === 'pause' || m.type === 'resume') this.post(false);
    });
    panel.onDidDispose(() => void this.close());
    this.timers.push(
      setInterval(() => this.flush(), POST_MS),
      setInterval(() => {
        this.rate = this.totals.received - this.lastReceived;
        this.lastReceived = this.totals.received;
      }, 1000),
    );
  }

  /** (Re)subscribes with `type` (a struct name), else the source's type, else the helper's choice. */
  async subscribe(type?: string): Promise<void> {
    await this.sub?.dispose();
    this.sub = undefined;
    this.kept = [];
    this.pending = [];
    this.totals = { received: 0, dropped: 0, lost: 0 };
    this.lastReceived = 0;
    const want = type ?? this.sourceType;
    try {
      const client = await this.target.ready();
      const handlers = {
        onBatch: (b: import('../protocol').EventsBatch) => {
          if (b.recordType) this.type = b.recordType;
          this.totals = { received: b.received, dropped: b.dropped, lost: b.lost };
          if (this.paused) return;
          for (const r of b.records) this.pending.push(r);
          if (this.pending.length > SHOWN) this.pending.splice(0, this.pending.length - SHOWN);
          this.kept.push(...b.records);
          if (this.kept.length > KEPT) this.kept.splice(0, this.kept.length - KEPT);
        },
        onEnd: (why: string) => {
          this.sub = undefined;
          this.error = `${why}: the view stopped`;
          this.post(false);
        },
      };
      let sub: HelperSubscription<EventsSubscribeResult>;
      try {
        sub = await client.subscribeEvents({ id: this.id, ...(want ? { type: want } : {}) }, handlers);
      } catch (e) {
        // The source names a type the object's BTF lacks: let the helper explain and infer.
        if (!want || type) throw e;
        sub = await client.subscribeEvents({ id: this.id }, handlers);
      }
      this.sub = sub;
      this.type = sub.result.recordType;
      this.perf = sub.result.mapType === 'perf_event_array';
      this.notes = sub.result.notes;
      this.candidates = sub.result.candidates;
      this.error = undefined;
    } catch (e) {
      this.error = (e as Error).message;
    }
    this.post(true);
  }

  private flush(): void {
    if (this.pending.length === 0 && !this.dirtyStats()) return;
    this.post(false);
  }

  private lastStats = '';
  private dirtyStats(): boolean {
    return this.statsText() !== this.lastStats;
  }

  private statsText(): string {
    return JSON.stringify([this.totals, this.rate, this.paused]);
  }

  private post(reset: boolean): void {
    const rows = this.pending.map((r) => recordRow(r, this.type));
    this.pending = [];
    this.lastStats = this.statsText();
    void this.panel.webview.postMessage({
      type: reset ? 'init' : 'rows',
      fields: ['time', ...(this.perf ? ['cpu'] : []), ...(this.type ? this.type.fields.map((f) => f.name) : ['hex'])],
      recordType: this.type?.name,
      candidates: this.candidates.map((c) => `${c.name} (${c.size} bytes)`),
      notes: this.notes,
      error: this.error,
      rows: reset ? this.kept.slice(-SHOWN).map((r) => recordRow(r, this.type)) : rows,
      stats: { ...this.totals, perSecond: this.rate, paused: this.paused },
      shown: SHOWN,
    });
  }

  private async export(): Promise<void> {
    const uri = await vscode.window.showSaveDialog({
      filters: { 'JSON Lines': ['jsonl'] },
      defaultUri: vscode.Uri.file(`${this.name}-events.jsonl`),
      saveLabel: 'Export Events',
    });
    if (!uri) return;
    await this.exportTo(uri.fsPath);
    void vscode.window.showInformationMessage(`eBPF: exported ${this.kept.length} records of ${this.name} to ${uri.fsPath}.`);
  }

  /** Writes the kept records (the newest KEPT) as JSON lines. */
  async exportTo(file: string): Promise<number> {
    const lines = this.kept.map((r) => JSON.stringify(recordRow(r, this.type)));
    await fs.promises.writeFile(file, lines.join('\n') + (lines.length ? '\n' : ''));
    return lines.length;
  }

  state(): EventsViewState {
    return {
      targetId: this.target.id,
      id: this.id,
      name: this.name,
      recordType: this.type?.name,
      fields: this.type?.fields.map((f) => f.name) ?? ['hex'],
      rows: this.kept
        .slice(-50)
        .reverse()
        .map((r) => recordRow(r, this.type)),
      ...this.totals,
      perSecond: this.rate,
      paused: this.paused,
      notes: this.notes,
      error: this.error,
    };
  }

  async close(): Promise<void> {
    this.timers.forEach(clearInterval);
    const s = this.sub;
    this.sub = undefined;
    await s?.dispose();
  }
}

export interface EventsViews {
  state(targetId: string, id: number): EventsViewState | undefined;
  exportTo(targetId: string, id: number, file: string): Promise<number>;
  pause(targetId: string, id: number, paused: boolean): void;
}

type Arg = ModelNode | { targetId?: string; id: number; type?: string } | undefined;

export function activate(ctx: Ctx): EventsViews {
  const panels = new Map<string, EventsPanel>();

  /** The struct the map's source reserves or outputs, when this workspace loaded the map. */
  const sourceTypeOf = (target: Target, id: number): { name: string; type?: string } | undefined => {
    for (const o of target.model.loadedObjects) {
      const m = o.maps.find((x) => x.id === id);
      if (!m) continue;
      let type: string | undefined;
      try {
        if (o.sourcePath) type = inferRecordTypes(fs.readFileSync(o.sourcePath, 'utf8'), m.name)[0];
      } catch {
        /* the source moved: the helper infers from BTF */
      }
      return { name: m.name, type };
    }
    return undefined;
  };

  const show = async (arg?: Arg): Promise<EventsViewState | undefined> => {
    let target: Target | undefined;
    let id: number | undefined;
    let type: string | undefined;
    if (arg && 'kind' in arg) {
      if (arg.kind !== 'map') return undefined;
      target = ctx.tree.targetOf(arg);
      id = arg.ref as number;
    } else if (arg) {
      target = arg.targetId ? ctx.targets.get(arg.targetId) : ctx.targets.default;
      id = arg.id;
      type = arg.type;
    } else {
      const picked = await pickEventMap(ctx);
      if (!picked) return undefined;
      ({ target, id } = picked);
    }
    if (!target || id === undefined) return undefined;
    const key = `${target.id}/${id}`;
    let p = panels.get(key);
    if (!p) {
      const known = sourceTypeOf(target, id);
      const name = known?.name ?? target.model.mapName(id) ?? `map ${id}`;
      const panel = vscode.window.createWebviewPanel('ebpfWorkbench.events', `Events: ${name}`, vscode.ViewColumn.Active, {
        enableScripts: true,
        retainContextWhenHidden: true,
      });
      panel.iconPath = ctx.media('map-ringbuf.svg');
      p = new EventsPanel(panel, target, id, name, known?.type);
      panels.set(key, p);
      panel.onDidDispose(() => panels.delete(key));
      await p.subscribe(type);
    } else {
      p.panel.reveal();
      if (type) await p.subscribe(type);
    }
    return p.state();
  };
  ctx.registerCommand(Command.showEvents, show);
  ctx.subscriptions.push({ dispose: () => [...panels.values()].forEach((p) => p.panel.dispose()) });
  return {
    state: (t, id) => panels.get(`${t}/${id}`)?.state(),
    exportTo: (t, id, file) => panels.get(`${t}/${id}`)?.exportTo(file) ?? Promise.resolve(0),
    pause: (t, id, paused) => void panels.get(`${t}/${id}`)?.panel.webview.postMessage({ type: 'control', paused }),
  };
}

/** Ring buffers and perf event arrays of the targets, this workspace's first. */
async function pickEventMap(ctx: Ctx): Promise<{ target: Target; id: number } | undefined> {
  type Item = vscode.QuickPickItem & { target: Target; id: number };
  const items: Item[] = [];
  for (const target of ctx.targets.all()) {
    if (target.state.kind !== 'connected') continue;
    const ours = new Set(target.model.loadedObjects.flatMap((o) => o.maps.map((m) => m.id)));
    const maps = (await target.client.listMaps()).maps.filter((m) => m.typeName === 'ringbuf' || m.typeName === 'perf_event_array');
    for (const m of maps.sort((a, b) => Number(ours.has(b.id)) - Number(ours.has(a.id)) || a.id - b.id)) {
      items.push({
        label: `${ours.has(m.id) ? '$(star-full) ' : ''}${m.name}`,
        description: `#${m.id} · ${m.typeName}`,
        detail: ctx.targets.all().length > 1 ? target.label : undefined,
        target,
        id: m.id,
      });
    }
  }
  if (items.length === 0) {
    void vscode.window.showInformationMessage('eBPF: no ring buffer or perf event array is loaded (load an object that has one).');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, {
    placeHolder: 'Ring buffer or perf event array to watch',
    matchOnDescription: true,
  });
  return pick && { target: pick.target, id: pick.id };
}

function page(webview: vscode.Webview, title: string): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
  header { position: sticky; top: 0; background: var(--vscode-editor-background); padding: 8px 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; z-index: 1; }
  h1 { font-size: 1.1em; margin: 0 8px 0 0; font-weight: 600; }
  input, select { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 3px 6px; }
  input { min-width: 14em; }
  button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; }
  button:hover { background: var(--vscode-button-hoverBackground); }
  .stats { color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
  .stats b { color: var(--vscode-foreground); font-weight: 600; }
  .warn { color: var(--vscode-editorWarning-foreground); }
  #error { color: var(--vscode-errorForeground); }
  #notes { color: var(--vscode-descriptionForeground); margin: 0 0 6px; padding-left: 1.2em; }
  table { border-collapse: collapse; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
  th, td { text-align: left; padding: 3px 12px; border-bottom: 1px solid var(--vscode-panel-border); white-space: nowrap; }
  th { font-weight: 600; position: sticky; top: 44px; background: var(--vscode-editor-background); }
  td.n { text-align: right; }
  tr:hover td { background: var(--vscode-list-hoverBackground); }
  tr.fresh td { background: var(--vscode-editor-findMatchHighlightBackground); transition: background 1s; }
</style></head>
<body>
<header>
  <h1>${esc(title)}</h1>
  <button id="pause" title="Stop adding rows (records keep being counted)">Pause</button>
  <input id="filter" placeholder="Filter rows (text in any field)" aria-label="Filter">
  <label>Type <select id="type" title="The struct the records are decoded as"></select></label>
  <button id="export" title="Save the newest records as JSON lines">Export JSON Lines</button>
  <button id="clear">Clear</button>
  <span class="stats" id="stats"></span>
</header>
<ul id="notes"></ul><div id="error"></div>
<table><thead id="head"></thead><tbody id="body"></tbody></table>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const $ = (id) => document.getElementById(id);
  let fields = [], rows = [], shown = 500, paused = false, numeric = new Set();
  const fmt = (n) => n.toLocaleString('en-US');
  const text = (v) => v === null || v === undefined ? '' : Array.isArray(v) ? JSON.stringify(v) : String(v);
  function header() {
    $('head').innerHTML = '';
    const tr = document.createElement('tr');
    for (const f of fields) { const th = document.createElement('th'); th.textContent = f; tr.appendChild(th); }
    $('head').appendChild(tr);
  }
  function rowEl(r, fresh) {
    const tr = document.createElement('tr');
    if (fresh) tr.className = 'fresh';
    for (const f of fields) {
      const td = document.createElement('td');
      const v = r[f];
      td.textContent = f === 'time' && typeof v === 'string' ? v.slice(11, 23) : text(v);
      if (typeof v === 'number') td.className = 'n';
      tr.appendChild(td);
    }
    return tr;
  }
  function matches(r) {
    const f = $('filter').value.toLowerCase();
    return !f || fields.some((k) => text(r[k]).toLowerCase().includes(f));
  }
  function renderAll() {
    const body = $('body'); body.innerHTML = '';
    for (let i = rows.length - 1; i >= 0; i--) if (matches(rows[i])) body.appendChild(rowEl(rows[i], false));
  }
  function prepend(newRows) {
    const body = $('body');
    for (const r of newRows) if (matches(r)) body.insertBefore(rowEl(r, true), body.firstChild);
    while (body.children.length > shown) body.removeChild(body.lastChild);
    setTimeout(() => { for (const tr of body.querySelectorAll('tr.fresh')) tr.className = ''; }, 50);
  }
  function stats(s) {
    paused = s.paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    $('stats').innerHTML = '<b>' + fmt(s.perSecond) + '</b> events/s · ' + fmt(s.received) + ' received · ' +
      '<span class="' + (s.dropped ? 'warn' : '') + '">' + fmt(s.dropped) + ' dropped</span> · ' +
      '<span class="' + (s.lost ? 'warn' : '') + '">' + fmt(s.lost) + ' lost</span>' + (paused ? ' · paused' : '');
    $('stats').title = 'dropped: consumed by the helper but not shown because the view could not keep up; lost: the kernel could not write them (perf buffer full)';
  }
  window.addEventListener('message', (e) => {
    const m = e.data;
    if (m.type === 'control') { vscode.postMessage({ type: m.paused ? 'pause' : 'resume' }); return; }
    if (m.type === 'init') {
      fields = m.fields; shown = m.shown; rows = m.rows;
      $('notes').innerHTML = '';
      for (const n of m.notes) { const li = document.createElement('li'); li.textContent = n; $('notes').appendChild(li); }
      $('error').textContent = m.error || '';
      const sel = $('type'); sel.innerHTML = '';
      const opts = m.recordType ? [m.recordType] : ['(hex)'];
      for (const c of m.candidates) if (!c.startsWith(m.recordType + ' (')) opts.push(c);
      for (const o of opts) { const op = document.createElement('option'); op.textContent = o; op.value = o.replace(/ \\(\\d+ bytes\\)$/, ''); sel.appendChild(op); }
      header(); renderAll(); stats(m.stats);
      return;
    }
    if (m.type === 'rows') {
      if (m.error) $('error').textContent = m.error;
      if (m.fields.join() !== fields.join()) { fields = m.fields; header(); }
      rows.push(...m.rows);
      if (rows.length > shown) rows.splice(0, rows.length - shown);
      prepend(m.rows);
      stats(m.stats);
    }
  });
  $('pause').addEventListener('click', () => vscode.postMessage({ type: paused ? 'resume' : 'pause' }));
  $('filter').addEventListener('input', renderAll);
  $('export').addEventListener('click', () => vscode.postMessage({ type: 'export' }));
  $('clear').addEventListener('click', () => { rows = []; renderAll(); vscode.postMessage({ type: 'clear' }); });
  $('type').addEventListener('change', () => { const v = $('type').value; if (v !== '(hex)') vscode.postMessage({ type: 'setType', name: v }); });
  vscode.postMessage({ type: 'ready' });
</script>
</body></html>`;
}
