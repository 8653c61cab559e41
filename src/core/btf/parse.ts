// A reader of raw BTF (the kernel's type format, uapi linux/btf.h): the bytes that
// btf__raw_data() returns for an object's BTF. Pure: no FFI, no I/O. Types are indexed by id
// (0 is void); only what decoding and encoding records needs is kept per kind.
//
// Reading BTF ourselves (instead of libbpf's btf__type_by_id per field through FFI) keeps the
// per-record decoder a plain JavaScript closure, and lets the same code run in tests.

export enum Kind {
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Union = 5,
  Enum = 6,
  Fwd = 7,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Restrict = 11,
  Func = 12,
  FuncProto = 13,
  Var = 14,
  Datasec = 15,
  Float = 16,
  DeclTag = 17,
  TypeTag = 18,
  Enum64 = 19,
}

export interface Member {
  name: string;
  type: number;
  /** Offset in bits from the start of the struct. */
  bitOffset: number;
  /** Bit-field width, 0 for a whole member. */
  bitSize: number;
}

export interface BtfType {
  id: number;
  kind: Kind;
  name: string;
  /** Bytes, for kinds that have a size (int, struct, union, enum, float, datasec). */
  size: number;
  /** The referenced type (ptr, typedef, modifiers, var, func, array element). */
  type: number;
  /** int: signed, char or bool encoding, and bit width. */
  int?: { signed: boolean; char: boolean; bool: boolean; bits: number; bitOffset: number };
  array?: { elem: number; count: number };
  members?: Member[];
  /** enum / enum64 values; `signed` from kind_flag. */
  values?: { name: string; value: bigint }[];
  signed?: boolean;
}

const MAGIC = 0xeb9f;

export class Btf {
  /** types[id]; types[0] is void. */
  readonly types: BtfType[];

  constructor(types: BtfType[]) {
    this.types = types;
  }

  get(id: number): BtfType | undefined {
    return this.types[id];
  }

  /** Follows typedefs and qualifiers (const, volatile, restrict, type tags) to the real type. */
  resolve(id: number): BtfType | undefined {
    let t = this.types[id];
    for (let hops = 0; t && hops < 64; hops++) {
      if (
        t.kind !== Kind.Typedef &&
        t.kind !== Kind.Const &&
        t.kind !== Kind.Volatile &&
        t.kind !== Kind.Restrict &&
        t.kind !== Kind.TypeTag
      )
        return t;
      t = this.types[t.type];
    }
    return undefined;
  }

  /** Typedef names met on the way to the real type, outermost first (e.g. ["__be32", "__u32"]). */
  aliases(id: number): string[] {
    const out: string[] = [];
    let t = this.types[id];
    for (let hops = 0; t && hops < 64; hops++) {
      if (t.kind === Kind.Typedef) out.push(t.name);
      else if (t.kind !== Kind.Const && t.kind !== Kind.Volatile && t.kind !== Kind.Restrict && t.kind !== Kind.TypeTag) break;
      t = this.types[t.type];
    }
    return out;
  }

  /** Size in bytes of a type (after resolving), 0 for void/func. */
  sizeOf(id: number): number {
    const t = this.resolve(id);
    if (!t) return 0;
    if (t.kind === Kind.Ptr) return 8;
    if (t.kind === Kind.Array) return t.array!.count * this.sizeOf(t.array!.elem);
    return t.size;
  }

  /** A type by C name: "struct event", "event" (struct, union, typedef or enum), "enum kind". */
  find(name: string): BtfType | undefined {
    const m = /^\s*(struct|union|enum)\s+(\w+)\s*$/.exec(name);
    const want = m ? m[2] : name.trim();
    const kinds = m
      ? m[1] === 'struct'
        ? [Kind.Struct]
        : m[1] === 'union'
          ? [Kind.Union]
          : [Kind.Enum, Kind.Enum64]
      : [Kind.Struct, Kind.Union, Kind.Typedef, Kind.Enum, Kind.Enum64, Kind.Int];
    // A complete definition wins over a forward declaration of the same name.
    return this.types.find((t) => t && t.name === want && kinds.includes(t.kind));
  }

  /** Named structs and unions with a size, in id order (what a user can pick as a record type). */
  records(): BtfType[] {
    return this.types.filter((t) => t && (t.kind === Kind.Struct || t.kind === Kind.Union) && t.name !== '' && t.size > 0);
  }

  /** C spelling of a type, for labels: "struct event", "__u32", "char[16]", "void *". */
  cName(id: number, depth = 0): string {
    const t = this.types[id];
    if (!t || id === 0) return 'void';
    if (depth > 8) return '…';
    switch (t.kind) {
      case Kind.Struct:
        return `struct ${t.name || '(anon)'}`;
      case Kind.Union:
        return `union ${t.name || '(anon)'}`;
      case Kind.Enum:
      case Kind.Enum64:
        return `enum ${t.name || '(anon)'}`;
      case Kind.Ptr:
        return `${this.cName(t.type, depth + 1)} *`;
      case Kind.Array:
        return `${this.cName(t.array!.elem, depth + 1)}[${t.array!.count}]`;
      case Kind.Const:
        return `const ${this.cName(t.type, depth + 1)}`;
      case Kind.Volatile:
        return `volatile ${this.cName(t.type, depth + 1)}`;
      case Kind.Restrict:
      case Kind.TypeTag:
        return this.cName(t.type, depth + 1);
      case Kind.FuncProto:
        return 'function';
      default:
        return t.name || '(anon)';
    }
  }
}

/** The string section holds names and, in program BTF, the source lines of line info. */
export interface ParsedBtf {
  btf: Btf;
  strings: string;
}

/** Parses raw BTF bytes (little- or big-endian, as the header's magic says). Throws on malformed input. */
export function parseBtf(bytes: Uint8Array): ParsedBtf {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 24) throw new Error('BTF too short for its header');
  const little = buf.readUInt16LE(0) === MAGIC;
  if (!little && buf.readUInt16BE(0) !== MAGIC) throw new Error('not BTF (bad magic)');
  const u32 = (o: number) => (little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const i32 = (o: number) => (little ? buf.readInt32LE(o) : buf.readInt32BE(o));
  const hdrLen = u32(4);
  const typeOff = hdrLen + u32(8);
  const typeLen = u32(12);
  const strOff = hdrLen + u32(16);
  const strLen = u32(20);
  if (typeOff + typeLen > buf.length || strOff + strLen > buf.length) throw new Error('BTF sections run past the end');
  const strings = buf.toString('latin1', strOff, strOff + strLen);
  const str = (off: number) => {
    if (off >= strLen) return '';
    const end = strings.indexOf('\0', off);
    return strings.slice(off, end < 0 ? strLen : end);
  };

  const types: BtfType[] = [{ id: 0, kind: 0 as Kind, name: 'void', size: 0, type: 0 }];
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p + 12 <= end) {
    const nameOff = u32(p);
    const info = u32(p + 4);
    const sizeOrType = u32(p + 8);
    p += 12;
    const vlen = info & 0xffff;
    const kind = ((info >>> 24) & 0x1f) as Kind;
    const kindFlag = info >>> 31 === 1;
    const t: BtfType = { id: types.length, kind, name: str(nameOff), size: 0, type: 0 };
    switch (kind) {
      case Kind.Int: {
        const enc = u32(p);
        p += 4;
        const e = (enc >>> 24) & 0x0f;
        t.size = sizeOrType;
        t.int = { signed: (e & 1) !== 0, char: (e & 2) !== 0, bool: (e & 4) !== 0, bits: enc & 0xff, bitOffset: (enc >>> 16) & 0xff };
        break;
      }
      case Kind.Array:
        t.array = { elem: u32(p), count: u32(p + 8) };
        t.type = t.array.elem;
        p += 12;
        break;
      case Kind.Struct:
      case Kind.Union:
        t.size = sizeOrType;
        t.members = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = u32(p + 8);
          t.members.push({
            name: str(u32(p)),
            type: u32(p + 4),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitSize: kindFlag ? off >>> 24 : 0,
          });
        }
        break;
      case Kind.Enum:
        t.size = sizeOrType;
        t.signed = kindFlag;
        t.values = [];
        for (let i = 0; i < vlen; i++, p += 8) t.values.push({ name: str(u32(p)), value: BigInt(kindFlag ? i32(p + 4) : u32(p + 4)) });
        break;
      case Kind.Enum64:
        t.size = sizeOrType;
        t.signed = kindFlag;
        t.values = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const v = (BigInt(u32(p + 8)) << 32n) | BigInt(u32(p + 4));
          t.values.push({ name: str(u32(p)), value: kindFlag ? BigInt.asIntN(64, v) : v });
        }
        break;
      case Kind.FuncProto:
        t.type = sizeOrType;
        p += 8 * vlen;
        break;
      case Kind.Var:
        t.type = sizeOrType;
        p += 4;
        break;
      case Kind.Datasec:
        t.size = sizeOrType;
        p += 12 * vlen;
        break;
      case Kind.DeclTag:
        t.type = sizeOrType;
        p += 4;
        break;
      case Kind.Float:
        t.size = sizeOrType;
        break;
      case Kind.Ptr:
      case Kind.Fwd:
      case Kind.Typedef:
      case Kind.Volatile:
      case Kind.Const:
      case Kind.Restrict:
      case Kind.Func:
      case Kind.TypeTag:
        t.type = sizeOrType;
        break;
      default:
        throw new Error(`unknown BTF kind ${kind} at type ${t.id}`);
    }
    types.push(t);
  }
  return { btf: new Btf(types), strings };
}
