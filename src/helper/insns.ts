// prog.insns: a loaded program's instructions as the kernel keeps them (xlated, and the JIT's
// machine code on request) with its BTF line and function info resolved to text, and the names of
// its call targets from /proc/kallsyms, which only root can read with addresses. The client prints
// the instructions (src/core/insight/disasm.ts), so what it shows matches bpftool's xlated dump.
import * as fs from 'node:fs';
import type { ProgInsnsResult, ProgLineInfo } from '../protocol/types';
import { progTypeName } from '../protocol/names';
import * as L from './libbpf';

const BPF_CALL = 0x85;
const PSEUDO_CALL = 1;
const PSEUDO_KFUNC_CALL = 2;

/** Exact-address lookups in /proc/kallsyms (what bpftool's kernel_syms_search answers). */
class Kallsyms {
  private text?: string;

  private load(): string {
    this.text ??= fs.readFileSync('/proc/kallsyms', 'latin1');
    return this.text;
  }

  /** Address of a symbol, or undefined. */
  addressOf(name: string): bigint | undefined {
    const text = this.load();
    const re = new RegExp(`^([0-9a-f]+) \\w ${name.replace(/[^\w]/g, '')}$`, 'm');
    const m = re.exec(text);
    return m ? BigInt(`0x${m[1]}`) : undefined;
  }

  /** Name at exactly `address`, or undefined. */
  nameAt(address: bigint): string | undefined {
    const text = this.load();
    const hex = address.toString(16).padStart(16, '0');
    const at = text.startsWith(`${hex} `) ? 0 : text.indexOf(`\n${hex} `);
    if (at < 0) return undefined;
    const start = at === 0 ? 0 : at + 1;
    const end = text.indexOf('\n', start);
    const fields = text.slice(start, end < 0 ? undefined : end).split(/\s+/);
    return fields[2];
  }
}

/** One program's dump, by an fd the caller owns. */
export function programInsns(fd: number, withJited: boolean): ProgInsnsResult {
  const d = L.progDump(fd, withJited);
  const { info } = d;
  const btf = info.btf_id ? tryLoadBtf(info.btf_id) : undefined;
  try {
    const lineInfo: ProgLineInfo[] = [];
    const rec = info.line_info_rec_size || 16;
    for (let off = 0; off + 16 <= d.lineInfo.length; off += rec) {
      const lineCol = d.lineInfo.readUInt32LE(off + 12);
      lineInfo.push({
        insn: d.lineInfo.readUInt32LE(off),
        file: btf ? L.btfNameByOffset(btf, d.lineInfo.readUInt32LE(off + 4)) : '',
        text: btf ? L.btfNameByOffset(btf, d.lineInfo.readUInt32LE(off + 8)) : '',
        line: lineCol >>> 10,
        column: lineCol & 0x3ff,
      });
    }
    const functions: ProgInsnsResult['functions'] = [];
    const frec = info.func_info_rec_size || 8;
    for (let off = 0; off + 8 <= d.funcInfo.length; off += frec) {
      functions.push({ insn: d.funcInfo.readUInt32LE(off), name: btf ? L.btfTypeName(btf, d.funcInfo.readUInt32LE(off + 4)) : '' });
    }

    const syms = new Kallsyms();
    const callNames: Record<number, string> = {};
    const base = (() => {
      try {
        return syms.addressOf('__bpf_call_base');
      } catch {
        return undefined; // no /proc/kallsyms: calls keep the kernel's default text
      }
    })();
    for (let i = 0; i + 8 <= d.xlated.length; i += 8) {
      if (d.xlated[i] !== BPF_CALL) continue;
      const src = d.xlated[i + 1] >> 4;
      const imm = d.xlated.readInt32LE(i + 4);
      const index = i / 8;
      if (src === PSEUDO_CALL) {
        // Once jited, imm indexes the jited ksyms and off keeps the relative target: bpftool prints `pc+off#name`.
        const target = imm >= 0 && imm < d.jitedKsyms.length ? d.jitedKsyms[imm] : undefined;
        if (d.jitedKsyms.length === 0 || target === undefined) continue;
        const off = d.xlated.readInt16LE(i + 2);
        const name = base !== undefined ? syms.nameAt(target) : undefined;
        callNames[index] = `${off >= 0 ? '+' : ''}${off}#${name ?? `0x${target.toString(16)}`}`;
      } else if (base !== undefined && (src === 0 || src === PSEUDO_KFUNC_CALL)) {
        const address = BigInt.asUintN(64, base + BigInt(imm));
        callNames[index] = syms.nameAt(address) ?? `0x${address.toString(16)}`;
      }
    }

    let jited: ProgInsnsResult['jited'];
    if (d.jited && d.jited.length) {
      const fns: { name: string; offset: number; length: number }[] = [];
      let offset = 0;
      d.jitedKsyms.forEach((addr, k) => {
        const length = d.jitedFuncLens[k] ?? 0;
        fns.push({ name: (base !== undefined && syms.nameAt(addr)) || functions[k]?.name || `func${k}`, offset, length });
        offset += length;
      });
      // A line's machine code starts at its jited address, relative to the function that holds it.
      d.jitedLineInfo.forEach((addr, k) => {
        const f = d.jitedKsyms.findIndex((start, j) => addr >= start && addr < start + BigInt(d.jitedFuncLens[j] ?? 0));
        if (f >= 0 && lineInfo[k]) lineInfo[k].jitedOffset = fns[f].offset + Number(addr - d.jitedKsyms[f]);
      });
      jited = { bytes: d.jited.toString('base64'), functions: fns };
    }

    return {
      id: info.id,
      name: info.name,
      tag: Buffer.from(info.tag).toString('hex'),
      type: info.type,
      typeName: progTypeName(info.type),
      verifiedInsns: info.verified_insns,
      xlated: d.xlated.toString('base64'),
      lineInfo,
      functions,
      callNames,
      jited,
    };
  } finally {
    if (btf) L.btfFree(btf);
  }
}

function tryLoadBtf(id: number): L.Btf | undefined {
  try {
    return L.btfLoadById(id);
  } catch {
    return undefined; // the program's BTF is gone or unreadable: instructions without lines
  }
}
