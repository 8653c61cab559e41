// The line info of a BPF object (.BTF.ext line_info, with file names and source lines from .BTF's
// string table), read from the object's bytes: which C line each instruction of a program came
// from, exactly as clang recorded it. The verifier log prints the same information only where
// the line changes, so an instruction reached by a jump may carry no annotation of its own; this
// fills the gap without guessing. Pure: the caller reads the file. Only what is needed is read:
// ELF64 little-endian section headers and symbols, the .BTF header and strings, and line_info.

export interface LineInfoEntry {
  /** File name as clang recorded it (often an absolute path). */
  file: string;
  /** 1-based. */
  line: number;
  column: number;
}

export interface ObjectLineInfo {
  /** The source line of instruction `insn` (0-based, as the verifier numbers them) of program `name`. */
  locate(program: string, insn: number): LineInfoEntry | undefined;
  /** Programs the object defines (function symbols in executable sections). */
  programs(): string[];
  /**
   * The source line of CO-RE relocation `relo #n` as libbpf numbers them for program `name`
   * (the n-th record of the program's section in .BTF.ext core_relo).
   */
  relocation?(program: string, n: number): LineInfoEntry | undefined;
  /** The source files the object's line info names (what it was built from; headers only when they hold code). */
  files?(): string[];
}

interface Section {
  name: string;
  offset: number;
  size: number;
  type: number;
  flags: number;
  link: number;
  entsize: number;
}

const SHT_SYMTAB = 2;
const SHF_EXECINSTR = 0x4;
const STT_FUNC = 2;
const BTF_MAGIC = 0xeb9f;

/** Parses the object's line info; undefined when it is not a little-endian ELF64 with .BTF.ext. */
export function readLineInfo(bytes: Uint8Array): ObjectLineInfo | undefined {
  try {
    return parse(bytes);
  } catch {
    // A truncated or foreign file is not an error here: the log's own annotations still work.
    return undefined;
  }
}

function parse(bytes: Uint8Array): ObjectLineInfo | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 64 || view.getUint32(0, false) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return undefined;
  const shoff = Number(view.getBigUint64(0x28, true));
  const shentsize = view.getUint16(0x3a, true);
  const shnum = view.getUint16(0x3c, true);
  const shstrndx = view.getUint16(0x3e, true);
  const raw: (Omit<Section, 'name'> & { nameOff: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    raw.push({
      nameOff: view.getUint32(at, true),
      type: view.getUint32(at + 4, true),
      flags: Number(view.getBigUint64(at + 8, true)),
      offset: Number(view.getBigUint64(at + 0x18, true)),
      size: Number(view.getBigUint64(at + 0x20, true)),
      link: view.getUint32(at + 0x28, true),
      entsize: Number(view.getBigUint64(at + 0x38, true)),
    });
  }
  const shstr = raw[shstrndx];
  const cstr = (base: number, off: number) => {
    let end = base + off;
    while (end < bytes.length && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(base + off, end));
  };
  const sections: Section[] = raw.map(({ nameOff, ...s }) => ({ ...s, name: cstr(shstr.offset, nameOff) }));
  const btf = sections.find((s) => s.name === '.BTF');
  const ext = sections.find((s) => s.name === '.BTF.ext');
  if (!btf || !ext) return undefined;

  // .BTF: strings at hdr_len + str_off.
  if (view.getUint16(btf.offset, true) !== BTF_MAGIC) return undefined;
  const btfHdrLen = view.getUint32(btf.offset + 4, true);
  const strOff = view.getUint32(btf.offset + 16, true);
  const strBase = btf.offset + btfHdrLen + strOff;
  const btfStr = (off: number) => cstr(strBase, off);

  // .BTF.ext: header, then line_info = rec_size, { sec_name_off, num_info, records[] }*.
  if (view.getUint16(ext.offset, true) !== BTF_MAGIC) return undefined;
  const extHdrLen = view.getUint32(ext.offset + 4, true);
  const lineOff = view.getUint32(ext.offset + 16, true);
  const lineLen = view.getUint32(ext.offset + 20, true);
  const base = ext.offset + extHdrLen + lineOff;
  const end = base + lineLen;
  const recSize = view.getUint32(base, true);
  if (recSize < 16) return undefined;
  const bySection = new Map<string, { insn: number; entry: LineInfoEntry }[]>();
  for (let at = base + 4; at + 8 <= end;) {
    const sec = btfStr(view.getUint32(at, true));
    const n = view.getUint32(at + 4, true);
    at += 8;
    const list: { insn: number; entry: LineInfoEntry }[] = [];
    for (let i = 0; i < n && at + recSize <= end; i++, at += recSize) {
      const lineCol = view.getUint32(at + 12, true);
      list.push({
        insn: view.getUint32(at, true) / 8,
        entry: { file: btfStr(view.getUint32(at + 4, true)), line: lineCol >>> 10, column: lineCol & 0x3ff },
      });
    }
    list.sort((a, b) => a.insn - b.insn);
    bySection.set(sec, list);
  }

  // core_relo (headers of 32 bytes and more): rec_size, { sec_name_off, num_info, records[] }*,
  // each record starting with the instruction's byte offset in its section.
  const relos = new Map<string, number[]>();
  if (extHdrLen >= 32) {
    const reloOff = view.getUint32(ext.offset + 24, true);
    const reloLen = view.getUint32(ext.offset + 28, true);
    const rbase = ext.offset + extHdrLen + reloOff;
    const rend = Math.min(rbase + reloLen, ext.offset + ext.size);
    const rsize = reloLen >= 4 ? view.getUint32(rbase, true) : 0;
    for (let at = rbase + 4; rsize >= 16 && at + 8 <= rend;) {
      const sec = btfStr(view.getUint32(at, true));
      const n = view.getUint32(at + 4, true);
      at += 8;
      const list: number[] = [];
      for (let i = 0; i < n && at + rsize <= rend; i++, at += rsize) list.push(view.getUint32(at, true) / 8);
      relos.set(sec, list);
    }
  }
  const lineAt = (section: string, target: number): LineInfoEntry | undefined => {
    const list = bySection.get(section);
    if (!list) return undefined;
    // The record at or before the instruction covers it (line info is emitted where the line changes).
    let lo = 0;
    let hi = list.length - 1;
    let found: LineInfoEntry | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].insn <= target) {
        found = list[mid].entry;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found && found.line > 0 ? found : undefined;
  };

  // Programs: function symbols in executable sections, with their first instruction and size.
  const programs = new Map<string, { section: string; first: number; count: number }>();
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (symtab) {
    const strtab = sections[symtab.link];
    for (let at = symtab.offset; at + 24 <= symtab.offset + symtab.size; at += symtab.entsize || 24) {
      const info = bytes[at + 4];
      const shndx = view.getUint16(at + 6, true);
      const section = sections[shndx];
      if ((info & 0xf) !== STT_FUNC || !section || !(section.flags & SHF_EXECINSTR)) continue;
      const name = cstr(strtab.offset, view.getUint32(at, true));
      programs.set(name, {
        section: section.name,
        first: Number(view.getBigUint64(at + 8, true)) / 8,
        count: Number(view.getBigUint64(at + 16, true)) / 8,
      });
    }
  }

  const files = new Set<string>();
  for (const list of bySection.values()) for (const r of list) if (r.entry.file) files.add(r.entry.file);

  return {
    programs: () => [...programs.keys()],
    files: () => [...files],
    locate(program, insn) {
      const p = programs.get(program);
      // Instructions past the program's own are subprograms libbpf appended: their order is libbpf's.
      if (!p || insn < 0 || insn >= p.count) return undefined;
      return lineAt(p.section, p.first + insn);
    },
    relocation(program, n) {
      const p = programs.get(program);
      const insn = p ? relos.get(p.section)?.[n] : undefined;
      return p && insn !== undefined ? lineAt(p.section, insn) : undefined;
    },
  };
}
