// Scores the verifier decoder on material nobody on the team wrote: logs people posted in public
// issue threads (test/fixtures/verifier-wild), the messages the kernel's BPF selftests expect
// (test/fixtures/verifier-selftests), libbpf's own message formats (test/fixtures/verifier-libbpf), and broken programs written the way others write them
// (test/fixtures/verifier-others, scored by the kernel test that loads them). Each set is split
// into a tune half and a held-out half fixed before the decoder was changed.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeLog, classifyLine, explainMessage, stripMessagePrefixes, type Finding } from '../../src/core/verifier';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export type Half = 'tune' | 'heldout';

export interface Score {
  total: number;
  finding: number;
  errorLine: number;
  specific: number;
  sourceLine: { total: number; right: number };
  caseSpecific: number;
  misses: string[];
}

const empty = (): Score => ({
  total: 0,
  finding: 0,
  errorLine: 0,
  specific: 0,
  sourceLine: { total: 0, right: 0 },
  caseSpecific: 0,
  misses: [],
});

interface WildEntry {
  id: string;
  file: string;
  url: string;
  half: Half;
  truth: { errorLine: string[]; catalogIds: string[]; mention: string[]; sourceLine?: string };
}

/** Words of the explanation shown to the user: does it name this case's own evidence? */
export function mentionsAll(f: Finding, words: string[]): boolean {
  const text = `${f.title}\n${f.explanation}\n${f.fix}\n${f.related.map((r) => r.message).join('\n')}`.toLowerCase();
  // Words copied from a mail are quoted-printable (`size=3D0`), as the error line labels are.
  return words.every((w) => text.includes(w.replace(/=3D/g, '=').toLowerCase()));
}

const norm = (s: string) => stripMessagePrefixes(s).replace(/\s+/g, ' ').trim();

/** The finding states the labelled error line (as a whole, or the labelled line is part of it). */
export function atErrorLine(f: Finding, truth: string[]): boolean {
  const m = norm(f.message);
  return truth.some((t) => {
    // Labels copy the log as posted: in a mail that is quoted-printable (`=3D` for `=`), which the
    // decoder reads as what the verifier printed.
    const n = norm(t.replace(/=3D/g, '=').replace(/=$/, ''));
    return m.includes(n) || (m.length >= 12 && n.includes(m));
  });
}

export function scoreWildLogs(): Record<Half, Score> {
  const index = JSON.parse(readFileSync(path.join(FIXTURES, 'verifier-wild', 'index.json'), 'utf8')) as { logs: WildEntry[] };
  const out: Record<Half, Score> = { tune: empty(), heldout: empty() };
  for (const e of index.logs) {
    const s = out[e.half];
    s.total++;
    const text = readFileSync(path.join(FIXTURES, 'verifier-wild', e.file), 'utf8');
    const f = analyzeLog(text).findings[0];
    const why: string[] = [];
    if (f) s.finding++;
    else why.push('no finding');
    if (f && atErrorLine(f, e.truth.errorLine)) s.errorLine++;
    else if (f) why.push(`line "${f.message.slice(0, 90)}"`);
    if (f && e.truth.catalogIds.includes(f.catalogId ?? '')) s.specific++;
    else if (f) why.push(`entry ${f.catalogId}`);
    if (e.truth.sourceLine) {
      s.sourceLine.total++;
      // `file.c:123` when the log annotates with `@ file:line`, else the annotation's source text.
      const at = /^([\w.+-]+):(\d+)$/.exec(e.truth.sourceLine);
      const right = at
        ? f?.file && path.basename(f.file) === at[1] && f.line === Number(at[2])
        : norm(f?.sourceText ?? '') === norm(e.truth.sourceLine.replace(/=3D/g, '='));
      if (f && right) s.sourceLine.right++;
      else why.push(at ? `source ${f?.file}:${f?.line}` : `source text "${f?.sourceText?.slice(0, 60)}"`);
    }
    if (f && mentionsAll(f, e.truth.mention)) s.caseSpecific++;
    else if (f) why.push(`explanation lacks ${e.truth.mention.join(', ')}`);
    if (why.length) s.misses.push(`${e.id}: ${why.join('; ')}`);
  }
  return out;
}

/** Half of a fixture, from its name: fixed before tuning, never chosen by hand. */
export const halfOf = (key: string): Half => (parseInt(createHash('sha1').update(key).digest('hex')[0], 16) % 2 === 0 ? 'tune' : 'heldout');

export interface SelftestScore {
  total: number;
  specific: number;
  misses: string[];
}

/**
 * The selftests' expected messages that are error text. Some `__msg` lines of failing tests match
 * instructions or register states of the log (`9: (95) exit`, `R1=ctx()`); those are not errors.
 */
export function scoreSelftestMessages(): Record<Half, SelftestScore> {
  const data = JSON.parse(readFileSync(path.join(FIXTURES, 'verifier-selftests', 'messages.json'), 'utf8')) as {
    messages: { message: string; trees: string[] }[];
  };
  const out: Record<Half, SelftestScore> = { tune: { total: 0, specific: 0, misses: [] }, heldout: { total: 0, specific: 0, misses: [] } };
  for (const m of data.messages) {
    // Selftests also check states printed after an instruction (`: R0=0 R1=ctx()`) and one-letter stubs.
    const first = m.message.split('\n')[0].replace(/^[:\s]+/, '');
    if (first.length < 3 || classifyLine(first).kind !== 'text' || /^\{\{.*\}\}$/.test(first)) continue;
    const s = out[halfOf(m.message)];
    s.total++;
    if (explainMessage(m.message).catalogId) s.specific++;
    else s.misses.push(m.message);
  }
  return out;
}

export interface LibbpfScore {
  /** Warning formats, and those with a finding at the line / with a specific entry. */
  warn: number;
  line: number;
  entry: number;
  /** Info and debug formats, and those that gave no finding. */
  info: number;
  quiet: number;
}

/** A libbpf format string with its conversions replaced by plausible values (the errno ones by -22). */
export function instantiateLibbpf(format: string): string {
  return format.replace(/%(%|[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z|j|t)?[diouxXcsp])/g, (m: string) => {
    if (m === '%%') return '%';
    const c = m[m.length - 1];
    if (c === 's') return 'handle_exec';
    if (c === 'd' || c === 'i') return '-22';
    if (c === 'p') return '0xffff888003a1c000';
    if (c === 'c') return 'y';
    return c === 'x' || c === 'X' ? '1f' : '8';
  });
}

/**
 * libbpf's own messages (pr_warn / pr_info / pr_debug format strings of libbpf v0.0.9 to v1.7.0),
 * each printed as `libbpf: <message>`: a warning should give a finding at that line with a catalog
 * entry; an info or debug line should give no finding at all.
 */
export function scoreLibbpfMessages(): Record<Half, LibbpfScore> {
  const data = JSON.parse(readFileSync(path.join(FIXTURES, 'verifier-libbpf', 'messages.json'), 'utf8')) as {
    messages: { format: string; level: 'warn' | 'info' | 'debug' }[];
  };
  const zero = (): LibbpfScore => ({ warn: 0, line: 0, entry: 0, info: 0, quiet: 0 });
  const out: Record<Half, LibbpfScore> = { tune: zero(), heldout: zero() };
  for (const m of data.messages) {
    const s = out[halfOf(m.format)];
    const message = instantiateLibbpf(m.format).split('\n')[0];
    const f = analyzeLog(`libbpf: ${message}`).findings;
    if (m.level === 'warn') {
      s.warn++;
      if (f[0]?.message.includes(message.slice(0, 40))) s.line++;
      // The fallback for a warning no entry knows is a finding, not an explanation of it.
      if (f[0]?.catalogId && f[0].catalogId !== 'libbpf-warning') s.entry++;
    } else {
      s.info++;
      if (f.length === 0) s.quiet++;
    }
  }
  return out;
}

export function formatLibbpf(h: Record<Half, LibbpfScore>): string {
  const rows = (['tune', 'heldout'] as Half[]).map((k) => {
    const s = h[k];
    return `  ${k.padEnd(8)} warnings n=${String(s.warn).padEnd(4)} finding at the line ${pct(s.line, s.warn).padEnd(7)} entry ${pct(s.entry, s.warn).padEnd(7)} info/debug n=${String(s.info).padEnd(4)} quiet ${pct(s.quiet, s.info)}`;
  });
  return ["libbpf's own messages (v0.0.9 to v1.7.0):", ...rows].join('\n');
}

export const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : 'n/a');

export function formatWild(h: Record<Half, Score>): string {
  const rows = (['tune', 'heldout'] as Half[]).map((k) => {
    const s = h[k];
    return `  ${k.padEnd(8)} n=${String(s.total).padEnd(4)} finding ${pct(s.finding, s.total).padEnd(7)} error line ${pct(s.errorLine, s.total).padEnd(7)} specific ${pct(s.specific, s.total).padEnd(7)} source line ${pct(s.sourceLine.right, s.sourceLine.total).padEnd(7)} (${s.sourceLine.total}) case-specific ${pct(s.caseSpecific, s.total)}`;
  });
  return ['logs from public issue threads:', ...rows].join('\n');
}

export function formatSelftests(h: Record<Half, SelftestScore>): string {
  const rows = (['tune', 'heldout'] as Half[]).map(
    (k) => `  ${k.padEnd(8)} n=${String(h[k].total).padEnd(4)} specific ${pct(h[k].specific, h[k].total)}`,
  );
  return ['kernel selftest messages (6.1, 6.12):', ...rows].join('\n');
}

/**
 * The ways other programs print a log they pass on: every line prefixed (docker compose, kubectl
 * timestamps, journald, docker build), CRLF, indented or quoted as pasted into an issue, the whole
 * log in one quoted field of a structured logger (logrus/slog `msg="...\n..."`), or copied from a
 * web page, a colour terminal or a word processor.
 */
export const FRAMINGS: Record<string, (lines: string[]) => string> = {
  compose: (ls) => ls.map((l) => `agent-1  | ${l}`).join('\n'),
  kubectl: (ls) => ls.map((l, i) => `2024-05-01T10:00:${String(i % 60).padStart(2, '0')}.123456789Z ${l}`).join('\n'),
  journald: (ls) => ls.map((l) => `May 01 10:00:00 node7 agent[4242]: ${l}`).join('\n'),
  crlf: (ls) => ls.join('\r\n'),
  indented: (ls) => ls.map((l) => `    ${l}`).join('\n'),
  quoted: (ls) => ls.map((l) => `> ${l}`).join('\n'),
  // Copied from a web page (entities, no-break spaces), a colour terminal, a word processor, docker build.
  html: (ls) => ls.join('\n').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;'),
  nbsp: (ls) => ls.join('\n').replace(/ /g, '\u00a0'),
  ansi: (ls) => ls.map((l) => `\x1b[31m${l}\x1b[0m`).join('\n'),
  typographic: (ls) => ls.join('\n').replace(/'([^'\n]*)'/g, '\u2018$1\u2019'),
  buildkit: (ls) => ls.map((l, i) => `#12 ${(3.4 + i / 100).toFixed(3)} ${l}`).join('\n'),
  logrus: (ls) =>
    `time="2024-05-01T10:00:00Z" level=error msg="${ls
      .join('\n')
      .replace(/\\/g, '\\\\')
      .replace(/"/g, '\\"')
      .replace(/\t/g, '\\t')
      .replace(/\n/g, '\\n')}"`,
};

/** Per framing, of the public logs that give a finding as posted: how many give the same first finding framed. */
export function scoreFramings(): Record<Half, Record<string, { total: number; same: number }>> {
  const index = JSON.parse(readFileSync(path.join(FIXTURES, 'verifier-wild', 'index.json'), 'utf8')) as { logs: WildEntry[] };
  const out: Record<Half, Record<string, { total: number; same: number }>> = { tune: {}, heldout: {} };
  for (const e of index.logs) {
    const text = readFileSync(path.join(FIXTURES, 'verifier-wild', e.file), 'utf8').replace(/\r\n/g, '\n');
    const base = analyzeLog(text).findings[0];
    if (!base) continue;
    for (const [name, frame] of Object.entries(FRAMINGS)) {
      const s = (out[e.half][name] ??= { total: 0, same: 0 });
      s.total++;
      const f = analyzeLog(frame(text.split('\n'))).findings[0];
      const [a, b] = [norm(base.message), norm(f?.message ?? '')];
      if (f && f.catalogId === base.catalogId && b && (a.includes(b) || b.includes(a))) s.same++;
    }
  }
  return out;
}

export function formatFramings(h: ReturnType<typeof scoreFramings>): string {
  const rows = (['tune', 'heldout'] as Half[]).map(
    (k) =>
      `  ${k.padEnd(8)} ${Object.entries(h[k])
        .map(([name, s]) => `${name} ${pct(s.same, s.total)}`)
        .join('  ')}`,
  );
  return ['public logs framed by other programs (same first finding as posted):', ...rows].join('\n');
}
