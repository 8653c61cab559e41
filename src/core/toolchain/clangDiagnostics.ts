// Parses clang's stderr into structured diagnostics: file:line:col messages with their notes and
// fix-its, plus the BPF backend's own formats, which carry no regular location
// ("Error at line N: ... file.c:L:C..." and "error: <unknown>:0:0: in function NAME ...").
// Pure: no vscode, no I/O.

export type ClangSeverity = 'error' | 'warning' | 'note' | 'remark';

export interface SourcePosition {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
}

export interface FixIt {
  file: string;
  start: { line: number; column: number };
  end: { line: number; column: number };
  text: string;
}

export interface ClangNote extends SourcePosition {
  message: string;
}

export interface ClangDiagnostic {
  /** Absent when clang gave no location (driver errors); `functionName` may still locate it. */
  position?: SourcePosition;
  severity: ClangSeverity;
  message: string;
  /** The warning flag in brackets, e.g. -Wunused-variable. */
  option?: string;
  /** Set by the BPF backend's "in function NAME" messages, which have no line. */
  functionName?: string;
  /** For a diagnostic inside a header: the #include lines that led there, outermost first. */
  includedFrom: SourcePosition[];
  notes: ClangNote[];
  fixIts: FixIt[];
}

const located = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note|remark): (.*)$/;
const fixIt = /^fix-it:"((?:[^"\\]|\\.)*)":\{(\d+):(\d+)-(\d+):(\d+)\}:"((?:[^"\\]|\\.)*)"$/;
const includedFrom = /^(?:In file included from|\s+from) (.+?):(\d+)[:,]$/;
// clang <= 15: "Error at line 17: Unsupport signed division for DAG: 0x..: i64 = sdiv ..., f.c:17:11Please convert ..."
const backendAtLine = /^Error at line (\d+): (.*)$/;
// clang <= 14 for some backend errors: "error: <unknown>:0:0: in function big i32 (ptr): Looks like ..."
const backendInFunction = /^(?:fatal )?error: <unknown>:0:0: in function (\S+) .*?\): (.*)$/;
const unlocated = /^(?:clang(?:-\d+)?: )?(fatal error|error|warning): (.*)$/;
const noiseNote = /could not determine the original source location/;
const warningOption = /\s\[(-W[^\]]+)\]$/;

function unescape(s: string): string {
  return s
    .replace(/\\(["\\])/g, '$1')
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t');
}

function severityOf(word: string): ClangSeverity {
  return word === 'fatal error' ? 'error' : (word as ClangSeverity);
}

/** The backend's DAG dump between "for DAG:" and the location is compiler internals, not advice. */
function cleanBackendMessage(text: string): { message: string; position?: SourcePosition } {
  const loc = /(\S+?):(\d+):(\d+)(?=[A-Z]|$)/.exec(text);
  let message = text;
  const dag = text.indexOf(' for DAG:');
  if (loc && dag >= 0 && dag < loc.index) message = `${text.slice(0, dag)}. ${text.slice(loc.index + loc[0].length)}`;
  else if (loc) message = text.replace(loc[0], ' ');
  message = message
    .replace(/\.\s*\./g, '.')
    .replace(/\s+/g, ' ')
    .trim();
  return {
    message,
    position: loc ? { file: loc[1], line: Number(loc[2]), column: Number(loc[3]) } : undefined,
  };
}

export function parseClangOutput(output: string): ClangDiagnostic[] {
  const result: ClangDiagnostic[] = [];
  let current: ClangDiagnostic | undefined;
  let includeChain: SourcePosition[] = [];
  let sawBackendError = false;
  // clang repeats some backend errors at a fallback location it announces in a note first.
  const fallbackRepeats = new Set<string>();

  const push = (d: ClangDiagnostic) => {
    const repeatKey = `${d.message}@${d.position?.file}:${d.position?.line}:${d.position?.column}`;
    if (current && fallbackRepeats.has(repeatKey)) return;
    const twin = result.find(
      (r) =>
        r.message === d.message &&
        r.severity === d.severity &&
        r.position?.file === d.position?.file &&
        r.position?.line === d.position?.line &&
        r.functionName === d.functionName,
    );
    current = twin ?? d;
    if (!twin) result.push(d);
  };

  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trimEnd();
    let m: RegExpExecArray | null;
    if ((m = includedFrom.exec(line))) {
      includeChain.push({ file: m[1], line: Number(m[2]), column: 1 });
    } else if ((m = located.exec(line))) {
      const severity = severityOf(m[4]);
      const position = { file: m[1], line: Number(m[2]), column: Number(m[3]) };
      if (severity === 'note' && current) {
        if (!noiseNote.test(m[5])) current.notes.push({ ...position, message: m[5] });
        else fallbackRepeats.add(`${current.message}@${position.file}:${position.line}:${position.column}`);
        continue;
      }
      const option = warningOption.exec(m[5]);
      push({
        position,
        severity,
        message: option ? m[5].slice(0, option.index) : m[5],
        option: option?.[1],
        includedFrom: includeChain,
        notes: [],
        fixIts: [],
      });
      includeChain = [];
    } else if ((m = fixIt.exec(line))) {
      current?.fixIts.push({
        file: unescape(m[1]),
        start: { line: Number(m[2]), column: Number(m[3]) },
        end: { line: Number(m[4]), column: Number(m[5]) },
        text: unescape(m[6]),
      });
    } else if ((m = backendAtLine.exec(line))) {
      const cleaned = cleanBackendMessage(m[2]);
      push({ ...cleaned, severity: 'error', includedFrom: [], notes: [], fixIts: [] });
      sawBackendError = true;
    } else if ((m = backendInFunction.exec(line))) {
      push({ severity: 'error', message: m[2].trim(), functionName: m[1], includedFrom: [], notes: [], fixIts: [] });
      sawBackendError = true;
    } else if ((m = unlocated.exec(line))) {
      const message = m[2].trim();
      // After a backend error, clang adds its crash banner; the backend line already said it.
      if (sawBackendError && /error in backend|frontend command failed|Cannot select/.test(message)) continue;
      if (/^\d+ errors? generated\.?$/.test(message)) continue;
      push({ severity: severityOf(m[1]), message, includedFrom: [], notes: [], fixIts: [] });
    }
  }
  return result;
}

/**
 * Finds the line where a C function is defined, for backend errors that name only the function.
 * Definitions start at column 0 in nearly all C styles, so those lines are preferred over
 * indented ones (calls inside other functions).
 */
export function findFunctionDefinition(source: string, functionName: string): { line: number; column: number } | undefined {
  const escaped = functionName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const definition = new RegExp(`^(?!\\s*(?:return|if|while|for|else)\\b)[^;=(]*?\\b(${escaped})\\s*\\(`);
  const lines = source.split(/\r?\n/);
  const candidates = lines.flatMap((text, i) => {
    const m = definition.exec(text);
    return m ? [{ line: i + 1, column: text.indexOf(m[1], m.index) + 1, indented: /^\s/.test(text) }] : [];
  });
  const best = candidates.find((c) => !c.indented) ?? candidates[0];
  return best && { line: best.line, column: best.column };
}
