// The public shapes of the verifier core. Pure data: the language server, the CLI and the
// tests all read these, so fields are only ever added, never renamed.

export type Severity = 'error' | 'warning';

/** A place in the user's source that explains the finding (root cause, allocation site, ...). */
export interface RelatedLocation {
  file?: string;
  /** 1-based. */
  line?: number;
  message: string;
  /** The instruction index the location was derived from, when it came from the log. */
  insnIndex?: number;
}

/**
 * Data for a mechanical fix. The core knows what to change, the editor knows how to edit:
 * - `copy-to-stack`: `symbol` (or `expression`) is a global / map value passed where a stack pointer is required;
 *   copy it into a local variable and pass its address.
 * - `add-null-check`: `register` may be NULL (`*_or_null`); guard the dereference on `line`;
 *   `symbol` is the C variable holding it, when the statement that produced it assigns one.
 * - `callback-return-range` / `program-return-range`: the function must return a value in `range`;
 *   `functionName` names the callback (from the call that registered it).
 * - `add-bounds-check`: an index/offset in `register` is not bounded; clamp or check it.
 * - `release-reference`: a reference acquired at `line` (into variable `symbol`) is leaked; submit/discard/release it.
 * - `license-gpl`: the program uses GPL-only helpers; declare a GPL-compatible license.
 */
export interface QuickFix {
  kind:
    | 'copy-to-stack'
    | 'add-null-check'
    | 'callback-return-range'
    | 'program-return-range'
    | 'add-bounds-check'
    | 'release-reference'
    | 'license-gpl';
  file?: string;
  line?: number;
  register?: string;
  symbol?: string;
  expression?: string;
  /** For return-range fixes: allowed inclusive range. */
  range?: [number, number];
  /** Name of the function (callback) concerned, when known. */
  functionName?: string;
}

export interface Finding {
  severity: Severity;
  /** The log line that states the error, verbatim. */
  message: string;
  file?: string;
  /** 1-based. */
  line?: number;
  /** 1-based, when known (clang diagnostics). */
  column?: number;
  title: string;
  explanation: string;
  fix: string;
  fixExample?: string;
  docsUrl?: string;
  /** Catalog entry id, or null when no specific entry matched (generic hint given). */
  catalogId: string | null;
  /** Details decoded from the message (register, types, offsets, range, helper ...). */
  details?: Record<string, string>;
  /** Where the verifier stopped (instruction index), when known. */
  insnIndex?: number;
  /** The source text of the annotation at the primary location, as the log printed it. */
  sourceText?: string;
  /** Register/stack state at the failing point, as printed in the log (for hovers). */
  registers?: string;
  /** The program (libbpf name) this finding belongs to, when known. */
  program?: string;
  /** Who produced the message. */
  origin: 'verifier' | 'libbpf' | 'clang';
  related: RelatedLocation[];
  quickFix?: QuickFix;
}

export interface ProgramStats {
  insnsProcessed: number;
  insnLimit?: number;
  maxStatesPerInsn?: number;
  totalStates?: number;
  peakStates?: number;
  markRead?: number;
  verificationTimeUsec?: number;
  /** As printed, e.g. "8+0" (one number per subprogram). */
  stackDepth?: string;
}

export interface ProgramLog {
  /** libbpf's program name when the log was wrapped by libbpf, else undefined. */
  name?: string;
  /** Number of instruction lines seen (level 2 logs repeat instructions). */
  instructionLines: number;
  /** Subprograms the verifier announced (`func#N @insn`). */
  subprograms: { index: number; insn: number }[];
  stats?: ProgramStats;
  /** True when this program's log was cut (no stats line, no END marker, or `-ENOSPC`). */
  truncated: boolean;
  /** True when verification failed (an error line was found). */
  failed: boolean;
}

export interface Analysis {
  findings: Finding[];
  truncated: boolean;
  programs: ProgramLog[];
  stats: { lines: number; bytes: number };
  /**
   * What the bounds left out: findings and program logs past the caps (`maxFindings`,
   * `maxPrograms`), and lines cut at `MAX_LINE_LENGTH`. Absent when nothing was left out.
   */
  omitted?: { findings: number; programs: number; longLines: number };
}

export interface AnalyzeOptions {
  /** Source texts keyed by basename or path: used to map annotations to lines when the log has no `@ file:line`. */
  sources?: ReadonlyMap<string, string>;
  /** Maximum instruction records kept for the provenance walk-back (bounded memory). Default 20000. */
  historyLimit?: number;
  /**
   * The line info of the object that was loaded (readLineInfo of its bytes): places instructions
   * whose annotation the log did not print, exactly.
   */
  lineInfo?: import('./btf-ext').ObjectLineInfo;
  /** Findings kept; later ones are only counted (`Analysis.omitted`). Default 1000. */
  maxFindings?: number;
  /** Program logs kept in `Analysis.programs`; later ones are only counted. Default 1000. */
  maxPrograms?: number;
}

/**
 * Where a family's root cause is, so where its related locations are looked for (analyze.ts has
 * one finder per kind; a family lists its kinds in its catalog entry):
 * - `acquisition`: the call that took the reference (`alloc_insn=`), and its release function;
 * - `callback`: the callback and the call that registered it; `return-range`: the return values;
 * - `open-section`: the call that opened the lock / RCU / preemption section still open;
 * - `stack-buffer`: the local variable a helper was given, where its size and initialisation are decided;
 * - `released-pointer`: the submit / release / drop / collection add (and unlock) after which a pointer is dead;
 * - `closed-section`: the bpf_rcu_read_unlock() that ended the section a pointer was read in, before it was used;
 * - `map-definition`: the declaration (and type) of the map in the arguments;
 * - `stack-object` / `released-dynptr`: the stack object passed by address, the call that released it;
 * - `loop-condition`, `packet-check`: the loop's condition, the data_end check that proved too little;
 * - `core-field`: the field CO-RE could not relocate; `program-type`: the SEC() that chose the type;
 * - `large-locals`, `license`, `argument-signature` (a global function's parameter),
 *   `invalidated-packet` (a helper that changed the packet and invalidated its pointers),
 *   `call-chain` (the BPF-to-BPF call that stacks the frame past the limit);
 * - `function-return`: a global function's definition, for the pointer it returns;
 * - `callback-definition`: the definition of the function a helper was given as its callback;
 * - `value-type`: the value type a map declares, for an access past its end;
 * - `special-field`: the struct field (a second bpf_spin_lock) or map type that cost the map its BTF;
 * - `stack-argument`: the global whose address was passed where a stack pointer is needed;
 * - `scalar-pointer`: why the dereferenced register is a number (NULL, a helper's u64, a loaded pointer);
 * - `instruction-budget`: the loop the verifier's budget ran out in, as the place;
 * - `pointer-member`: a struct member declared as a pointer that the code passes as a buffer;
 * - `skipped-release`: the `continue` that starts a loop's next pass with a reserved dynptr still held;
 * - `object-type`: the struct an argument points to, when the message says that type lacks a field;
 * - `written-memory`: what a refused store writes (the variable or field, the map it is in);
 * - `size-argument`: the buffer and size of a helper call whose size has no bound.
 * The origin of the register the message names is looked for in every case.
 */
export type RootCause =
  | 'acquisition'
  | 'callback'
  | 'return-range'
  | 'open-section'
  | 'closed-section'
  | 'released-pointer'
  | 'stack-buffer'
  | 'map-definition'
  | 'stack-object'
  | 'released-dynptr'
  | 'loop-condition'
  | 'packet-check'
  | 'core-field'
  | 'program-type'
  | 'large-locals'
  | 'license'
  | 'argument-signature'
  | 'invalidated-packet'
  | 'call-chain'
  | 'tail-call-frames'
  | 'function-return'
  | 'callback-definition'
  | 'value-type'
  | 'special-field'
  | 'stack-argument'
  | 'scalar-pointer'
  | 'instruction-budget'
  | 'size-argument'
  | 'written-memory'
  | 'object-type'
  | 'skipped-release'
  | 'pointer-member'
  | 'pointer-cast'
  | 'member-alignment'
  | 'special-member'
  | 'loop-progress'
  | 'prototype-argument'
  | 'kernel-array-index'
  | 'moved-pointer';

/** One entry of the catalog: a message family of the kernel verifier, libbpf or clang. */
export interface CatalogEntry {
  id: string;
  title: string;
  /** Why the verifier refuses it, for a C programmer. */
  why: string;
  /** The usual fix, in words. */
  fix: string;
  /** A small code example of the fix. */
  example?: string;
  docsUrl?: string;
  /** Kernel version where the message or behaviour appeared / changed, when it matters. */
  sinceKernel?: string;
  /** Matches the message line (leading `libbpf: ` and program prefixes already stripped). */
  pattern: RegExp;
  origin: 'verifier' | 'libbpf' | 'clang';
  severity?: Severity;
  /** Where the root cause of this family is (see RootCause). */
  causes?: RootCause[];
  /** A cause that applies only when the message matches (e.g. the program type only for `progs cannot use`). */
  causeWhen?: Partial<Record<RootCause, RegExp>>;
  /** Checked over the whole program after the walk: the last instruction printed is not its place. */
  wholeProgram?: boolean;
  /** Specialises the words from decoded details and context (e.g. which helper was called). */
  refine?: (
    details: Record<string, string>,
    context: {
      helper?: string;
      message?: string;
      /** The SEC() name of the program, when the sources say it. */
      section?: string;
      /** Whether the failing instruction loads or stores. */
      access?: 'read' | 'write';
      /** The verifier's log is clean (statistics only) and the load still failed with EINVAL. */
      afterVerifier?: boolean;
    },
  ) => Partial<Pick<CatalogEntry, 'title' | 'why' | 'fix' | 'example' | 'docsUrl'>> | undefined;
}

/** A single message explained, without log context. */
export interface Explanation {
  catalogId: string | null;
  title: string;
  explanation: string;
  fix: string;
  fixExample?: string;
  docsUrl?: string;
  sinceKernel?: string;
  details: Record<string, string>;
  origin: 'verifier' | 'libbpf' | 'clang';
  severity: Severity;
}
