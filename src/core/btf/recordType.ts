// Which struct a ring buffer or perf event array carries, read from C source text: the
// `sizeof(struct X)` or the type of the reserved pointer in bpf_ringbuf_reserve / bpf_ringbuf_output /
// bpf_perf_event_output calls on that map. Works on a .bpf.c file (the extension) and on the source
// lines that clang stores in a program's BTF line info (the helper, when the client sends no type).
// Pure text analysis; the caller looks the name up in the object's BTF.

const CALLS: { re: RegExp; mapArg: number; sizeArg: number; dataArg?: number }[] = [
  { re: /\bbpf_ringbuf_reserve\s*\(/g, mapArg: 0, sizeArg: 1 },
  { re: /\bbpf_ringbuf_output\s*\(/g, mapArg: 0, sizeArg: 2, dataArg: 1 },
  { re: /\bbpf_perf_event_output\s*\(/g, mapArg: 1, sizeArg: 4, dataArg: 3 },
  { re: /\bbpf_ringbuf_reserve_dynptr\s*\(/g, mapArg: 0, sizeArg: 1 },
];

/** Top-level comma-separated arguments of the call whose "(" ends at `open`. */
function callArgs(src: string, open: number): string[] | undefined {
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = open; i < src.length && i < open + 2000; i++) {
    const c = src[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) {
        args.push(cur.trim());
        return args;
      }
      depth--;
    }
    if (c === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  return undefined;
}

/** `name` declared as `struct X *name` / `struct X name` / `T *name` somewhere in the source: its type. */
function declaredType(src: string, name: string, pointer: boolean): string | undefined {
  const star = pointer ? '\\*\\s*' : '';
  const re = new RegExp(`\\b(struct\\s+\\w+|union\\s+\\w+|\\w+)\\s*${star}\\b${name}\\b\\s*(?:[=;,)\\[])`, 'g');
  for (const m of src.matchAll(re)) {
    const t = m[1].replace(/\s+/g, ' ');
    if (!/^(return|sizeof|if|while|for|else)$/.test(t)) return t;
  }
  return undefined;
}

/** The C type a sizeof(...) argument names: sizeof(struct X), sizeof(X_t), sizeof(*e), sizeof(e). */
function sizeofType(src: string, arg: string): string | undefined {
  const m = /^sizeof\s*\(\s*(.+?)\s*\)$/.exec(arg) ?? /^sizeof\s+(\S+)$/.exec(arg);
  if (!m) return undefined;
  const inner = m[1];
  if (/^(struct|union)\s+\w+$/.test(inner)) return inner.replace(/\s+/g, ' ');
  const deref = /^\*\s*(\w+)$/.exec(inner);
  if (deref) return declaredType(src, deref[1], true);
  if (/^\w+$/.test(inner)) return declaredType(src, inner, false) ?? (/_t$|^[A-Z]/.test(inner) ? inner : undefined);
  return undefined;
}

/**
 * Record types used with `mapName` in `src`, most likely first (deduplicated). Each is a C type
 * name as written: "struct event", "event_t".
 */
export function inferRecordTypes(src: string, mapName: string): string[] {
  // The kernel keeps 15 characters of a map's name: a name that long may be a prefix.
  const name = mapName.length >= 15 ? `${mapName}\\w*` : mapName;
  const found: string[] = [];
  const add = (t: string | undefined) => {
    if (t && !found.includes(t) && !/^(void|char|int|long|__u8|__u32|__u64|u8|u32|u64)$/.test(t)) found.push(t);
  };
  for (const { re, mapArg: mapIndex, sizeArg, dataArg } of CALLS) {
    for (const m of src.matchAll(re)) {
      const args = callArgs(src, m.index! + m[0].length);
      if (!args) continue;
      const mapArg = args[mapIndex];
      if (!mapArg || !new RegExp(`^&?\\s*${name}$`).test(mapArg.replace(/^\(\s*void\s*\*\s*\)\s*/, ''))) continue;
      const size = args[sizeArg];
      add(size ? sizeofType(src, size) : undefined);
      // bpf_ringbuf_output(&rb, &e, sizeof(e), 0) and perf output with `e` declared as a struct.
      if (dataArg !== undefined) {
        const data = /^&\s*(\w+)$/.exec(args[dataArg] ?? '')?.[1] ?? /^(\w+)$/.exec(args[dataArg] ?? '')?.[1];
        if (data) add(declaredType(src, data, !args[dataArg].startsWith('&')));
      }
      // e = bpf_ringbuf_reserve(...): the declared type of the assigned pointer.
      if (sizeArg === 1) {
        const before = src.slice(Math.max(0, m.index! - 200), m.index!);
        const assigned = /(\w+)\s*=\s*(?:\([^)]*\)\s*)?$/.exec(before)?.[1];
        if (assigned) add(declaredType(src, assigned, true));
      }
    }
  }
  return found;
}
