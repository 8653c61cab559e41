// One message line -> its catalog entry, with the details the message carries decoded into words.
import { catalog, catalogEntry, DOCS } from './catalog';
import { familyEntryId } from './families';
import type { CatalogEntry, Explanation } from './types';

export interface ExplainContext {
  /** The helper or kfunc called at the failing instruction (`bpf_for_each_map_elem`), when known. */
  helper?: string;
  /** The message itself (prefixes stripped), for entries whose advice depends on its wording. */
  message?: string;
  /** The SEC() name of the failing program (from the sources), e.g. `socket` or `cgroup/setsockopt`. */
  section?: string;
  /** Whether the failing instruction reads or writes memory. */
  access?: 'read' | 'write';
  /** The entry to explain with when no pattern knows the message (libbpf's subject of a warning). */
  fallbackEntry?: string;
  /** The verifier's log ends with its statistics and no error, yet the load failed with EINVAL. */
  afterVerifier?: boolean;
}

// Register types as the verifier names them (reg_type_str), in C programmer's terms.
const TYPE_WORDS: [RegExp, string][] = [
  [/^(?:scalar|inv)\b/, 'a plain number (scalar), not a pointer'],
  [/^ctx\b/, 'the program context pointer (the argument your program received)'],
  [/^map_ptr\b/, 'a pointer to a map itself (&my_map)'],
  [/^map_value_or_null\b/, 'a map value pointer that may be NULL (a lookup result not yet checked)'],
  [/^map_value\b/, 'a pointer into a map value — also what a global or static variable is'],
  [/^map_key\b/, 'a pointer to a map key'],
  [/^fp\b/, 'a pointer to the BPF stack (a local variable)'],
  [/^pkt_meta\b/, 'a pointer into the packet metadata area'],
  [/^pkt_end\b/, 'the end-of-packet pointer (data_end)'],
  [/^pkt\b/, 'a pointer into packet data'],
  [/^flow_keys\b/, 'the flow dissector keys'],
  [/^(?:sock_or_null|sock_common_or_null|tcp_sock_or_null)\b/, 'a socket pointer that may be NULL'],
  [/^(?:sock|sock_common|tcp_sock|xdp_sock)\b/, 'a socket pointer'],
  [/^tp_buffer\b/, 'a raw tracepoint buffer'],
  [
    /^(?:ringbuf_mem_or_null|alloc_mem_or_null|mem_or_null)\b/,
    'a memory pointer that may be NULL (e.g. bpf_ringbuf_reserve result not yet checked)',
  ],
  [/^(?:ringbuf_mem|alloc_mem|mem|rdonly_mem|rdonly_buf|rdwr_buf|buf)\b/, 'a pointer to helper-provided memory'],
  [/^func\b/, 'a function pointer (callback)'],
  [/^dynptr/, 'a dynptr'],
  [/^(?:trusted_|rcu_|untrusted_|percpu_|user_|rdonly_)?ptr_or_null_/, 'a kernel object pointer (BTF type) that may be NULL'],
  [/^(?:trusted_|rcu_|untrusted_|percpu_|user_|rdonly_)?ptr_/, 'a pointer to a kernel object (BTF type)'],
];

/** Describe a verifier register type name in words; undefined when unknown. */
export function describeType(type: string): string | undefined {
  const t = type.replace(/^(?:rcu_|trusted_|untrusted_|percpu_|user_|rdonly_)+(?=map_|mem|ptr_|buf)/, '');
  for (const [re, words] of TYPE_WORDS) if (re.test(t) || re.test(type)) return words;
  return undefined;
}

/** Strips the wrappers tools put around a message: `libbpf: `, `prog 'x': `, clang's `file:l:c: error: `. */
export function stripMessagePrefixes(line: string): string {
  return unpairedQuotes(
    line
      .replace(/^libbpf: /, '')
      .replace(/^prog '[^']*': /, '')
      .replace(/^(?:.+?:\d+:(?:\d+:)? )?(?:fatal error|error|warning): /, '')
      .trim(),
  );
}

/** A quote that opens or closes a block quoted around several lines (`'R2 pointer ...`) is not the message's. */
function unpairedQuotes(text: string): string {
  const odd = (q: string) => text.split(q).length % 2 === 0;
  if (/^['"`]/.test(text) && odd(text[0])) text = text.slice(1);
  if (/['"`]$/.test(text) && odd(text[text.length - 1])) text = text.slice(0, -1);
  return text;
}

/** Details every message may carry, whatever its family. */
function decodeCommon(message: string): Record<string, string> {
  const d: Record<string, string> = {};
  const reg = /\bR(\d{1,2})\b/.exec(message);
  if (reg) d.register = `R${reg[1]}`;
  // `unknown#195896080` is the call loaders write over an unrelocated instruction, no helper.
  const helper = /\b(bpf_\w+|unknown)#(?!195896080\b)(\d+)/.exec(message);
  if (helper) {
    d.helper = helper[1];
    d.helperId = helper[2];
  }
  const range = /(\b[us](?:8|16|32|64)=)?\[(-?\d+), ?(-?\d+)\]/.exec(message);
  // `u64=[0,31]` is what the register may hold; a bare `[0, 1]` is what is allowed.
  if (range?.[1]) d.valueRange = `${range[1]}[${range[2]},${range[3]}]`;
  else if (range) d.range = `[${range[2]}, ${range[3]}]`;
  // Old kernels print the allowed values as a tnum, `should have been in (0x0; 0x1)`: value; mask.
  const tnum = range ? null : /should have been in \((0x[0-9a-f]+); (0x[0-9a-f]+)\)/.exec(message);
  if (tnum) {
    const [v, m] = [Number(tnum[1]), Number(tnum[2])];
    if (((m + 1) & m) === 0 && (v & m) === 0) d.range = `[${v}, ${v + m}]`;
  }
  for (const key of ['off', 'size', 'access_size', 'value_size', 'id', 'alloc_insn', 'ref_obj_id', 'ks', 'vs']) {
    const m = new RegExp(String.raw`\b${key}=(-?\w+)`).exec(message);
    if (m) d[key] = m[1];
  }
  // Quoted with its key: a bare 0 is found in any text.
  if (d.access_size !== undefined) d.access_size = `access_size=${d.access_size}`;
  // Names and numbers loaders and the verifier put in their words: the evidence of this case.
  const named: [string, RegExp][] = [
    ['map', /\bmap '([\w.]+)'|\bmap=([\w.]+)/],
    // Not `program failed:` / `program load:`, which are words, not a name.
    ['program', /\bprog(?:ram)? (?!(?:failed|load|loading|type)\b)'?([\w.]+)'?:/],
    ['relo', /\brelo #(\d+)/],
    ['fd', /\bfd (-?\d+)\b/],
    ['struct', /\b(?:struct|union) (?!(?:with|or|and|is|type|of)\b)([A-Za-z_]\w*)/],
    ['field', /\[\d+\] (?:struct|union) \w+\.([\w.:]+)/],
    ['kind', /\bInvalid kind:(\d+)/],
    ['processed', /\b[Pp]rocessed (\d+) insn/],
    ['insns', /\((\d+) insns\)/],
    ['jumps', /\b(\d+) jumps\b/],
    ['insn', /\binsn (\d+)\b/],
    ['iterator', /\b(?:uninitialized|initialized) (iter_\w+)/],
    ['opcode', /\bunknown opcode ([0-9a-f]{2})\b/],
    // `stack off -40+0`, `stack R3 off -280+18`, `stack access off 0+0+-60`: the slot below R10.
    ['stackOff', /\bstack (?:R\d+ )?off (-\d+)|\bstack access off (?:-?\d+\+)*(-\d+)/],
    ['value', /\bhas value \((0x[0-9a-f]+);/],
    ['smin', /\bsmin=(-?\d+)/],
    ['smax', /\bsmax=(-?\d+)/],
    ['extern', /\bextern (?:\([\w ]+\) )?'(\S+?)'/],
    ['member', /\bmember (\w+)|\bptr member (\w+)|^(\w+)\s+Invalid member/],
    ['function', /\b([A-Za-z_]\w*)\(\)|\bfunc '(\w+)'/],
    ['kfunc', /\bkernel function (\w+)|\bkfunc '(\w+)'/],
    ['pointer', /\bmath between (\w+) pointer|\b(?!R\d+\b|bit\b)(\w+) pointer (?:arithmetic|comparison)/],
  ];
  for (const [key, re] of named) {
    const m = re.exec(message);
    const v = m?.slice(1).find((x) => x !== undefined);
    if (v !== undefined && d[key] === undefined) d[key] = v;
  }
  if (d.size === undefined) {
    const sz = /\bsize (\d+)\b/.exec(message);
    if (sz) d.size = sz[1];
  }
  const type = /\btype=(\S+)/.exec(message);
  if (type) d.type = type[1];
  const expected = /\bexpected=(.+?)(?:$| \()/.exec(message);
  if (expected) d.expected = expected[1].replace(/,\s*$/, '');
  const quoted = /invalid mem access '([a-z_]+(?:_or_null)?)'|'(\w*_or_null\w*)'/.exec(message);
  if (quoted && !d.type) d.type = quoted[1] ?? quoted[2];
  return d;
}

function typeSentence(d: Record<string, string>): string {
  const parts: string[] = [];
  const who = d.register ?? 'The value';
  if (d.type) {
    const w = describeType(d.type);
    if (w) parts.push(`${who} holds ${d.type}: ${w}.`);
  }
  if (d.expected) {
    const names = d.expected.split(/,\s*/).filter(Boolean);
    const words = names.map((n) => (describeType(n) ? `${n} (${describeType(n)})` : n));
    parts.push(`The verifier accepts here: ${words.join('; ')}.`);
  }
  if (d.range) parts.push(`The allowed range is ${d.range}.`);
  return parts.join(' ');
}

/** Words for the evidence a message carries, for the keys the explanation does not already quote. */
const EVIDENCE: [string, (v: string) => string][] = [
  ['register', (v) => `register ${v}`],
  ['helper', (v) => `helper ${v}`],
  ['map', (v) => `map \`${v}\``],
  ['struct', (v) => `struct ${v}`],
  ['member', (v) => `member \`${v}\``],
  ['field', (v) => `field \`${v}\``],
  ['extern', (v) => `extern \`${v}\``],
  ['relo', (v) => `CO-RE relocation relo #${v}`],
  ['program', (v) => `program \`${v}\``],
  ['function', (v) => `function \`${v}()\``],
  ['kfunc', (v) => `kernel function \`${v}\``],
  ['iterator', (v) => `iterator type \`${v}\``],
  ['opcode', (v) => `opcode ${v} (0x${v})`],
  ['pointer', (v) => `a ${v} pointer`],
  ['fd', (v) => `fd ${v}`],
  ['kind', (v) => `BTF kind ${v}`],
  ['stackOff', (v) => `stack slot fp${v} (${v.slice(1)} bytes below the frame pointer)`],
  ['off', (v) => `offset ${v} (off=${v})`],
  [
    'size',
    (v) =>
      v === '0' ? 'size=0 (the length on this path may be zero, which this access or argument does not allow)' : `size ${v} (size=${v})`,
  ],
  ['value_size', (v) => `value size ${v} (value_size=${v})`],
  ['value', (v) => `value ${v} (${Number(v)})`],
  ['smin', (v) => `smallest possible value ${v}`],
  ['smax', (v) => `largest possible value ${v}`],
  ['valueRange', (v) => `the value may be anything in ${v}`],
  ['access_size', (v) => `${v}, the size the helper was given`],
  ['processed', (v) => `${v} instructions processed`],
  ['insns', (v) => `${v} instructions`],
  ['jumps', (v) => `${v} jumps`],
  ['insn', (v) => `instruction ${v}`],
  ['alloc_insn', (v) => `acquired at instruction ${v}`],
  ['argument', (v) => `argument \`${v}\``],
];

/** "In this log: register R4, offset 0, size 4." — only what the text so far does not say. */
export function evidenceSentence(d: Record<string, string>, already: string): string {
  const parts: string[] = [];
  for (const [key, words] of EVIDENCE) {
    const v = d[key];
    if (v === undefined || v === '') continue;
    // A short number (`0`, `8`) is in almost any text: only its own phrase says it was stated.
    const phrase = words(v);
    if (already.includes(phrase) || (v.length >= 3 && already.includes(v))) continue;
    parts.push(phrase);
  }
  return parts.length ? `In this log: ${parts.join(', ')}.` : '';
}

function fill(template: string, d: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => d[k] ?? k);
}

const GENERIC: Omit<Explanation, 'details'> = {
  catalogId: null,
  title: 'Verifier rejected the program',
  explanation:
    'The verifier proves, before the program runs, that every path is safe: memory accesses stay in bounds, pointers are checked for NULL, references are released, loops end. Here it found a path it could not prove safe; its own words are in the message.',
  fix: 'Read the instruction just before the message and the register state printed with it: find the C statement at the reported line and make the property the verifier asks for explicit (a NULL check, a bounds check against a constant, a smaller loop).',
  docsUrl: DOCS.verifier,
  origin: 'verifier',
  severity: 'error',
};

/**
 * Like matchEntry, and also a piece of a message or another kernel's wording that the kernel's
 * own format strings still place in a family (`invalid mem access 'inv'` without its register).
 */
export function matchFamily(message: string): CatalogEntry | undefined {
  // Level-2 logs print the same lines again and again (every path through a loop): remember the
  // last few thousand answers. Bounded, so a log of unique lines stays linear in time and memory.
  if (familyMemo.has(message)) return familyMemo.get(message);
  const entry = matchFamilyUncached(message);
  if (familyMemo.size >= 4096) familyMemo.clear();
  familyMemo.set(message, entry);
  return entry;
}

const familyMemo = new Map<string, CatalogEntry | undefined>();

function matchFamilyUncached(message: string): CatalogEntry | undefined {
  const hit = matchEntry(message) ?? registerless(message);
  if (hit) return hit.entry;
  const id = familyEntryId(stripMessagePrefixes(message), (sample) => matchEntry(sample)?.entry.id, { literalOnly: true });
  return catalogEntry(id);
}

/** The entry of `R<n> <text>` for a piece that starts where the register was cut off. */
function registerless(message: string): { entry: CatalogEntry; match: RegExpExecArray } | undefined {
  const text = stripMessagePrefixes(message);
  return /^[a-z]/.test(text) ? matchEntry(`R1 ${text}`) : undefined;
}

/** Find the catalog entry for a message line (prefixes allowed). */
type EntryMatch = { entry: CatalogEntry; match: RegExpExecArray };

/**
 * The entries the last messages matched, by text: a log of many programs repeats its messages, and
 * trying each of the catalog's patterns per repeat is most of the work (and garbage) of a finding.
 */
const recentMatches = new Map<string, EntryMatch | undefined>();

export function matchEntry(message: string): EntryMatch | undefined {
  const text = stripMessagePrefixes(message);
  if (recentMatches.has(text)) return recentMatches.get(text);
  const hit = matchCatalog(text);
  if (recentMatches.size >= 512) recentMatches.clear();
  if (text.length < 512) recentMatches.set(text, hit);
  return hit;
}

function matchCatalog(text: string): EntryMatch | undefined {
  for (const entry of catalog) {
    const m = entry.pattern.exec(text);
    if (m) return { entry, match: m };
  }
  // A log whose newlines were lost runs the message into the instruction before it
  // (`r1 = *(u32 *)(r0 +0) R0 invalid mem access ...`): the message starts at its register.
  const glued = / (?=R\d{1,2} [a-z!])/.exec(text);
  return glued && !/^R\d{1,2} /.test(text) ? matchEntry(text.slice(glued.index + 1)) : undefined;
}

/** Explain one error line. A line no entry knows gets a generic hint and `catalogId: null`. */
export function explainMessage(line: string, context: ExplainContext = {}): Explanation {
  const text = stripMessagePrefixes(line);
  const details = decodeCommon(text);
  if (context.helper) details.helper ??= context.helper;
  let hit = matchEntry(text);
  // A message quoted without the register it starts with (`invalid mem access 'inv'`).
  const whole = (entry: CatalogEntry) => ({
    entry,
    match: Object.assign([text], { index: 0, input: text, groups: undefined }) as RegExpExecArray,
  });
  const piece = hit ? undefined : registerless(text);
  if (piece) hit = whole(piece.entry);
  // A load refused after a clean verification: the loader's EINVAL line is explained by the check that refused it.
  if (context.afterVerifier && (!hit || hit.entry.id === 'libbpf-load-failed')) hit = whole(catalogEntry('tail-call-misuse')!);
  // No pattern: the entry the caller knows applies (libbpf's subject of a warning), else the one
  // the kernel's format strings place the message in (other wordings, pieces of messages).
  if (!hit) {
    const entry = catalogEntry(context.fallbackEntry) ?? catalogEntry(familyEntryId(text, (sample) => matchEntry(sample)?.entry.id));
    if (entry) hit = whole(entry);
  }
  if (!hit) {
    const decoded = typeSentence(details);
    return { ...GENERIC, explanation: decoded ? `${GENERIC.explanation} ${decoded}` : GENERIC.explanation, details };
  }
  const { entry, match } = hit;
  // Alternatives of one pattern name their groups register, register2, ...: all mean `register`.
  for (const [k, v] of Object.entries(match.groups ?? {})) if (v !== undefined) details[k.replace(/\d+$/, '')] = v;
  const refined = entry.refine?.(details, { ...context, message: text });
  const why = fill(refined?.why ?? entry.why, details);
  const decoded = typeSentence(details);
  const explanation = decoded ? `${why} ${decoded}` : why;
  const evidence = evidenceSentence(details, explanation);
  return {
    catalogId: entry.id,
    title: fill(refined?.title ?? entry.title, details),
    explanation: evidence ? `${explanation} ${evidence}` : explanation,
    fix: fill(refined?.fix ?? entry.fix, details),
    fixExample: refined?.example ?? entry.example,
    docsUrl: refined?.docsUrl ?? entry.docsUrl,
    sinceKernel: entry.sinceKernel,
    details,
    origin: entry.origin,
    severity: entry.severity ?? 'error',
  };
}
