// Maps instruction indexes to source lines. The verifier prints a `; text @ file:line` annotation
// at the first instruction of each BTF line-info range, so the line of instruction k is the one
// of the nearest annotated instruction at or before k. Older kernels print only `; text`; then the
// text is looked up in the sources the caller gave us.

export interface Annotation {
  text: string;
  file?: string;
  /** 0 means compiler-generated code with no line of its own. */
  line?: number;
}

export interface SourceLocation {
  file?: string;
  line?: number;
  text: string;
}

const MAX_COVERED = 1 << 18;

export class AnnotationTable {
  private readonly byInsn = new Map<number, Annotation>();
  // Instructions reached by falling through from an annotated one: same source range.
  private readonly covered = new Map<number, Annotation>();

  set(insn: number, annotation: Annotation): void {
    this.byInsn.set(insn, annotation);
  }

  cover(insn: number, annotation: Annotation): void {
    if (this.byInsn.has(insn)) return;
    // Bounded like everything else kept per program: a huge program loses precision, not memory.
    if (this.covered.size >= MAX_COVERED && !this.covered.has(insn)) this.covered.clear();
    this.covered.set(insn, annotation);
  }

  /**
   * The annotation of `insn`, and whether it is known for that instruction. At level 1 the
   * kernel rewinds the log when it abandons a path but still remembers which line it printed
   * last, so an instruction reached by a jump may have lost its annotation: then `known` is
   * false and the annotation is the nearest one before it, a guess.
   */
  find(insn: number): { annotation?: Annotation; known: boolean } {
    const a = this.byInsn.get(insn) ?? this.covered.get(insn);
    if (a && (a.line === undefined || a.line > 0)) return { annotation: a, known: true };
    return { annotation: this.at(insn), known: !!a };
  }

  get size(): number {
    return this.byInsn.size;
  }

  /** The annotation covering instruction `insn`, skipping compiler-made (`:0`) ranges. */
  at(insn: number): Annotation | undefined {
    let best = -1;
    let bestUseful = -1;
    for (const [k, a] of this.byInsn) {
      if (k > insn) continue;
      if (k > best) best = k;
      if (k > bestUseful && (a.line === undefined || a.line > 0)) bestUseful = k;
    }
    const k = bestUseful >= 0 ? bestUseful : best;
    return k >= 0 ? this.byInsn.get(k) : undefined;
  }

  /** The annotation printed exactly at `insn` (the first instruction of a source range). */
  exactly(insn: number): Annotation | undefined {
    return this.byInsn.get(insn);
  }
}

export function basename(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

/** Finds the source text for a file name as printed in a log (usually a basename). */
export function findSource(sources: ReadonlyMap<string, string> | undefined, file: string): [string, string] | undefined {
  if (!sources) return undefined;
  const direct = sources.get(file);
  if (direct !== undefined) return [file, direct];
  const base = basename(file);
  for (const [key, text] of sources) if (basename(key) === base) return [key, text];
  return undefined;
}

const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * Resolve an annotation to a file and 1-based line. With `@ file:line` that is direct; without,
 * the annotation text (the kernel strips leading blanks) is searched in the sources, preferring
 * the first match at or after `hintLine` so repeated statements resolve in program order.
 */
export function resolveAnnotation(
  a: Annotation | undefined,
  sources?: ReadonlyMap<string, string>,
  hintLine = 0,
): SourceLocation | undefined {
  if (!a) return undefined;
  if (a.line !== undefined && a.line > 0) {
    // The log names a basename; report the caller's own key for it (e.g. a path relative to the project).
    const file = a.file && sources ? (findSource(sources, a.file)?.[0] ?? a.file) : a.file;
    return { file, line: a.line, text: a.text };
  }
  const wanted = normalize(a.text);
  if (!sources || !wanted) return { file: a.file, text: a.text };
  const candidates: [string, string][] = a.file ? [findSource(sources, a.file) ?? [a.file, '']] : [...sources];
  let fallback: SourceLocation | undefined;
  for (const [file, text] of candidates) {
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (normalize(lines[i]) !== wanted) continue;
      const loc = { file: a.file ?? file, line: i + 1, text: a.text };
      if (i + 1 >= hintLine) return loc;
      fallback ??= loc;
    }
  }
  return fallback ?? { file: a.file, text: a.text };
}
