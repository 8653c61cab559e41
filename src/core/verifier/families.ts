// The kernel's own format strings (families.json, extracted from the verifier sources of 6.1 and
// 6.12) as a second way to name a message's family: a message — or a piece of one, as the BPF
// selftests write them in __msg("...") — that no catalog pattern matches is matched on the
// longest literal part of a format string, and gets the entry that format's messages get.
import data from './families.json';

export interface Family {
  format: string;
  /** Where the format string was found (file:line in the kernel or libbpf sources). */
  source: string;
  kind: 'error' | 'info';
  fragment?: boolean;
  function?: string;
  origin?: string;
  printedAfter?: string;
}

/** A message the format string could print: conversions replaced by plausible values. */
export function sampleOf(f: Pick<Family, 'format' | 'printedAfter'>): string {
  const text = f.format
    .replace(/%%/g, '%')
    .replace(/%[-+ #0]*\d*(?:\.\d+)?(?:ll|l|z|h|hh|j|t)?[diu]/g, '7')
    .replace(/%[-+ #0]*\d*(?:ll|l|z|h)?[xX]/g, '1f')
    .replace(/%[-+ #0]*\d*(?:\.\d+)?s/g, 'foo')
    .replace(/%c/g, 'y')
    .replace(/%p[a-zA-Z]*/g, '0x0')
    .replace(/^\t/, '');
  return f.printedAfter ? `[7] STRUCT foo ${text}` : text;
}

const MIN_LITERAL = 10;
let index: { literal: string; id: string }[] | undefined;

/** Longest literal pieces first, so the most specific format wins. */
function build(idOf: (message: string) => string | null | undefined): { literal: string; id: string }[] {
  const families = (data as { families: Family[] }).families.filter((f) => f.kind === 'error');
  // A fragment continues a line another call of the same function started: it shares that entry.
  const byFunction = new Map<string, string>();
  for (const f of families) {
    if (f.fragment) continue;
    const id = idOf(sampleOf(f));
    if (id && f.function && !byFunction.has(f.function)) byFunction.set(f.function, id);
  }
  const out: { literal: string; id: string }[] = [];
  for (const f of families) {
    const id = f.fragment ? (f.function ? byFunction.get(f.function) : undefined) : idOf(sampleOf(f));
    if (!id) continue;
    for (const piece of f.format.split(/%[-+ #0]*\d*(?:\.\d+)?(?:ll|l|z|hh|h|j|t)?[a-zA-Z%]/)) {
      const literal = piece.replace(/^\t/, '').trim();
      if (literal.length >= MIN_LITERAL && /[a-z]{3}/.test(literal)) out.push({ literal, id });
    }
  }
  return out.sort((a, b) => b.literal.length - a.literal.length);
}

/** Words of a text: what stays the same across values (numbers, registers, hex dropped). */
const wordsOf = (s: string) => (s.toLowerCase().match(/[a-z_][a-z_]{2,}/g) ?? []).filter((w) => !/^(?:0x|ptr_$)/.test(w));

let documents: { words: Set<string>; id: string }[] | undefined;

/** One document per format string, with the words of the fragments its function prints after it. */
function buildDocuments(idOf: (message: string) => string | null | undefined): { words: Set<string>; id: string }[] {
  const families = (data as { families: Family[] }).families.filter((f) => f.kind === 'error');
  const fragments = new Map<string, string[]>();
  for (const f of families) if (f.fragment && f.function) fragments.set(f.function, [...(fragments.get(f.function) ?? []), f.format]);
  const out: { words: Set<string>; id: string }[] = [];
  for (const f of families) {
    if (f.fragment) continue;
    const id = idOf(sampleOf(f));
    if (id) out.push({ words: new Set(wordsOf([f.format, ...(fragments.get(f.function ?? '') ?? [])].join(' '))), id });
  }
  return out;
}

/**
 * The entry of the kernel format string whose longest literal part occurs in `message` (or, for
 * a piece of a message, contains it); failing that, of the format whose words include every
 * word of the message. `idOf` names the entry of a full sample message.
 */
export function familyEntryId(
  message: string,
  idOf: (message: string) => string | null | undefined,
  options: { literalOnly?: boolean } = {},
): string | undefined {
  index ??= build(idOf);
  const text = message.trim();
  for (const { literal, id } of index) if (text.includes(literal)) return id;
  const bare = text.replace(/^(?:R\d+\s+|:\s*)/, '');
  if (bare.length >= MIN_LITERAL) for (const { literal, id } of index) if (literal.includes(bare)) return id;
  if (options.literalOnly) return undefined;
  const words = [...new Set(wordsOf(text))];
  if (words.length < 2) return undefined;
  documents ??= buildDocuments(idOf);
  let best: { id: string; size: number } | undefined;
  for (const d of documents)
    if (words.every((w) => d.words.has(w)) && (!best || d.words.size < best.size)) best = { id: d.id, size: d.words.size };
  return best?.id;
}
