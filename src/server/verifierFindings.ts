// Pure: verifier findings (from the core's analyzeLog) → LSP diagnostics on the right source
// files, plus the hover and inline-hint text for each. No I/O: the caller reads the sources.
import { DiagnosticSeverity, type Diagnostic, type DiagnosticRelatedInformation, type Range } from 'vscode-languageserver';
import type { Finding, RelatedLocation } from '../core/verifier';
import { DIAGNOSTIC_SOURCE, type VerifierHint } from '../protocol/languageServer';

export interface SourceFile {
  /** Absolute path. */
  path: string;
  uri: string;
  text: string;
}

/** A finding placed on a document: what was published and what hovers and quick fixes need. */
export interface PlacedFinding {
  finding: Finding;
  uri: string;
  /** 0-based primary line. */
  line: number;
  /** The primary line's text when published: quick fixes are offered only while it is unchanged. */
  lineText: string;
  diagnostic: Diagnostic;
}

/** Places findings on sources and builds their diagnostics, grouped by document URI. */
export function placeFindings(findings: readonly Finding[], sources: readonly SourceFile[]): Map<string, PlacedFinding[]> {
  const byUri = new Map<string, PlacedFinding[]>();
  for (const finding of findings) {
    const placed = placeFinding(finding, sources);
    if (!placed) continue;
    byUri.set(placed.uri, [...(byUri.get(placed.uri) ?? []), placed]);
  }
  return byUri;
}

export function placeFinding(finding: Finding, sources: readonly SourceFile[]): PlacedFinding | undefined {
  const where = primaryLocation(finding, sources);
  if (!where) return undefined;
  const { source, line } = where;
  const lines = source.text.split('\n');
  const diagnostic: Diagnostic = {
    range: lineRange(lines, line),
    severity: finding.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
    source: DIAGNOSTIC_SOURCE,
    message: diagnosticMessage(finding),
    code: finding.catalogId ?? 'uncatalogued',
    relatedInformation: relatedInformation(finding, source, sources),
  };
  if (finding.docsUrl) diagnostic.codeDescription = { href: finding.docsUrl };
  return { finding, uri: source.uri, line, lineText: lines[line] ?? '', diagnostic };
}

/**
 * Where a placed finding's line is now. The editor moves diagnostics along with edits but the
 * server only has the line it published: while that line still reads the same it is the answer,
 * else the nearest line with the same text, else undefined (the code changed; offer nothing).
 */
export function currentLine(p: Pick<PlacedFinding, 'line' | 'lineText'>, lines: readonly string[]): number | undefined {
  if (lines[p.line] === p.lineText) return p.line;
  if (!p.lineText.trim()) return undefined;
  for (let d = 1; d < lines.length; d++) {
    if (lines[p.line - d] === p.lineText) return p.line - d;
    if (lines[p.line + d] === p.lineText) return p.line + d;
    if (p.line - d < 0 && p.line + d >= lines.length) break;
  }
  return undefined;
}

/** The finding as if its file had moved by `delta` lines (related lines in the same file move too). */
export function shiftFinding(f: Finding, delta: number): Finding {
  if (delta === 0) return f;
  const same = (file?: string) => !file || file === f.file;
  return {
    ...f,
    line: f.line === undefined ? undefined : f.line + delta,
    related: f.related.map((r) => (r.line !== undefined && same(r.file) ? { ...r, line: r.line + delta } : r)),
    quickFix:
      f.quickFix && f.quickFix.line !== undefined && same(f.quickFix.file) ? { ...f.quickFix, line: f.quickFix.line + delta } : f.quickFix,
  };
}

/** The decoded title first (it is what Problems shows on one line), then the tool's own words. */
export function diagnosticMessage(f: Finding): string {
  const words = f.message.trim();
  if (!words || words === f.title) return f.title;
  const who = f.origin === 'verifier' ? 'verifier' : f.origin;
  return `${f.title}\n${who}: ${words}`;
}

/**
 * Where a finding goes. With a file and line from the log: that line of the matching source
 * (several sources can share a basename; the one whose line reads like the annotation wins).
 * Without (libbpf errors, logs without line info): the program's function, else the first line.
 */
export function primaryLocation(f: Finding, sources: readonly SourceFile[]): { source: SourceFile; line: number } | undefined {
  if (sources.length === 0) return undefined;
  if (f.file && f.line && f.line > 0) {
    const source = resolveSource(f.file, sources, f.line, f.sourceText);
    if (source) return { source, line: clampLine(source.text, f.line - 1) };
  }
  if (f.program) {
    for (const source of sources) {
      const line = functionDefinitionLine(source.text, f.program);
      if (line !== undefined) return { source, line };
    }
  }
  const source = (f.file && resolveSource(f.file, sources)) || sources[0];
  return { source, line: 0 };
}

/** The source a log's file name (usually a basename, sometimes a relative path) refers to. */
export function resolveSource(file: string, sources: readonly SourceFile[], line?: number, text?: string): SourceFile | undefined {
  const exact = sources.find((s) => s.path === file);
  if (exact) return exact;
  const suffix = file.startsWith('/') ? file : `/${file.replace(/^\.\//, '')}`;
  const bySuffix = sources.filter((s) => s.path.endsWith(suffix));
  const base = file.slice(file.lastIndexOf('/') + 1);
  const candidates = bySuffix.length ? bySuffix : sources.filter((s) => s.path.slice(s.path.lastIndexOf('/') + 1) === base);
  if (candidates.length <= 1 || line === undefined || !text) return candidates[0];
  const wanted = squash(text);
  return candidates.find((s) => squash(s.text.split('\n')[line - 1] ?? '') === wanted) ?? candidates[0];
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

/** 0-based line of `name(` at the start of a definition (return type before it, `{` soon after). */
export function functionDefinitionLine(text: string, name: string): number | undefined {
  const lines = text.split('\n');
  const re = new RegExp(`^[A-Za-z_][\\w\\s\\*]*\\b${name}\\s*\\(`);
  for (let i = 0; i < lines.length; i++) {
    if (!re.test(lines[i])) continue;
    const ahead = lines.slice(i, i + 6).join('\n');
    if (/\)\s*\{/.test(ahead) && !/;\s*$/.test(lines[i])) return i;
  }
  return undefined;
}

function clampLine(text: string, line: number): number {
  const count = text.split('\n').length;
  return Math.max(0, Math.min(line, count - 1));
}

/** The line's code without its indentation and trailing blanks (a whole-line squiggle looks noisy). */
export function lineRange(lines: readonly string[], line: number): Range {
  const text = lines[line] ?? '';
  const start = text.length - text.trimStart().length;
  const end = text.trimEnd().length;
  return end > start
    ? { start: { line, character: start }, end: { line, character: end } }
    : { start: { line, character: 0 }, end: { line, character: text.length } };
}

function relatedInformation(f: Finding, primary: SourceFile, sources: readonly SourceFile[]): DiagnosticRelatedInformation[] {
  const out: DiagnosticRelatedInformation[] = [];
  for (const r of f.related) {
    const loc = relatedLocation(r, primary, sources);
    if (loc) out.push({ location: loc, message: r.message });
  }
  return out;
}

function relatedLocation(r: RelatedLocation, primary: SourceFile, sources: readonly SourceFile[]) {
  if (!r.line || r.line < 1) return undefined;
  const source = r.file ? resolveSource(r.file, sources, r.line) : primary;
  if (!source) return undefined;
  const lines = source.text.split('\n');
  return { uri: source.uri, range: lineRange(lines, clampLine(source.text, r.line - 1)) };
}

/** Markdown for a hover on the finding's line or its inline hint. */
export function findingHover(f: Finding): string {
  const parts: string[] = [];
  parts.push(`**${escapeMarkdown(f.title)}**${f.catalogId ? ` \u2014 \`${f.catalogId}\`` : ''}`);
  parts.push(`${originLabel(f)}:\n\`\`\`text\n${f.message.trim()}\n\`\`\``);
  if (f.explanation) parts.push(escapeMarkdown(f.explanation));
  if (f.fix) parts.push(`**Fix:** ${escapeMarkdown(f.fix)}`);
  if (f.fixExample) parts.push(`\`\`\`c\n${f.fixExample}\n\`\`\``);
  if (f.registers) {
    const at = f.insnIndex !== undefined ? ` before instruction ${f.insnIndex}` : '';
    parts.push(`Register state${at}:\n\`\`\`text\n${splitRegisters(f.registers).join('\n')}\n\`\`\``);
  }
  if (f.docsUrl) parts.push(`[Documentation](${f.docsUrl})`);
  return parts.join('\n\n');
}

function originLabel(f: Finding): string {
  const who = f.origin === 'verifier' ? 'The verifier said' : f.origin === 'libbpf' ? 'libbpf said' : 'clang said';
  return f.program ? `${who} (program \`${f.program}\`)` : who;
}

/** `R1=ctx() R2=scalar(smin=0; ...) fp-8=mmmm` → one register per line. */
export function splitRegisters(state: string): string[] {
  return state
    .split(/(?<!frame\d+:) (?=(?:frame\d+[.:] ?)?(?:R\d+|fp-?\d+)\w*=)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Catalog prose uses backticks for code on purpose; only characters that would turn into HTML are escaped. */
function escapeMarkdown(s: string): string {
  return s.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

/** The inline hints of one document: one per line, the first finding's title (others counted). */
export function hintsFor(placed: readonly PlacedFinding[]): VerifierHint[] {
  const byLine = new Map<number, PlacedFinding[]>();
  for (const p of placed) byLine.set(p.line, [...(byLine.get(p.line) ?? []), p]);
  return [...byLine].map(([line, list]) => ({
    line,
    title: list.length > 1 ? `${list[0].finding.title} (+${list.length - 1} more)` : list[0].finding.title,
    hover: list.map((p) => findingHover(p.finding)).join('\n\n---\n\n'),
  }));
}
