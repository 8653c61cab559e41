// Pure: the core's QuickFix data + the source text → text edits. The core knows what is wrong;
// this file knows C well enough to make the mechanical change, and offers nothing when unsure.
import type { TextEdit } from 'vscode-languageserver';
import type { Finding } from '../core/verifier';

export interface SourceFix {
  title: string;
  edits: TextEdit[];
  isPreferred?: boolean;
}

/**
 * Fixes for a finding whose primary line is `line` (0-based) in `text`. The related lines the
 * core found (where a maybe-NULL pointer came from) are read from the finding itself.
 */
export function buildQuickFixes(finding: Finding, text: string, line: number): SourceFix[] {
  const qf = finding.quickFix;
  if (!qf) return [];
  const lines = text.split('\n');
  switch (qf.kind) {
    case 'copy-to-stack':
      return copyToStack(lines, line, qf.expression ?? (qf.symbol ? `&${qf.symbol}` : undefined));
    case 'add-null-check':
      return addNullCheck(lines, line, finding);
    case 'callback-return-range':
      return returnConstant(lines, line, qf.range ?? [0, 1], true);
    case 'program-return-range':
      return qf.range ? returnConstant(lines, line, qf.range, false) : [];
    case 'license-gpl':
      return declareGplLicense(lines);
    default:
      // Bounds checks need a limit and releases need the right release call: not mechanical.
      return [];
  }
}

const IDENT = /^[A-Za-z_]\w*$/;
const indentOf = (s: string) => /^\s*/.exec(s)![0];
const insertAt = (line: number, character: number, newText: string): TextEdit => ({
  range: { start: { line, character }, end: { line, character } },
  newText,
});

/** A statement on `line` that is the lone body of a brace-less if/for/while/else cannot grow lines before it. */
function isBracelessBody(lines: readonly string[], line: number): boolean {
  for (let i = line - 1; i >= 0; i--) {
    const t = lines[i].replace(/\/\/.*$/, '').trim();
    if (!t) continue;
    return /^(?:\}\s*)?(?:else\b.*|(?:if|for|while)\s*\(.*\))$/.test(t) && !t.endsWith('{') && !t.endsWith(';');
  }
  return false;
}

/** The last line of the statement that starts on `line` (it ends with `;` or opens a block). */
function statementEnd(lines: readonly string[], line: number): number | undefined {
  let depth = 0;
  for (let i = line; i < Math.min(lines.length, line + 12); i++) {
    const code = lines[i].replace(/\/\/.*$/, '');
    for (const ch of code) {
      if (ch === '(') depth++;
      else if (ch === ')') depth--;
    }
    if (depth <= 0 && /;\s*$/.test(code.trimEnd())) return i;
  }
  return undefined;
}

/** Position of `expr` on a line as a whole expression (not part of a longer name). */
function findExpression(lineText: string, expr: string): number | undefined {
  let from = 0;
  for (;;) {
    const at = lineText.indexOf(expr, from);
    if (at < 0) return undefined;
    const before = lineText[at - 1] ?? ' ';
    const after = lineText[at + expr.length] ?? ' ';
    if (!/\w/.test(after) && !(/\w/.test(expr[0]) && /\w/.test(before))) return at;
    from = at + 1;
  }
}

function freshName(lines: readonly string[], base: string): string {
  const text = lines.join('\n');
  for (let n = 0; ; n++) {
    const name = n ? `${base}${n + 1}` : base;
    if (!new RegExp(`\\b${name}\\b`).test(text)) return name;
  }
}

/** The declared type of a file-scope variable, without storage class, qualifiers and attributes. */
export function globalDeclaration(lines: readonly string[], name: string): { type: string; isConst: boolean } | undefined {
  const re = new RegExp(
    `^((?:[A-Za-z_]\\w*\\s+|\\*\\s*)+?)\\**\\s*${name}\\s*(\\[[^\\]]*\\])?\\s*(?:SEC\\(.*?\\)\\s*|__\\w+(?:\\(.*?\\))?\\s*)*[=;]`,
  );
  for (const l of lines) {
    if (/^\s/.test(l)) continue; // file scope only
    const m = re.exec(l);
    if (!m || m[2]) continue; // arrays cannot be copied by assignment
    const words = m[1].trim().split(/\s+/);
    const isConst = words.includes('const');
    const type = words
      .filter((w) => !/^(?:static|extern|const|volatile|register|__weak|__hidden|__always_inline|__attribute__)$/.test(w))
      .join(' ');
    const stars = /(\*+)\s*$/.exec(l.slice(0, l.indexOf(name)))?.[1] ?? '';
    if (type && !/^(?:return|typedef)$/.test(words[0]))
      return { type: `${type}${stars ? ` ${stars}` : ''}`.replace(/\s+\*/g, ' *'), isConst };
  }
  return undefined;
}

/**
 * `helper(..., &global, ...)` → copy the global into a local, pass the local's address, and copy
 * it back after the call (the callback may have written to it). A pointer to a map value
 * (`helper(..., val, ...)`) is copied through `*val` the same way.
 */
function copyToStack(lines: readonly string[], line: number, expression: string | undefined): SourceFix[] {
  if (!expression) return [];
  const lineText = lines[line] ?? '';
  const at = findExpression(lineText, expression);
  if (at === undefined || isBracelessBody(lines, line)) return [];
  const end = statementEnd(lines, line);
  if (end === undefined) return [];
  const addressOf = /^&\s*([A-Za-z_]\w*)$/.exec(expression);
  let name: string;
  let value: string;
  let declaration: string;
  let copyBack = true;
  if (addressOf) {
    name = addressOf[1];
    value = name;
    const decl = globalDeclaration(lines, name);
    declaration = decl ? decl.type : `__typeof__(${name})`;
    copyBack = !decl?.isConst;
  } else if (IDENT.test(expression)) {
    name = expression;
    value = `*${expression}`;
    declaration = `__typeof__(*${expression})`;
  } else {
    return [];
  }
  const local = freshName(lines, `${name}_on_stack`);
  const indent = indentOf(lineText);
  const edits: TextEdit[] = [
    insertAt(line, 0, `${indent}${declaration} ${local} = ${value};\n`),
    { range: { start: { line, character: at }, end: { line, character: at + expression.length } }, newText: `&${local}` },
  ];
  if (copyBack) edits.push(insertAt(end, lines[end].length, `\n${indent}${value} = ${local};`));
  return [{ title: `Copy '${name}' into a stack variable and pass its address`, edits, isPreferred: true }];
}

/** After `p = bpf_map_lookup_elem(...)`: `if (!p) return <what the function returns elsewhere>;`. */
function addNullCheck(lines: readonly string[], line: number, finding: Finding): SourceFix[] {
  const primaryText = lines[line] ?? '';
  const origin = finding.related.find(
    (r) => /NULL/.test(r.message) && r.line && r.line > 0 && (!finding.file || !r.file || sameFile(r.file, finding.file)),
  );
  const originLine = origin?.line !== undefined ? origin.line - 1 : undefined;
  let variable = originLine !== undefined ? assignedVariable(lines[originLine] ?? '') : undefined;
  if (!variable || findExpression(primaryText, variable) === undefined) variable = dereferencedVariable(primaryText);
  if (!variable) return [];

  // Check right after the assignment when it is above the use, else just before the use.
  let insertLine = line;
  let indent = indentOf(primaryText);
  if (originLine !== undefined && originLine < line && assignedVariable(lines[originLine] ?? '') === variable) {
    const end = statementEnd(lines, originLine);
    if (end !== undefined && end < line) {
      insertLine = end + 1;
      indent = indentOf(lines[originLine]);
    }
  }
  if (insertLine === line && isBracelessBody(lines, line)) return [];
  const ret = returnValueAfter(lines, line);
  const body = ret === undefined ? 'return;' : `return ${ret};`;
  return [
    {
      title: `Return early when '${variable}' is NULL`,
      edits: [insertAt(insertLine, 0, `${indent}if (!${variable})\n${indent}\t${body}\n`)],
      isPreferred: true,
    },
  ];
}

const sameFile = (a: string, b: string) => a.slice(a.lastIndexOf('/') + 1) === b.slice(b.lastIndexOf('/') + 1);

/** `T *v = call(...)` or `v = call(...)` → `v`. */
export function assignedVariable(lineText: string): string | undefined {
  const m = /(?:^|[\s*(,])([A-Za-z_]\w*)\s*=(?!=)\s*(?:\([^)]*\)\s*)?[A-Za-z_]\w*\s*\(/.exec(lineText);
  return m?.[1];
}

/** `*v += 1`, `v->x`, `v[i]` → `v`. */
function dereferencedVariable(lineText: string): string | undefined {
  return /\*\s*([A-Za-z_]\w*)/.exec(lineText)?.[1] ?? /([A-Za-z_]\w*)\s*(?:->|\[)/.exec(lineText)?.[1];
}

/**
 * What the enclosing function returns on its normal path, read from the next `return` below the
 * line (e.g. `XDP_PASS`), when that is a constant or a name; `0` otherwise; undefined for void.
 */
function returnValueAfter(lines: readonly string[], line: number): string | undefined {
  for (let i = line; i < lines.length; i++) {
    if (/^\}/.test(lines[i])) break; // end of the function
    const m = /\breturn\b\s*([^;]*);/.exec(lines[i]);
    if (!m) continue;
    const value = m[1].trim();
    if (!value) return undefined;
    return /^(?:-?\d+|[A-Z_][A-Z0-9_]*)$/.test(value) ? value : '0';
  }
  return '0';
}

/** `return <anything>;` on the line → `return 0;` (continue) / `return 1;` (stop), or the range's ends. */
function returnConstant(lines: readonly string[], line: number, range: [number, number], callback: boolean): SourceFix[] {
  const lineText = lines[line] ?? '';
  const m = /\breturn\b\s*([^;]*);/.exec(lineText);
  if (!m || !m[1].trim()) return [];
  const start = m.index + m[0].length - 1 - m[1].length;
  const values = range[0] === range[1] ? [range[0]] : [range[0], range[1]];
  return values.map((v, i) => {
    const meaning = callback && range[0] === 0 && range[1] === 1 ? (v === 0 ? ' (continue)' : ' (stop)') : '';
    return {
      title: `Return ${v}${meaning} instead of '${m[1].trim()}'`,
      edits: [{ range: { start: { line, character: start }, end: { line, character: start + m[1].length } }, newText: String(v) }],
      isPreferred: i === 0,
    };
  });
}

/** Set the license section to "GPL", or add one at the end of the file. */
function declareGplLicense(lines: readonly string[]): SourceFix[] {
  const at = lines.findIndex((l) => /SEC\(\s*"license"\s*\)/.test(l));
  if (at >= 0) {
    const m = /=\s*("(?:[^"\\]|\\.)*")/.exec(lines[at]);
    if (!m) return [];
    const start = m.index + m[0].length - m[1].length;
    return [
      {
        title: 'Declare the program GPL-licensed',
        edits: [{ range: { start: { line: at, character: start }, end: { line: at, character: start + m[1].length } }, newText: '"GPL"' }],
        isPreferred: true,
      },
    ];
  }
  const last = lines.length - 1;
  const needsNewline = lines[last] !== '';
  return [
    {
      title: 'Declare the program GPL-licensed',
      edits: [insertAt(last, lines[last].length, `${needsNewline ? '\n' : ''}\nchar LICENSE[] SEC("license") = "GPL";\n`)],
      isPreferred: true,
    },
  ];
}
