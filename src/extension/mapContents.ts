// "Show Contents": a webview table of a map's entries, one page at a time (the first page comes
// fast even for a 1M-element map), keys and values as the helper's BTF-formatted text when the map
// has BTF, hex otherwise, per-CPU values in one column per CPU. Refresh re-reads the first page;
// the filter narrows the loaded rows. Entries are edited through mapEditing.ts (form typed by BTF).
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { MapEntry } from '../protocol';
import type { Target } from './targets';
import type { ModelNode } from '../core/maps/model';
import { Command } from './commands';
import type { Ctx } from './ctx';
import {
  EDIT_MESSAGES,
  MapEditor,
  editorMarkup,
  editorScript,
  editorStyle,
  pageShape,
  type EditMessage,
  type EditOutcome,
} from './mapEditing';

const PAGE = 200;

export interface ContentsRow {
  key: string;
  /** The stored key, base64 (what Edit and Delete send back). */
  rawKey?: string;
  /** One value, or one per CPU for per-CPU maps. */
  values: string[];
  decoded: boolean;
}

/** What the panel shows, returned by the command (tests read it). */
export interface ContentsSnapshot {
  targetId: string;
  id: number;
  name: string;
  typeName: string;
  rows: ContentsRow[];
  more: boolean;
  method?: string;
  error?: string;
}

export function hex(b64: string): string {
  return Buffer.from(b64, 'base64')
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
}

/** Splits "[a, {b, c}, d]" into its top-level items (per-CPU values formatted as one list). */
export function splitTopLevel(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[') || !t.endsWith(']')) return undefined;
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of t.slice(1, -1)) {
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    if (ch === '}' || ch === ']' || ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function toRow(e: MapEntry): ContentsRow {
  const key = e.keyText ?? hex(e.key);
  if (e.values) {
    const decoded = e.valueText ? splitTopLevel(e.valueText) : undefined;
    const ok = decoded && decoded.length === e.values.length;
    return { key, rawKey: e.key, values: ok ? decoded : e.values.map(hex), decoded: !!e.keyText || !!ok };
  }
  return {
    key,
    rawKey: e.key,
    values: [e.valueText ?? (e.value !== undefined ? hex(e.value) : '')],
    decoded: e.keyText !== undefined || e.valueText !== undefined,
  };
}

class ContentsPanel {
  private rows: ContentsRow[] = [];
  private cursor?: string;
  private method?: string;
  private error?: string;
  private loading?: Promise<void>;
  private last?: object;
  readonly editor: MapEditor;
  private shape?: object;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly target: Target,
    readonly id: number,
    private readonly name: string,
    private readonly typeName: string,
  ) {
    panel.webview.options = { enableScripts: true };
    panel.webview.html = html(panel.webview, `${name} (#${id}, ${typeName})`);
    this.editor = new MapEditor(target, id, name);
    panel.webview.onDidReceiveMessage((m: { type: string }) => {
      if (m.type === 'refresh') void this.load(true);
      if (m.type === 'more') void this.load(false);
      // The first page can arrive before the page's script listens: send it again when it asks.
      if (m.type === 'ready' && this.shape) void panel.webview.postMessage(this.shape);
      if (m.type === 'ready' && this.last) void panel.webview.postMessage(this.last);
      if (EDIT_MESSAGES.has(m.type)) void this.edit(m as EditMessage);
    });
    void this.editor.form().then((f) => {
      if (!f) return;
      this.shape = { type: 'shape', shape: pageShape(f, /array/.test(typeName)) };
      void panel.webview.postMessage(this.shape);
    });
  }

  /** One change from the page (or a test): runs it, tells the page, and reloads the first page. */
  async edit(m: EditMessage): Promise<EditOutcome> {
    const outcome = await this.editor.handle(m);
    void this.panel.webview.postMessage({ type: 'edited', request: m.type, outcome });
    if (outcome.ok && m.type !== 'edit' && m.type !== 'peek') await this.load(true);
    return outcome;
  }

  /** Reads the first page again (reset) or the next one. */
  load(reset: boolean): Promise<void> {
    this.loading ??= this.read(reset).finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async read(reset: boolean): Promise<void> {
    if (!reset && !this.cursor) return;
    const t0 = performance.now();
    try {
      const client = await this.target.ready();
      const page = await client.mapEntries({ id: this.id, limit: PAGE, ...(reset ? {} : { cursor: this.cursor }) });
      const rows = page.entries.map(toRow);
      this.rows = reset ? rows : [...this.rows, ...rows];
      this.cursor = page.cursor;
      this.method = page.method;
      this.error = undefined;
    } catch (e) {
      this.error = (e as Error).message;
      if (reset) this.rows = [];
    }
    const ms = performance.now() - t0;
    this.last = {
      type: 'rows',
      rows: this.rows,
      more: !!this.cursor,
      error: this.error,
      status: this.error
        ? ''
        : `${this.rows.length} entries loaded${this.cursor ? ' (more available)' : ''} · ${this.method === 'batch' ? 'batch lookup' : 'key walk'} · page read in ${ms.toFixed(1)} ms`,
    };
    void this.panel.webview.postMessage(this.last);
  }

  snapshot(): ContentsSnapshot {
    return {
      targetId: this.target.id,
      id: this.id,
      name: this.name,
      typeName: this.typeName,
      rows: this.rows,
      more: !!this.cursor,
      method: this.method,
      error: this.error,
    };
  }
}

export interface MapContentsApi {
  /** Sends a Show Contents panel the message its page would send (Edit, Save, Delete, ...). */
  edit(targetId: string, id: number, m: EditMessage): Promise<EditOutcome | undefined>;
}

export function activate(ctx: Ctx): MapContentsApi {
  const { targets, tree } = ctx;
  const panels = new Map<string, ContentsPanel>();
  const show = async (arg?: ModelNode | { targetId: string; id: number }): Promise<ContentsSnapshot | undefined> => {
    if (!arg) {
      void vscode.window.showInformationMessage('eBPF: choose a map in the Programs & Maps view to see its contents.');
      return undefined;
    }
    let target: Target | undefined;
    let id: number;
    if ('kind' in arg) {
      if (arg.kind !== 'map') return undefined;
      target = tree.targetOf(arg);
      id = arg.ref as number;
    } else {
      target = targets.get(arg.targetId);
      id = arg.id;
    }
    if (!target) return undefined;
    const key = `${target.id}/${id}`;
    let p = panels.get(key);
    if (p) {
      p.panel.reveal();
      await p.load(true);
      return p.snapshot();
    }
    const m = target.model.map(id);
    const name = target.model.mapName(id);
    const typeName = m?.summary?.typeName ?? m?.count?.typeName ?? '';
    const panel = vscode.window.createWebviewPanel('ebpfWorkbench.mapContents', `${name} (#${id})`, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
    });
    panel.iconPath = ctx.media('map-hash.svg');
    p = new ContentsPanel(panel, target, id, name, typeName);
    panels.set(key, p);
    panel.onDidDispose(() => panels.delete(key));
    await p.load(true);
    return p.snapshot();
  };
  ctx.registerCommand(Command.showMapContents, show);
  ctx.subscriptions.push({ dispose: () => [...panels.values()].forEach((p) => p.panel.dispose()) });
  return { edit: async (targetId, id, m) => panels.get(`${targetId}/${id}`)?.edit(m) };
}

function html(webview: vscode.Webview, title: string): string {
  const nonce = crypto.randomBytes(16).toString('base64');
  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 12px; }
  header { position: sticky; top: 0; background: var(--vscode-editor-background); padding: 8px 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  h1 { font-size: 1.1em; margin: 0 8px 0 0; font-weight: 600; }
  input { background: var(--vscode-input-background); color: var(--vscode-input-foreground); border: 1px solid var(--vscode-input-border, transparent); padding: 3px 6px; min-width: 16em; }
  button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 10px; cursor: pointer; }
  button:hover { background: var(--vscode-button-hoverBackground); }
  button:disabled { opacity: .5; cursor: default; }
  #status { color: var(--vscode-descriptionForeground); }
  #error { color: var(--vscode-errorForeground); }
  table { border-collapse: collapse; width: 100%; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
  th { text-align: left; font-weight: 600; border-bottom: 1px solid var(--vscode-panel-border); padding: 4px 8px; position: sticky; top: 40px; background: var(--vscode-editor-background); }
  td { padding: 2px 8px; border-bottom: 1px solid var(--vscode-editorGroup-border, transparent); white-space: pre-wrap; vertical-align: top; }
  tr:hover td { background: var(--vscode-list-hoverBackground); }
${editorStyle}
</style></head>
<body>
<header>
  <h1>${esc(title)}</h1>
  <button id="refresh" title="Read the first page again">Refresh</button>
  <input id="filter" placeholder="Filter loaded entries" aria-label="Filter">
  <button id="more" disabled>Load more</button>
  <span id="status">Loading…</span><span id="error"></span>
</header>
${editorMarkup()}
<table><thead id="head"></thead><tbody id="body"></tbody></table>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  let rows = [];
  const $ = (id) => document.getElementById(id);
  function render() {
    const f = $('filter').value.toLowerCase();
    const cpus = rows.reduce((n, r) => Math.max(n, r.values.length), 1);
    $('head').innerHTML = '';
    const hr = document.createElement('tr');
    for (const h of ['Key', ...(cpus > 1 ? Array.from({ length: cpus }, (_, i) => 'CPU ' + i) : ['Value'])]) {
      const th = document.createElement('th'); th.textContent = h; hr.appendChild(th);
    }
    $('head').appendChild(hr);
    const body = $('body'); body.innerHTML = '';
    for (const r of rows) {
      if (f && !(r.key + ' ' + r.values.join(' ')).toLowerCase().includes(f)) continue;
      const tr = document.createElement('tr');
      for (const t of [r.key, ...r.values]) { const td = document.createElement('td'); td.textContent = t; tr.appendChild(td); }
      rowActions(tr, r);
      body.appendChild(tr);
    }
  }
  window.addEventListener('message', (e) => {
    const m = e.data;
    if (m.type !== 'rows') return;
    rows = m.rows;
    $('status').textContent = m.status;
    $('error').textContent = m.error || '';
    $('more').disabled = !m.more;
    render();
  });
  $('refresh').addEventListener('click', () => { $('status').textContent = 'Loading…'; vscode.postMessage({ type: 'refresh' }); });
  $('more').addEventListener('click', () => { $('more').disabled = true; vscode.postMessage({ type: 'more' }); });
  $('filter').addEventListener('input', render);
  window.addEventListener('message', (e) => { if (e.data.type === 'shape') render(); });
  ${editorScript()}
  vscode.postMessage({ type: 'ready' });
</script>
</body></html>`;
}
