// Pure: the structure of a verifier log shown as a document ("eBPF: Show Verifier Log"): which
// ranges fold (program logs, verification paths, the instructions of one source line) and where
// `@ file:line` source references are, for document links.
import type { FoldingRange } from 'vscode-languageserver';
import { classifyLine } from '../core/verifier';

export interface SourceReference {
  /** 0-based line in the log and character range of `file:line`. */
  line: number;
  start: number;
  end: number;
  file: string;
  /** 1-based line in the source. */
  sourceLine: number;
}

export function logSourceReferences(text: string): SourceReference[] {
  const out: SourceReference[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (!raw.startsWith(';')) continue;
    const l = classifyLine(raw);
    if (l.kind !== 'annotation' || !l.file || !l.line) continue;
    const ref = `${l.file}:${l.line}`;
    const start = raw.lastIndexOf(ref);
    if (start >= 0) out.push({ line: i, start, end: start + ref.length, file: l.file, sourceLine: l.line });
  }
  return out;
}

/** Folding: BEGIN..END of a program log, each path the verifier walked, each source line's instructions. */
export function logFoldingRanges(text: string): FoldingRange[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const ranges: FoldingRange[] = [];
  const add = (start: number | undefined, end: number) => {
    if (start !== undefined && end > start) ranges.push({ startLine: start, endLine: end });
  };
  let program: number | undefined;
  let path: number | undefined;
  let source: number | undefined;
  let liveRegs: number | undefined;
  const closeSource = (before: number) => {
    add(source, before - 1);
    source = undefined;
  };
  const closePath = (before: number) => {
    closeSource(before);
    add(path, before - 1);
    path = undefined;
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    if (liveRegs !== undefined) {
      if (/^\s+\d+: /.test(raw)) continue;
      add(liveRegs, i - 1);
      liveRegs = undefined;
    }
    if (raw.startsWith('Live regs before insn:')) {
      closePath(i);
      liveRegs = i;
      continue;
    }
    const l = classifyLine(raw);
    switch (l.kind) {
      case 'begin':
        closePath(i);
        program = i;
        break;
      case 'end':
        closePath(i);
        add(program, i);
        program = undefined;
        break;
      case 'branch':
        closePath(i);
        path = i;
        break;
      case 'state':
        // `0: R1=ctx() R10=fp0` opens the first path of a program.
        if (l.index !== undefined && path === undefined) path = i;
        break;
      case 'annotation':
        closeSource(i);
        source = i;
        break;
      case 'stats':
      case 'time':
      case 'stack':
        closePath(i);
        break;
      default:
        break;
    }
  }
  const last = lines.length - (lines[lines.length - 1] === '' ? 2 : 1);
  if (liveRegs !== undefined) add(liveRegs, last);
  closePath(last + 1);
  add(program, last);
  return ranges.sort((a, b) => a.startLine - b.startLine);
}

/** `ebpf-verifier-log:/x.verifier-log?object=<encoded path>` → the path (the client may encode the query once more). */
export function logDocumentObject(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return '';
  const query = decodeURIComponent(uri.slice(q + 1).replace(/#.*$/, ''));
  const m = /(?:^|&)object=([^&]*)/.exec(query);
  return m ? decodeURIComponent(m[1]) : '';
}

/**
 * Logs copied from CI often carry a timestamp on every line (GitHub Actions' raw logs:
 * `2024-05-01T12:34:56.1234567Z `, others `[12:34:56] `). When most lines have the same kind of
 * prefix it is removed, so the verifier's lines read as the kernel printed them.
 */
export function stripLinePrefixes(log: string): string {
  const lines = log.split('\n');
  const nonEmpty = lines.filter((l) => l.trim());
  if (nonEmpty.length === 0) return log;
  for (const prefix of [/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/, /^\[\d\d:\d\d:\d\d(?:\.\d+)?\] ?/]) {
    const hits = nonEmpty.filter((l) => prefix.test(l)).length;
    if (hits >= nonEmpty.length * 0.8) return lines.map((l) => l.replace(prefix, '')).join('\n');
  }
  return log;
}
