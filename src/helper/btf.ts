// BTF on the target: the vmlinux.h text for building programs against this kernel, and
// formatting of raw map keys/values as C values with the map's own BTF (btf_dump).
import * as fs from 'node:fs';
import { HelperError } from './errors';
import * as L from './libbpf';

const VMLINUX = '/sys/kernel/btf/vmlinux';

/** The same text `bpftool btf dump file /sys/kernel/btf/vmlinux format c` prints. */
export function vmlinuxHeader(): string {
  if (!fs.existsSync(VMLINUX)) {
    throw new HelperError('NO_BTF', `this kernel has no BTF (${VMLINUX} is missing)`, {
      fix: 'use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distributions since 2020), or ship a vmlinux.h generated on a matching kernel',
    });
  }
  const btf = L.btfLoadVmlinux();
  const parts: string[] = [
    '#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n',
    '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n',
  ];
  const d = L.btfDumpNew(btf, (text) => parts.push(text));
  try {
    const n = L.btfTypeCount(btf);
    for (let id = 1; id < n; id++) L.btfDumpType(d.dump, id);
  } finally {
    L.btfDumpFree(d);
    L.btfFree(btf);
  }
  parts.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n');
  return parts.join('');
}

/** Formats values with a map's BTF; keeps one loaded BTF per id until disposed. */
export class BtfFormatter {
  private readonly cache = new Map<number, { btf: L.Btf; dump: { dump: L.BtfDump; callback: unknown }; out: string[] } | null>();

  /** C-like text of `data` as BTF type `typeId` of BTF object `btfId`, or undefined without BTF. */
  format(btfId: number, typeId: number, data: Buffer): string | undefined {
    if (!btfId || !typeId) return undefined;
    let entry = this.cache.get(btfId);
    if (entry === undefined) {
      try {
        const btf = L.btfLoadById(btfId);
        const out: string[] = [];
        entry = { btf, dump: L.btfDumpNew(btf, (t) => out.push(t)), out };
      } catch {
        entry = null; // BTF gone or unreadable: raw bytes only
      }
      this.cache.set(btfId, entry);
    }
    if (!entry) return undefined;
    entry.out.length = 0;
    try {
      L.btfDumpData(entry.dump.dump, typeId, data);
    } catch {
      return undefined;
    }
    return entry.out.join('');
  }

  dispose(): void {
    for (const e of this.cache.values()) {
      if (!e) continue;
      L.btfDumpFree(e.dump);
      L.btfFree(e.btf);
    }
    this.cache.clear();
  }
}
