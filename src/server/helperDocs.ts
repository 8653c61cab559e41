// Hovers for BPF helpers (documentation generated at build time from libbpf's
// bpf_helper_defs.h by scripts/gen-helper-docs.mjs) and for kfuncs declared with `__ksym`.
import generated from './generated/helperDocs.json';

export interface HelperDoc {
  id: number;
  signature: string;
  description: string;
  returns: string;
}

const helpers: Record<string, HelperDoc> = generated.helpers;

export function helperDoc(name: string): HelperDoc | undefined {
  return Object.prototype.hasOwnProperty.call(helpers, name) ? helpers[name] : undefined;
}

export function helperCount(): number {
  return Object.keys(helpers).length;
}

export function helperHover(name: string): string | undefined {
  const h = helperDoc(name);
  if (!h) return undefined;
  const parts = [`\`\`\`c\n${h.signature}\n\`\`\``, `BPF helper #${h.id}`];
  if (h.description) parts.push(h.description);
  if (h.returns) parts.push(`**Returns:** ${h.returns}`);
  parts.push(`[Documentation](https://docs.ebpf.io/linux/helper-function/${name}/)`);
  return parts.join('\n\n');
}

/**
 * kfunc prototypes declared in C: `extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;`
 * (also `__ksym __weak`, and bpftool's vmlinux.h prototypes). Returns name → declaration text.
 */
export function kfuncDeclarations(text: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!text.includes('__ksym')) return out;
  const re = /\bextern\s+([^;{}]*?\b([A-Za-z_]\w*)\s*\([^;{}]*?\))\s*(?:__\w+(?:\([^)]*\))?\s*)*__ksym\b[^;]*;/g;
  for (let m; (m = re.exec(text));) out.set(m[2], m[1].replace(/\s+/g, ' ').trim());
  return out;
}

export function kfuncHover(name: string, declaration: string): string {
  return [
    `\`\`\`c\n${declaration}\n\`\`\``,
    `kfunc \`${name}\`: a kernel function callable from BPF (resolved against the kernel's BTF at load time).`,
    '[Documentation](https://docs.kernel.org/bpf/kfuncs.html)',
  ].join('\n\n');
}

/** The C identifier under a position, if any. */
export function identifierAt(lineText: string, character: number): string | undefined {
  const re = /[A-Za-z_]\w*/g;
  for (let m; (m = re.exec(lineText));) {
    if (m.index <= character && character <= m.index + m[0].length) return m[0];
    if (m.index > character) break;
  }
  return undefined;
}
