// Editing a map from Show Contents: add or update an entry through a form typed by the map's BTF
// (one input per field; key and value as hex for maps without BTF), delete an entry, clear the
// map, push/pop/peek for queues and stacks. Maps this workspace did not load belong to someone
// else's program: the first change asks for confirmation. The page side (markup and script) is
// here too, so Show Contents only forwards messages.
import * as vscode from 'vscode';
import type { MapTypesResult, MapValueResult, RecordType } from '../protocol';
import { formToInput, inputsFromJson, isScalar, placeholder } from '../core/btf/form';
import type { Target } from './targets';

export type EditMessage =
  | { type: 'edit'; key: string } // base64 of a stored key: fill the form with the entry
  | { type: 'save'; key: Record<string, string>; value: Record<string, string>; mode?: 'any' | 'noexist' | 'exist' }
  | { type: 'delete'; key: string }
  | { type: 'clear' }
  | { type: 'push'; value: Record<string, string> }
  | { type: 'pop' }
  | { type: 'peek' };

export const EDIT_MESSAGES = new Set(['edit', 'save', 'delete', 'clear', 'push', 'pop', 'peek']);

/** What a change did, for the page's status line and for tests. */
export interface EditOutcome {
  ok: boolean;
  message: string;
  /** edit: the form's inputs for the entry. */
  form?: { key: Record<string, string>; value: Record<string, string> };
  result?: MapValueResult;
}

/** A raw (no BTF) key or value is one hex input. */
function rawType(size: number): RecordType {
  return {
    name: `${size} bytes`,
    typeId: 0,
    size,
    fields: [{ name: 'value', kind: 'hex', cType: `${size} bytes (hex, a number, an IP or a "string")`, offset: 0, size }],
  };
}

export class MapEditor {
  private typesValue?: MapTypesResult;
  private confirmed = false;

  constructor(
    private readonly target: Target,
    readonly id: number,
    private readonly name: string,
  ) {}

  async types(): Promise<MapTypesResult | undefined> {
    if (this.typesValue) return this.typesValue;
    try {
      this.typesValue = await (await this.target.ready()).mapTypes(this.id);
    } catch {
      return undefined;
    }
    return this.typesValue;
  }

  /** The form's shape: key and value types (hex inputs without BTF). */
  async form(): Promise<{ access: MapTypesResult['access']; key: RecordType; value: RecordType } | undefined> {
    const t = await this.types();
    if (!t) return undefined;
    return { access: t.access, key: t.key ?? rawType(t.keySize), value: t.value ?? rawType(t.valueSize) };
  }

  private get ours(): boolean {
    return this.target.model.loadedObjects.some((o) => o.maps.some((m) => m.id === this.id));
  }

  /** Maps this workspace did not load: ask once per panel before the first change. */
  private async confirm(what: string): Promise<boolean> {
    if (this.ours || this.confirmed) return true;
    const choice = await vscode.window.showWarningMessage(
      `Map ${this.name} (#${this.id}) on ${this.target.label} was not loaded by this workspace. Another program or tool uses it, and ${what} changes what it sees. Change it?`,
      { modal: true },
      'Change',
    );
    this.confirmed = choice === 'Change';
    return this.confirmed;
  }

  async handle(m: EditMessage): Promise<EditOutcome> {
    const f = await this.form();
    if (!f) return { ok: false, message: 'the map is gone' };
    const hexKey = (b64: string) => `hex:${Buffer.from(b64, 'base64').toString('hex')}`;
    try {
      const client = await this.target.ready();
      switch (m.type) {
        case 'edit': {
          const r = await client.mapLookup({ id: this.id, key: hexKey(m.key) });
          return {
            ok: true,
            message: '',
            form: { key: this.inputs(f.key, r.keyText!, r.key!), value: this.inputs(f.value, r.valueText!, r.value!) },
          };
        }
        case 'save': {
          if (!(await this.confirm('updating an entry'))) return { ok: false, message: 'not changed' };
          const r = await client.mapUpdate({
            id: this.id,
            key: this.input(f.key, m.key),
            value: this.input(f.value, m.value),
            mode: m.mode ?? 'any',
          });
          return { ok: true, message: `saved ${r.keyText} = ${r.valueText}`, result: r };
        }
        case 'delete': {
          if (!(await this.confirm('deleting an entry'))) return { ok: false, message: 'not changed' };
          await client.mapDelete({ id: this.id, key: hexKey(m.key) });
          return { ok: true, message: 'deleted' };
        }
        case 'clear': {
          const all = f.access === 'queue' ? 'popping every value' : 'clearing the map';
          if (!this.ours && !(await this.confirm(all))) return { ok: false, message: 'not changed' };
          if (this.ours) {
            const c = await vscode.window.showWarningMessage(`Clear map ${this.name} (#${this.id})?`, { modal: true }, 'Clear');
            if (c !== 'Clear') return { ok: false, message: 'not changed' };
          }
          const r = await client.mapClear(this.id);
          return { ok: true, message: `cleared ${r.cleared} ${f.access === 'queue' ? 'values' : 'entries'}` };
        }
        case 'push': {
          if (!(await this.confirm('pushing a value'))) return { ok: false, message: 'not changed' };
          const r = await client.mapPush({ id: this.id, value: this.input(f.value, m.value) });
          return { ok: true, message: `pushed ${r.valueText}`, result: r };
        }
        case 'pop':
        case 'peek': {
          if (m.type === 'pop' && !(await this.confirm('popping a value'))) return { ok: false, message: 'not changed' };
          const r = await client.mapPop({ id: this.id, peek: m.type === 'peek' });
          return {
            ok: true,
            message: r.valueText === undefined ? 'empty' : `${m.type === 'pop' ? 'popped' : 'head:'} ${r.valueText}`,
            result: r,
          };
        }
      }
    } catch (e) {
      const fix = (e as { data?: { fix?: string } }).data?.fix;
      const message = (e as Error).message;
      return { ok: false, message: fix && !message.includes(fix) ? `${message} (${fix})` : message };
    }
  }

  private input(t: RecordType, inputs: Record<string, string>): string {
    return t.typeId === 0 ? (inputs.value ?? '') : formToInput(t, inputs);
  }

  private inputs(t: RecordType, json: string, b64: string): Record<string, string> {
    if (t.typeId === 0) return { value: `hex:${Buffer.from(b64, 'base64').toString('hex')}` };
    return inputsFromJson(t, json);
  }
}

/** The editing part of the Show Contents page: toolbar buttons and the form (hidden until used). */
export function editorMarkup(): string {
  return `<div id="edit-tools" hidden>
  <button id="add" data-for="keyed">Add Entry…</button>
  <button id="push" data-for="queue">Push…</button>
  <button id="pop" data-for="queue">Pop</button>
  <button id="peek" data-for="queue">Peek</button>
  <button id="clear-map">Clear</button>
  <span id="edit-status"></span>
</div>
<form id="edit-form" hidden>
  <fieldset id="key-fields"><legend>Key</legend></fieldset>
  <fieldset id="value-fields"><legend>Value</legend></fieldset>
  <label id="mode-label">When <select id="mode"><option value="any">create or replace</option><option value="noexist">create only</option><option value="exist">replace only</option></select></label>
  <button type="submit" id="save">Save</button> <button type="button" id="cancel">Cancel</button>
</form>`;
}

export const editorStyle = `
  #edit-tools { display: flex; gap: 8px; align-items: center; padding: 4px 0; }
  #edit-tools button { white-space: nowrap; }
  #edit-status.err { color: var(--vscode-errorForeground); }
  #edit-status { color: var(--vscode-descriptionForeground); }
  form { border: 1px solid var(--vscode-panel-border); padding: 8px 12px; margin: 4px 0 8px; }
  fieldset { border: none; padding: 0; margin: 0 0 8px; display: grid; grid-template-columns: max-content 1fr; gap: 4px 10px; align-items: center; }
  legend { font-weight: 600; padding: 0 0 4px; }
  fieldset label { font-family: var(--vscode-editor-font-family); }
  fieldset label small { color: var(--vscode-descriptionForeground); }
  td.act { white-space: nowrap; }
  td.act a { cursor: pointer; color: var(--vscode-textLink-foreground); margin-right: 8px; }`;

/** Page script: renders the form from the BTF shape and sends EditMessages. Expects `vscode`, `$`. */
export function editorScript(): string {
  return `
  let shape;
  function fieldRows(fs, t, prefix, values) {
    fs.querySelectorAll('label, input').forEach((e) => e.remove());
    for (const f of t.fields) {
      const l = document.createElement('label');
      l.innerHTML = '';
      l.append(f.name === 'value' && t.fields.length === 1 ? '' : f.name + ' ');
      const s = document.createElement('small'); s.textContent = f.cType; l.appendChild(s);
      const i = document.createElement('input');
      i.name = prefix + f.name; i.placeholder = f.placeholder; i.value = values?.[f.name] ?? '';
      fs.appendChild(l); fs.appendChild(i);
    }
  }
  function openForm(kind, values) {
    $('edit-form').hidden = false;
    $('edit-form').dataset.kind = kind;
    $('key-fields').hidden = kind === 'push';
    $('mode-label').hidden = kind === 'push';
    fieldRows($('key-fields'), shape.key, 'k:', values?.key);
    fieldRows($('value-fields'), shape.value, 'v:', values?.value);
    ($('edit-form').querySelector('input:not([hidden])') || {}).focus?.();
  }
  function collect(prefix) {
    const out = {};
    for (const i of $('edit-form').querySelectorAll('input')) if (i.name.startsWith(prefix)) out[i.name.slice(prefix.length)] = i.value;
    return out;
  }
  function status(text, ok) { $('edit-status').textContent = text; $('edit-status').className = ok ? '' : 'err'; }
  window.addEventListener('message', (e) => {
    const m = e.data;
    if (m.type === 'shape') {
      shape = m.shape;
      if (!shape || shape.access === 'none') return;
      $('edit-tools').hidden = false;
      for (const b of $('edit-tools').querySelectorAll('[data-for]')) b.hidden = b.dataset.for !== shape.access;
    }
    if (m.type === 'edited') {
      status(m.outcome.message, m.outcome.ok);
      if (m.outcome.form) openForm('save', m.outcome.form);
      else if (m.outcome.ok && m.request !== 'peek') $('edit-form').hidden = true;
    }
  });
  $('add').addEventListener('click', () => openForm('save'));
  $('push').addEventListener('click', () => openForm('push'));
  $('pop').addEventListener('click', () => vscode.postMessage({ type: 'pop' }));
  $('peek').addEventListener('click', () => vscode.postMessage({ type: 'peek' }));
  $('clear-map').addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
  $('cancel').addEventListener('click', () => { $('edit-form').hidden = true; });
  $('edit-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const kind = $('edit-form').dataset.kind;
    if (kind === 'push') vscode.postMessage({ type: 'push', value: collect('v:') });
    else vscode.postMessage({ type: 'save', key: collect('k:'), value: collect('v:'), mode: $('mode').value });
  });
  function rowActions(tr, r) {
    if (!shape || shape.access !== 'keyed' || !r.rawKey) return;
    const td = document.createElement('td'); td.className = 'act';
    const ed = document.createElement('a'); ed.textContent = 'Edit'; ed.title = 'Edit this entry in the form';
    ed.addEventListener('click', () => vscode.postMessage({ type: 'edit', key: r.rawKey }));
    td.appendChild(ed);
    if (!shape.array) {
      const del = document.createElement('a'); del.textContent = 'Delete';
      del.addEventListener('click', () => vscode.postMessage({ type: 'delete', key: r.rawKey }));
      td.appendChild(del);
    }
    tr.appendChild(td);
  }`;
}

/** The shape sent to the page: types with placeholders, and whether entries can be deleted. */
export function pageShape(f: { access: MapTypesResult['access']; key: RecordType; value: RecordType }, array: boolean) {
  const withHints = (t: RecordType) => ({
    ...t,
    fields: t.fields.map((x) => ({ ...x, placeholder: placeholder(x) })),
    scalar: isScalar(t),
  });
  return { access: f.access, array, key: withHints(f.key), value: withHints(f.value) };
}
