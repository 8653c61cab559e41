// An edit form typed by BTF: one text input per flattened field (RecordField, "peer.port"), turned
// into the JSON the helper's map.update takes (nested objects, numbers for numbers), and back from
// the JSON the helper's map.lookup returns. Pure: the Show Contents page and tests use it.
import type { RecordField, RecordType } from '../../protocol/types';

/** A type that is one scalar (a __u32 key) has one field named "value" covering it. */
export function isScalar(t: RecordType): boolean {
  return t.fields.length === 1 && t.fields[0].name === 'value' && t.fields[0].offset === 0 && t.fields[0].size === t.size;
}

function typed(f: RecordField, text: string): unknown {
  const t = text.trim();
  switch (f.kind) {
    case 'int':
    case 'uint':
    case 'enum':
    case 'float':
      return /^-?\d+(\.\d+)?$/.test(t) && Number.isSafeInteger(Math.trunc(Number(t))) ? Number(t) : t;
    case 'bool':
      return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : t;
    case 'array':
      try {
        return JSON.parse(t);
      } catch {
        return t;
      }
    default:
      return text; // strings keep their spaces
  }
}

/**
 * What the helper takes for a key or value: the text itself for a scalar type, else a JSON object
 * with the non-empty inputs (empty ones keep the stored bytes on update, zero on create).
 */
export function formToInput(t: RecordType, inputs: Record<string, string>): string {
  if (isScalar(t)) return inputs.value ?? '';
  const root: Record<string, unknown> = {};
  for (const f of t.fields) {
    const text = inputs[f.name];
    if (text === undefined || text.trim() === '') continue;
    const parts = f.name.split('.');
    let at = root;
    for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[parts[parts.length - 1]] = typed(f, text);
  }
  return JSON.stringify(root);
}

/** Form inputs from the helper's JSON text of a stored key or value. */
export function inputsFromJson(t: RecordType, json: string): Record<string, string> {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return isScalar(t) ? { value: json } : {};
  }
  if (isScalar(t)) return { value: typeof v === 'string' ? v : JSON.stringify(v) };
  const out: Record<string, string> = {};
  for (const f of t.fields) {
    let at: unknown = v;
    for (const p of f.name.split('.')) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[p] : undefined;
    if (at !== undefined) out[f.name] = typeof at === 'string' ? at : JSON.stringify(at);
  }
  return out;
}

/** What to type in a field, shown as its placeholder. */
export function placeholder(f: RecordField): string {
  switch (f.kind) {
    case 'ipv4':
      return '10.0.0.1';
    case 'ipv6':
      return 'fe80::1';
    case 'mac':
      return '02:00:00:00:00:01';
    case 'string':
      return `text, up to ${f.size} bytes`;
    case 'enum':
      return 'name or number';
    case 'bool':
      return 'true or false';
    case 'array':
      return '[1, 2, 3]';
    case 'hex':
      return `${f.size} bytes of hex`;
    case 'pointer':
      return '0x…';
    default:
      return f.kind === 'int' ? 'number (may be negative)' : 'number, or 0x…';
  }
}
