// Values typed by BTF, both ways: bytes → what a person reads (a table row of flattened fields,
// or a nested JSON value), and what a person types (JSON following the type, decimal, hex,
// IPv4/IPv6, a string for a char array) → bytes. Pure; shared by the helper (events, map editing)
// and its tests.
//
// Rendering rules: char arrays are strings (up to the first NUL); __be16/__be32/__be64 numbers are
// read in network byte order; 4-byte and 16-byte fields whose name says address/ip are IPv4/IPv6
// (in memory order, as programs copy them from packet headers); 6-byte u8 arrays named mac/h_source
// are MAC addresses; enums show their enumerator's name; 64-bit numbers beyond 2^53 are decimal
// strings so that nothing is rounded.
import type { FieldKind, FieldValue, RecordField } from '../../protocol/types';
import { Btf, Kind } from './parse';

const IP_NAME = /(addr|(^|_)ip(v?[46])?($|_)|ipv?[46]|^(src|dst)$|nexthop|gateway)/i;
const MAC_NAME = /(mac|h_source|h_dest|hwaddr|ether|lladdr)/i;
const MAX_DEPTH = 16;

/** How a value of BTF type `id`, held by a field named `name`, is shown and parsed. */
export function classify(btf: Btf, id: number, name: string): FieldKind {
  const t = btf.resolve(id);
  if (!t || id === 0) return 'hex';
  const aliases = btf.aliases(id);
  switch (t.kind) {
    case Kind.Int:
      if (t.int!.bool) return 'bool';
      if (t.size === 4 && (IP_NAME.test(name) || (aliases.includes('__be32') && /ip|addr/i.test(name)))) return 'ipv4';
      if (t.size === 16 && IP_NAME.test(name)) return 'ipv6';
      if (t.size > 8) return 'hex';
      return t.int!.signed ? 'int' : 'uint';
    case Kind.Enum:
    case Kind.Enum64:
      return 'enum';
    case Kind.Float:
      return 'float';
    case Kind.Ptr:
      return 'pointer';
    case Kind.Array: {
      const elem = btf.resolve(t.array!.elem);
      const size = btf.sizeOf(id);
      if (elem?.kind === Kind.Int && elem.size === 1) {
        if (elem.int!.char || btf.cName(t.array!.elem).replace(/^const /, '') === 'char') return 'string';
        if (size === 4 && IP_NAME.test(name)) return 'ipv4';
        if (size === 16 && IP_NAME.test(name)) return 'ipv6';
        if (size === 6 && MAC_NAME.test(name)) return 'mac';
        return 'hex';
      }
      if (size === 16 && IP_NAME.test(name)) return 'ipv6';
      return 'array';
    }
    case Kind.Struct:
    case Kind.Union:
      if (t.name === 'in6_addr' && t.size === 16) return 'ipv6';
      return 'hex'; // only reached for a struct that is not flattened (depth limit)
    default:
      return 'hex';
  }
}

function bigEndian(btf: Btf, id: number): boolean {
  return btf.aliases(id).some((a) => a === '__be16' || a === '__be32' || a === '__be64');
}

function readInt(b: Buffer, off: number, size: number, signed: boolean, be: boolean): number | string {
  switch (size) {
    case 1:
      return signed ? b.readInt8(off) : b.readUInt8(off);
    case 2:
      return signed ? (be ? b.readInt16BE(off) : b.readInt16LE(off)) : be ? b.readUInt16BE(off) : b.readUInt16LE(off);
    case 4:
      return signed ? (be ? b.readInt32BE(off) : b.readInt32LE(off)) : be ? b.readUInt32BE(off) : b.readUInt32LE(off);
    case 8: {
      const v = signed ? (be ? b.readBigInt64BE(off) : b.readBigInt64LE(off)) : be ? b.readBigUInt64BE(off) : b.readBigUInt64LE(off);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
    }
    default:
      return b.toString('hex', off, off + size);
  }
}

function readBits(b: Buffer, byteBase: number, bitOffset: number, bits: number, signed: boolean): number | string {
  // Little-endian bit-fields (x86_64, aarch64, and BPF's own bpfel target).
  const first = byteBase + (bitOffset >> 3);
  const last = byteBase + ((bitOffset + bits - 1) >> 3);
  let v = 0n;
  for (let i = last; i >= first; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
  v = (v >> BigInt(bitOffset & 7)) & ((1n << BigInt(bits)) - 1n);
  if (signed && bits > 0 && v >> BigInt(bits - 1)) v -= 1n << BigInt(bits);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

export function formatIpv4(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function formatIpv6(b: Buffer, off: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(off + i * 2));
  // IPv4-mapped addresses read better as such.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return `::ffff:${formatIpv4(b, off + 12)}`;
  // RFC 5952: the longest run (2+) of zero groups becomes "::".
  let best = -1,
    bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function cString(b: Buffer, off: number, size: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + size ? off + size : end);
}

/** One scalar-ish value (not a struct) of type `id` classified as `kind`, at byte `off`. */
function readValue(btf: Btf, id: number, kind: FieldKind, b: Buffer, off: number, size: number, depth: number): FieldValue {
  if (off + size > b.length) return null;
  const t = btf.resolve(id);
  switch (kind) {
    case 'bool':
      return b[off] !== 0;
    case 'int':
    case 'uint':
      return readInt(b, off, size, kind === 'int', bigEndian(btf, id));
    case 'enum': {
      const raw = readInt(b, off, size, !!t?.signed, false);
      const v = BigInt(raw);
      return t?.values?.find((e) => e.value === v)?.name ?? raw;
    }
    case 'float':
      return size === 4 ? b.readFloatLE(off) : size === 8 ? b.readDoubleLE(off) : b.toString('hex', off, off + size);
    case 'pointer':
      return `0x${b.readBigUInt64LE(off).toString(16)}`;
    case 'string':
      return cString(b, off, size);
    case 'ipv4':
      return formatIpv4(b, off);
    case 'ipv6':
      return formatIpv6(b, off);
    case 'mac':
      return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
    case 'array': {
      const elem = t!.array!.elem;
      const esize = btf.sizeOf(elem);
      const out: FieldValue[] = [];
      for (let i = 0; i < t!.array!.count; i++) out.push(decodeJson(btf, elem, b, off + i * esize, '', depth + 1) as FieldValue);
      return out;
    }
    default:
      return b.toString('hex', off, off + size);
  }
}

/** A nested JSON value of type `id` read at `off`: objects for structs, arrays, strings, numbers. */
export function decodeJson(btf: Btf, id: number, b: Buffer, off = 0, name = '', depth = 0): unknown {
  const t = btf.resolve(id);
  const size = btf.sizeOf(id);
  if (t && (t.kind === Kind.Struct || t.kind === Kind.Union) && classify(btf, id, name) !== 'ipv6' && depth < MAX_DEPTH) {
    const out: Record<string, unknown> = {};
    for (const m of t.members!) {
      const at = off + (m.bitOffset >> 3);
      if (m.bitSize) {
        out[m.name] = readBits(b, off, m.bitOffset, m.bitSize, !!btf.resolve(m.type)?.int?.signed);
        continue;
      }
      const v = decodeJson(btf, m.type, b, at, m.name, depth + 1);
      if (m.name === '' && v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, v);
      else out[m.name] = v;
    }
    return out;
  }
  return readValue(btf, id, classify(btf, id, name), b, off, size, depth);
}

/** The table columns of a record type: struct members flattened with dotted names. */
export function recordFields(btf: Btf, id: number): RecordField[] {
  const out: RecordField[] = [];
  const walk = (typeId: number, prefix: string, base: number, depth: number) => {
    const t = btf.resolve(typeId);
    if (t && (t.kind === Kind.Struct || t.kind === Kind.Union) && depth < 4 && !(t.name === 'in6_addr' && prefix)) {
      for (const m of t.members!) {
        const name = m.name === '' ? prefix.replace(/\.$/, '') : `${prefix}${m.name}`;
        if (m.bitSize) {
          out.push({
            name,
            kind: btf.resolve(m.type)?.int?.signed ? 'int' : 'uint',
            cType: `${btf.cName(m.type)}:${m.bitSize}`,
            offset: base + (m.bitOffset >> 3),
            size: Math.ceil(((m.bitOffset & 7) + m.bitSize) / 8),
            bitOffset: m.bitOffset & 7,
            bitSize: m.bitSize,
          });
          continue;
        }
        walk(m.type, name === '' ? '' : `${name}.`, base + (m.bitOffset >> 3), depth + 1);
      }
      return;
    }
    const name = prefix.replace(/\.$/, '') || 'value';
    const leaf = name.split('.').pop()!;
    out.push({ name, kind: classify(btf, typeId, leaf), cType: btf.cName(typeId), offset: base, size: btf.sizeOf(typeId) });
  };
  walk(id, '', 0, 0);
  return out;
}

/** A fast row decoder for fields of `recordFields` (one closure per column, built once). */
export function rowDecoder(btf: Btf, id: number, fields: RecordField[]): (b: Buffer) => FieldValue[] {
  // Re-resolve each leaf's type id by walking the same path, so the closure reads by kind alone.
  const leafTypes = leafTypeIds(btf, id);
  const readers = fields.map((f, i) => {
    const typeId = leafTypes[i];
    if (f.bitSize) {
      const signed = f.kind === 'int';
      const bitBase = f.offset * 8 + (f.bitOffset ?? 0);
      return (b: Buffer) => (f.offset + f.size <= b.length ? readBits(b, 0, bitBase, f.bitSize!, signed) : null);
    }
    return (b: Buffer) => readValue(btf, typeId, f.kind, b, f.offset, f.size, 0);
  });
  return (b) => readers.map((r) => r(b));
}

function leafTypeIds(btf: Btf, id: number): number[] {
  const out: number[] = [];
  const walk = (typeId: number, prefix: string, depth: number) => {
    const t = btf.resolve(typeId);
    if (t && (t.kind === Kind.Struct || t.kind === Kind.Union) && depth < 4 && !(t.name === 'in6_addr' && prefix)) {
      for (const m of t.members!) {
        if (m.bitSize) out.push(m.type);
        else walk(m.type, m.name === '' ? prefix : `${prefix}${m.name}.`, depth + 1);
      }
      return;
    }
    out.push(typeId);
  };
  walk(id, '', 0);
  return out;
}

// ---------- parsing what people type ----------

export class ValueSyntaxError extends Error {}

function parseBigInt(s: string): bigint {
  const t = s.trim().replace(/_/g, '');
  if (!/^-?(0x[0-9a-f]+|0b[01]+|0o[0-7]+|\d+)$/i.test(t)) throw new ValueSyntaxError(`"${s}" is not a number`);
  return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
}

/** `loose`: also the unsigned spelling of a signed value (0xffffffff for an s32), as hex input allows. */
function writeInt(out: Buffer, off: number, size: number, v: bigint, signed: boolean, be: boolean, what: string, loose = false): void {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed && !loose ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (v < min || v > max) throw new ValueSyntaxError(`${v} does not fit ${what} (${signed ? 'signed' : 'unsigned'} ${size * 8}-bit)`);
  const u = BigInt.asUintN(size * 8, v);
  for (let i = 0; i < size; i++) out[off + (be ? size - 1 - i : i)] = Number((u >> BigInt(8 * i)) & 0xffn);
}

export function parseIpv4(s: string): Buffer | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? Buffer.from(parts) : undefined;
}

export function parseIpv6(s: string): Buffer | undefined {
  let t = s.trim();
  if (!t.includes(':') || !/^[0-9a-f:.]+$/i.test(t)) return undefined;
  // A trailing dotted quad (::ffff:10.0.0.1) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const b = parseIpv4(v4[1]);
    if (!b) return undefined;
    t = `${t.slice(0, v4.index)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const total = head.length + rest.length;
  if ([...head, ...rest].some(Number.isNaN) || total > 8 || (halves.length === 1 && total !== 8) || (halves.length === 2 && total > 7))
    return undefined;
  const groups = [...head, ...Array<number>(8 - total).fill(0), ...rest];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** "01 02 ab", "01:02:ab", "hex:0102ab", "0x0102ab" → bytes (for raw and hex-kind values). */
export function parseHexBytes(s: string): Buffer | undefined {
  const t = s.trim().replace(/^hex:/i, '');
  const compact = /^(0x)?([0-9a-f]{2})+$/i.test(t) ? t.replace(/^0x/i, '') : undefined;
  if (compact) return Buffer.from(compact, 'hex');
  if (/^([0-9a-f]{1,2})([\s:,]+[0-9a-f]{1,2})*$/i.test(t)) return Buffer.from(t.split(/[\s:,]+/).map((x) => parseInt(x, 16)));
  return undefined;
}

function writeLeaf(
  btf: Btf,
  id: number,
  kind: FieldKind,
  v: unknown,
  out: Buffer,
  off: number,
  size: number,
  name: string,
  depth: number,
): void {
  const what = name ? `field "${name}" (${btf.cName(id)})` : btf.cName(id);
  const text = typeof v === 'string' ? v : undefined;
  switch (kind) {
    case 'bool':
      if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw new ValueSyntaxError(`${what} takes true or false`);
      out.fill(0, off, off + size);
      out[off] = v === true || v === 1 ? 1 : 0;
      return;
    case 'int':
    case 'uint':
    case 'enum': {
      let n: bigint;
      if (typeof v === 'number') {
        if (!Number.isInteger(v)) throw new ValueSyntaxError(`${what} takes an integer, got ${v}`);
        n = BigInt(v);
      } else if (text !== undefined) {
        const e = kind === 'enum' ? btf.resolve(id)?.values?.find((x) => x.name === text.trim()) : undefined;
        if (e) n = e.value;
        else {
          try {
            n = parseBigInt(text);
          } catch {
            const names = btf.resolve(id)?.values?.map((x) => x.name);
            throw new ValueSyntaxError(
              `${what} takes ${kind === 'enum' ? `one of ${names?.join(', ')} or a number` : 'a number'}, got "${text}"`,
            );
          }
        }
      } else throw new ValueSyntaxError(`${what} takes a number`);
      const signed = kind === 'int' || (kind === 'enum' && !!btf.resolve(id)?.signed);
      writeInt(out, off, size, n, signed, bigEndian(btf, id), what, text !== undefined && /^\s*0x/i.test(text));
      return;
    }
    case 'pointer': {
      const n = typeof v === 'number' ? BigInt(v) : text !== undefined ? parseBigInt(text) : undefined;
      if (n === undefined) throw new ValueSyntaxError(`${what} takes an address`);
      writeInt(out, off, 8, n, false, false, what);
      return;
    }
    case 'float': {
      const n = typeof v === 'number' ? v : text !== undefined ? Number(text) : NaN;
      if (Number.isNaN(n)) throw new ValueSyntaxError(`${what} takes a number`);
      if (size === 4) out.writeFloatLE(n, off);
      else out.writeDoubleLE(n, off);
      return;
    }
    case 'string': {
      if (text === undefined) throw new ValueSyntaxError(`${what} takes a string`);
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > size) throw new ValueSyntaxError(`"${text}" is ${bytes.length} bytes; ${what} holds ${size}`);
      out.fill(0, off, off + size);
      bytes.copy(out, off);
      return;
    }
    case 'ipv4':
    case 'ipv6': {
      const b = text !== undefined ? (kind === 'ipv4' ? parseIpv4(text) : parseIpv6(text)) : undefined;
      if (!b)
        throw new ValueSyntaxError(`${what} takes an ${kind === 'ipv4' ? 'IPv4 address like 10.0.0.1' : 'IPv6 address like fe80::1'}`);
      b.copy(out, off);
      return;
    }
    case 'array': {
      const t = btf.resolve(id)!;
      const esize = btf.sizeOf(t.array!.elem);
      const items = typeof v === 'string' ? tryJson(v) : v;
      if (!Array.isArray(items)) throw new ValueSyntaxError(`${what} takes a JSON array of up to ${t.array!.count} elements`);
      if (items.length > t.array!.count) throw new ValueSyntaxError(`${what} holds ${t.array!.count} elements, got ${items.length}`);
      items.forEach((item, i) => encodeInto(btf, t.array!.elem, item, out, off + i * esize, `${name}[${i}]`, depth + 1));
      return;
    }
    default: {
      const b = text !== undefined ? parseHexBytes(text) : undefined;
      if (!b || b.length > size) throw new ValueSyntaxError(`${what} takes ${size} bytes as hex (like "0a 00 00 01")`);
      out.fill(0, off, off + size);
      b.copy(out, off);
    }
  }
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Writes JSON value `v` of type `id` into `out` at `off`; struct members not given keep their bytes. */
export function encodeInto(btf: Btf, id: number, v: unknown, out: Buffer, off = 0, name = '', depth = 0): void {
  if (depth > MAX_DEPTH) throw new ValueSyntaxError('value nests too deeply');
  const t = btf.resolve(id);
  const size = btf.sizeOf(id);
  if (t && (t.kind === Kind.Struct || t.kind === Kind.Union) && classify(btf, id, name) !== 'ipv6') {
    if (typeof v === 'string' && parseHexBytes(v)?.length === size) {
      parseHexBytes(v)!.copy(out, off);
      return;
    }
    if (!v || typeof v !== 'object' || Array.isArray(v))
      throw new ValueSyntaxError(
        `${name ? `field "${name}"` : btf.cName(id)} takes a JSON object with its fields (${memberNames(btf, id).join(', ')})`,
      );
    const given = v as Record<string, unknown>;
    const known = new Set<string>();
    const put = (typeId: number, base: number, obj: Record<string, unknown>, d: number) => {
      const st = btf.resolve(typeId)!;
      for (const m of st.members!) {
        if (m.name === '') {
          put(m.type, base + (m.bitOffset >> 3), obj, d + 1); // anonymous struct/union: its fields sit at this level
          continue;
        }
        known.add(m.name);
        if (obj[m.name] === undefined) continue;
        if (m.bitSize) {
          const n = typeof obj[m.name] === 'number' ? BigInt(obj[m.name] as number) : parseBigInt(String(obj[m.name]));
          writeBitField(out, base, m.bitOffset, m.bitSize, n, `field "${m.name}"`);
          continue;
        }
        encodeInto(btf, m.type, obj[m.name], out, base + (m.bitOffset >> 3), m.name, d + 1);
      }
    };
    put(id, off, given, depth);
    const unknown = Object.keys(given).filter((k) => !known.has(k));
    if (unknown.length)
      throw new ValueSyntaxError(
        `${btf.cName(id)} has no field ${unknown.map((k) => `"${k}"`).join(', ')} (fields: ${[...known].join(', ')})`,
      );
    return;
  }
  writeLeaf(btf, id, classify(btf, id, name), v, out, off, size, name, depth);
}

function memberNames(btf: Btf, id: number): string[] {
  return (btf.resolve(id)?.members ?? []).flatMap((m) => (m.name === '' ? memberNames(btf, m.type) : [m.name]));
}

function writeBitField(out: Buffer, base: number, bitOffset: number, bits: number, v: bigint, what: string): void {
  if (v >= 1n << BigInt(bits) || v < -(1n << BigInt(bits - 1))) throw new ValueSyntaxError(`${v} does not fit ${what} (${bits} bits)`);
  const mask = (1n << BigInt(bits)) - 1n;
  const first = base + (bitOffset >> 3);
  const last = base + ((bitOffset + bits - 1) >> 3);
  let word = 0n;
  for (let i = last; i >= first; i--) word = (word << 8n) | BigInt(out[i]);
  const shift = BigInt(bitOffset & 7);
  word = (word & ~(mask << shift)) | ((BigInt.asUintN(bits, v) & mask) << shift);
  for (let i = first; i <= last; i++, word >>= 8n) out[i] = Number(word & 0xffn);
}

/**
 * What a person typed for a key or value of `size` bytes, typed by BTF type `typeId` when the map
 * has BTF (0 otherwise). Accepts JSON following the type, and for any type: "hex:…" bytes. Without
 * BTF: decimal or 0x numbers (little-endian, for 1/2/4/8-byte values), IPv4/IPv6, a "quoted"
 * string, or hex bytes. `base` (the current bytes) keeps struct members the input leaves out.
 */
export function parseInput(text: string, size: number, btf: Btf | undefined, typeId: number, base?: Buffer): Buffer {
  const out = Buffer.alloc(size);
  base?.copy(out, 0, 0, size);
  const t = text.trim();
  if (/^hex:/i.test(t)) {
    const b = parseHexBytes(t);
    if (!b || b.length !== size) throw new ValueSyntaxError(`${t} is ${b?.length ?? 'not'} bytes of hex; this takes exactly ${size}`);
    return b;
  }
  if (btf && typeId) {
    if (btf.sizeOf(typeId) !== size)
      throw new ValueSyntaxError(`BTF says ${btf.cName(typeId)} is ${btf.sizeOf(typeId)} bytes, the map says ${size}`);
    const json = tryJson(t);
    const kind = classify(btf, typeId, '');
    const resolved = btf.resolve(typeId);
    const isRecord = resolved && (resolved.kind === Kind.Struct || resolved.kind === Kind.Union) && kind !== 'ipv6';
    // Bare words are the natural spelling for strings, IPs and enum names; numbers stay numbers.
    const value = json !== undefined && (isRecord || typeof json !== 'string' || kind === 'string') ? json : t;
    encodeInto(btf, typeId, typeof value === 'number' && !Number.isSafeInteger(value) ? t : value, out);
    return out;
  }
  const ip = size === 4 ? parseIpv4(t) : size === 16 ? parseIpv6(t) : undefined;
  if (ip) return ip;
  const quoted = /^"(.*)"$/s.exec(t);
  if (quoted) {
    const s = Buffer.from(JSON.parse(t) as string, 'utf8');
    if (s.length > size) throw new ValueSyntaxError(`the string is ${s.length} bytes; this takes ${size}`);
    out.fill(0);
    s.copy(out);
    return out;
  }
  if ([1, 2, 4, 8].includes(size) && /^-?(0x[0-9a-f]+|\d+)$/i.test(t)) {
    writeInt(out, 0, size, parseBigInt(t), t.startsWith('-'), false, `a ${size}-byte value`, true);
    return out;
  }
  const hex = parseHexBytes(t);
  if (hex && hex.length === size) return hex;
  throw new ValueSyntaxError(
    `cannot read "${text}" as ${size} bytes: give a number, an IP address, a "quoted string" or ${size} bytes of hex (like "${'00 '.repeat(Math.min(size, 4)).trim()}${size > 4 ? ' …' : ''}")`,
  );
}

/** Text of bytes for a person, without BTF: the number for 1/2/4/8 bytes, else hex. */
export function formatRaw(b: Buffer): string {
  if (b.length === 4 || b.length === 8 || b.length === 2 || b.length === 1) return String(readInt(b, 0, b.length, false, false));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
