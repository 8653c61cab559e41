// Root-cause hints that need the C source rather than the log: the SEC() that chose the program
// type, the license declaration, a program's definition, the lines naming a symbol. Pure text
// search over the sources the caller passed in.
import { basename, findSource } from './locate';
import { definesOf, returnedConstant } from './placement';

export interface SourceLine {
  file: string;
  line: number;
}

const isComment = (l: string) => /^\s*(?:\/\/|\/\*|\*)/.test(l);

/** A line in column 0 that is not a brace, a directive or a comment: a function's header (or a declaration), not a label (`out:`). */
export const outsideBody = (l: string) => /^[^\s{}#/]/.test(l) && !/^[A-Za-z_]\w*:\s*(?:\/[/*].*)?$/.test(l);
/** A line without its comments: closed ones anywhere, and one left open at its end. */
const noComments = (l: string) => l.replace(/\/\*.*?\*\/|\/\*.*$|\/\/.*$/g, '');
/** `name` as a literal inside a regular expression. */
export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The line that opens `struct name` (or `union name`): `struct name {`, or `struct name` with the
 * brace on the next line (Allman style). -1 when the lines define no such struct.
 */
export function structStart(lines: readonly string[], name: string): number {
  const same = new RegExp(String.raw`^\s*(?:typedef\s+)?(?:struct|union)\s+(?:__attribute__\s*\(\([^)]*\)\)\s*)?${escape(name)}\s*\{`);
  const alone = new RegExp(String.raw`^\s*(?:typedef\s+)?(?:struct|union)\s+(?:__attribute__\s*\(\([^)]*\)\)\s*)?${escape(name)}\s*$`);
  for (let i = 0; i < lines.length; i++) {
    if (same.test(lines[i])) return i;
    if (alone.test(lines[i]) && /^\s*\{/.test(lines[i + 1] ?? '')) return i;
  }
  return -1;
}

function linesOf(sources: ReadonlyMap<string, string>, file?: string, prefer?: string): [string, string[]][] {
  if (file) {
    const hit = findSource(sources, file);
    return hit ? [[hit[0], hit[1].split('\n')]] : [];
  }
  // The file the finding is in first: a project has many programs, each with its own license, maps, ...
  const first = prefer ? findSource(sources, prefer)?.[0] : undefined;
  const keys = [...sources.keys()].sort((a, b) => Number(b === first) - Number(a === first));
  return keys.map((k) => [k, sources.get(k)!.split('\n')]);
}

/** The SEC("...") line governing `line` of `file`: the last program section above it. */
export function sectionAbove(sources: ReadonlyMap<string, string>, file: string, line: number): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
      // SEC("..."), and the spellings projects define for themselves (cilium's __section("...")).
      if (/\b(?:SEC|__section|section)\s*\(\s*"(?!license"|\.maps"|version"|maps")/.test(lines[i]) && !isComment(lines[i]))
        return { file: key, line: i + 1 };
      // A macro of the project's that expands to a section (iproute2's `__section_tail(ID, KEY)`).
      const macro = /^\s*([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:\/\*.*\*\/\s*)?$/.exec(lines[i])?.[1];
      if (macro && lines.some((l) => new RegExp(String.raw`^\s*#\s*define\s+${escape(macro)}\s*\([^)]*\).*section`).test(l)))
        return { file: key, line: i + 1 };
    }
  }
  return undefined;
}

/** The closing brace (at column 0) of the function containing `line`. */
export function functionEnd(sources: ReadonlyMap<string, string>, file: string, line: number): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = Math.max(0, line - 1); i < lines.length; i++) if (/^\}/.test(lines[i])) return { file: key, line: i + 1 };
  }
  return undefined;
}

/**
 * The lines an `if (...)` at `line` controls (its braced block, or its one statement) and, when
 * an `else` follows, the lines of that. Undefined for an `else if` chain or a condition that
 * spans lines.
 */
export function ifBlock(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
): { first: number; last: number; other?: { first: number; last: number } } | undefined {
  const hit = findSource(sources, file);
  if (!hit) return undefined;
  const lines = hit[1].split('\n').map(codeOf);
  const head = lines[line - 1] ?? '';
  const open = /^\s*(?:\}\s*else\s+)?if\s*\(/.exec(head);
  if (!open) return undefined;
  let depth = 0;
  let col = open[0].length - 1;
  for (; col < head.length; col++) {
    depth += head[col] === '(' ? 1 : head[col] === ')' ? -1 : 0;
    if (depth === 0) break;
  }
  if (col >= head.length) return undefined;
  const then = statementAt(lines, line - 1, col + 1);
  if (!then) return undefined;
  // What follows the statement: an `else` and its own statement, or anything else.
  const next = nextCode(lines, then.end.line, then.end.col + 1);
  if (!next || !/^else\b/.test(lines[next.line].slice(next.col))) return { first: then.first + 1, last: then.end.line + 1 };
  const elseCol = next.col + 4;
  if (/^\s*if\b/.test(lines[next.line].slice(elseCol))) return undefined;
  const other = statementAt(lines, next.line, elseCol);
  if (!other) return undefined;
  return { first: then.first + 1, last: then.end.line + 1, other: { first: other.first + 1, last: other.end.line + 1 } };
}

/** The next character of code at or after (line, col), skipping blanks (0-based positions). */
function nextCode(lines: readonly string[], line: number, col: number): { line: number; col: number } | undefined {
  for (let l = line; l < lines.length && l < line + 8; l++) {
    const from = l === line ? col : 0;
    const m = /\S/.exec(lines[l].slice(from));
    if (m) return { line: l, col: from + m.index };
  }
  return undefined;
}

/** The statement that starts at or after (line, col): a braced block to its `}`, or code up to its `;`. */
function statementAt(
  lines: readonly string[],
  line: number,
  col: number,
): { first: number; end: { line: number; col: number } } | undefined {
  const start = nextCode(lines, line, col);
  if (!start) return undefined;
  const braced = lines[start.line][start.col] === '{';
  let depth = 0;
  for (let l = start.line; l < lines.length && l < start.line + 300; l++) {
    for (let c = l === start.line ? start.col : 0; c < lines[l].length; c++) {
      const ch = lines[l][c];
      if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (braced && depth === 0)
          return { first: start.line + (lines[start.line].slice(start.col + 1).trim() ? 0 : 1), end: { line: l, col: c } };
      } else if (ch === ';' && !braced && depth === 0) return { first: start.line, end: { line: l, col: c } };
    }
  }
  return undefined;
}

/**
 * The `return` a branch at `line` leads to. When the verifier knows the returned value (R0 is a
 * constant at the exit), only `return <that value>;` qualifies. Then the first one from the
 * branch's own line on when the branch was taken (`if (err) return 0;` is usually a jump to the
 * return), otherwise the last one of the function. Stops at the end of the function.
 */
export function returnAfter(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
  taken: boolean,
  value?: number,
): (SourceLine & { text: string }) | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    const found: (SourceLine & { text: string; literal?: number })[] = [];
    // Named constants count as values too: `return -EPERM;`, `return XDP_DROP;`.
    const defines = value === undefined ? undefined : definesOf(lines);
    const macros = returningMacros(lines);
    for (let i = Math.max(0, line - 1); i < lines.length; i++) {
      if (/^\}/.test(lines[i])) break;
      if (isComment(lines[i])) continue;
      // A macro that returns (`BAIL_IF(cond)` -> `if (cond) return 0;`) is a return where it is used.
      const macro = [...macros].find(([name]) => new RegExp(String.raw`\b${escape(name)}\s*\(`).test(lines[i]))?.[1];
      if (/\breturn\b/.test(lines[i]) || macro) {
        const literal = defines ? returnedConstant(macro && !/\breturn\b/.test(lines[i]) ? macro : lines[i], defines) : undefined;
        found.push({ file: key, line: i + 1, text: lines[i].trim(), literal });
      }
    }
    const same = value === undefined ? [] : found.filter((r) => r.literal === value);
    const pool = same.length ? same : found;
    const pick = pool.length === 1 || taken ? pool[0] : pool[pool.length - 1];
    if (pick) return { file: pick.file, line: pick.line, text: pick.text };
  }
  return undefined;
}

/** The #define of function-like macro `name` in `file`: its line and its body (after the parameter list, comments removed). */
export function macroDefinition(
  sources: ReadonlyMap<string, string>,
  file: string,
  name: string,
): (SourceLine & { body: string }) | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    const define = new RegExp(String.raw`^\s*#\s*define\s+${escape(name)}\s*\([^)]*\)`);
    const i = lines.findIndex((l) => define.test(l));
    if (i >= 0) return { file: key, line: i + 1, body: withoutComment(lines[i]).replace(define, '').trim() };
  }
  return undefined;
}

/** Function-like macros whose body returns: name -> body (continuation lines joined). */
function returningMacros(lines: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*#\s*define\s+(\w+)\(([^)]*)\)/.exec(lines[i]);
    const body = m ? joinedDefine(lines, i).slice(m[0].length) : '';
    if (m && /\breturn\b/.test(body)) out.set(m[1], body.trim());
  }
  return out;
}

/** The #define at line index `i` with its continuation lines (ending in `\\`) joined. */
function joinedDefine(lines: readonly string[], i: number): string {
  let text = lines[i];
  for (let j = i; /\\\s*$/.test(lines[j]) && j + 1 < lines.length; j++) text = text.replace(/\\\s*$/, ' ') + lines[j + 1];
  return text;
}

/** The whole #define of function-like macro `name` in `lines`, continuation lines joined. */
export function macroText(lines: readonly string[], name: string): string | undefined {
  const i = lines.findIndex((l) => new RegExp(String.raw`^\s*#\s*define\s+${escape(name)}\s*\(`).test(l));
  return i < 0 ? undefined : joinedDefine(lines, i);
}

/** The `__uint(type, ...)` (or `.type = ...`) line of the map declaration that ends at `line`. */
export function mapTypeLine(sources: ReadonlyMap<string, string>, file: string, line: number): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = line - 1; i >= 0 && i > line - 40; i--) {
      if (/__uint\s*\(\s*type\s*,|\.type\s*=/.test(lines[i])) return { file: key, line: i + 1 };
      if (
        i < line - 1 &&
        /^\s*(?:struct\s*)?\{?\s*$/.test(lines[i]) === false &&
        /;\s*$/.test(lines[i]) &&
        !/__(?:uint|type|array)\s*\(/.test(lines[i])
      )
        break;
    }
  }
  return undefined;
}

/** The `__type(value, ...)` (or `__uint(value_size, ...)`) line of the map declaration that ends at `line`. */
export function mapValueTypeLine(sources: ReadonlyMap<string, string>, file: string, line: number): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = line - 1; i >= 0 && i > line - 40; i--) {
      if (/__type\s*\(\s*value\s*,|__uint\s*\(\s*value_size\s*,|\.value_size\s*=/.test(lines[i])) return { file: key, line: i + 1 };
      if (/^\s*struct\s*\{\s*$|^\S/.test(lines[i]) && i < line - 1) break;
    }
  }
  return undefined;
}

/** The BTF-style maps (`} name SEC(".maps")`) whose value struct has a `struct <field>` member, with that member. */
export function mapsHolding(
  sources: ReadonlyMap<string, string>,
  field: string,
  prefer?: string,
): { map: string; valueType: string; member: SourceLine & { field: string } }[] {
  const out: { map: string; valueType: string; member: SourceLine & { field: string } }[] = [];
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    lines.forEach((l, i) => {
      const map = /^\s*\}\s*(\w+)\s+SEC\(\s*"\.maps"\s*\)/.exec(l)?.[1];
      const value = map ? mapValueTypeLine(sources, key, i + 1) : undefined;
      const type = value ? /__type\s*\(\s*value\s*,\s*struct\s+(\w+)/.exec(lines[value.line - 1] ?? '')?.[1] : undefined;
      const member = type ? structFieldsOfType(sources, type, new RegExp(`^${escape(field)}$`), key)[0] : undefined;
      if (map && type && member) out.push({ map, valueType: type, member });
    });
  }
  return out;
}

/**
 * Globals of type `struct <field>` (`private(A) struct bpf_rb_root tree __contains(...)`): each is
 * a member of the map of its section, which it shares with the other globals of that section.
 */
export function globalsHolding(
  sources: ReadonlyMap<string, string>,
  field: string,
  prefer?: string,
): { names: string[]; member: SourceLine & { field: string } }[] {
  const out: { names: string[]; member: SourceLine & { field: string } }[] = [];
  const decl = (l: string) => /^((?:\w+\s*\([^)]*\)\s*)*)(?:static\s+)?struct\s+(\w+)\s+(\w+)\b[^;(]*(?:\([^)]*\))?[^;(]*;/.exec(l);
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    lines.forEach((l, i) => {
      const m = decl(l);
      if (!m || m[2] !== field) return;
      // The other globals of the same section (`private(A)`, `SEC(".data.A")`) are the same map.
      const section = m[1].trim();
      const names = section
        ? lines
            .map((x) => (x.startsWith(section) ? /(\w+)\s*(?:\[[^\]]*\])?\s*(?:__\w+\([^)]*\))?\s*(?:=[^;]*)?;/.exec(x)?.[1] : undefined))
            .filter((x): x is string => !!x)
        : [m[3]];
      out.push({ names: [...new Set([m[3], ...names])], member: { file: key, line: i + 1, field: m[3] } });
    });
  }
  return out;
}

/** The line that opens `struct name`'s definition (`struct name {`). */
export function structDefinition(sources: ReadonlyMap<string, string>, name: string, prefer?: string): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    const at = structStart(lines, name);
    if (at >= 0) return { file: key, line: at + 1 };
  }
  return undefined;
}

/** The fields of `struct name`'s definition whose type is `struct <type>`, in order. */
export function structFieldsOfType(
  sources: ReadonlyMap<string, string>,
  name: string,
  type: RegExp,
  prefer?: string,
): (SourceLine & { field: string; type: string })[] {
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    const start = structStart(lines, name);
    if (start < 0) continue;
    const out: (SourceLine & { field: string; type: string })[] = [];
    for (let i = start + 1; i < lines.length && !/^\s*\}/.test(lines[i]); i++) {
      const m = /^\s*struct\s+(\w+)\s+(\w+)\s*(?:\[[^\]]*\])?\s*;/.exec(lines[i]);
      if (m && type.test(m[1])) out.push({ file: key, line: i + 1, field: m[2], type: m[1] });
    }
    return out;
  }
  return [];
}

/** The header line of the function that contains `line` (`int f(struct x *a)`, at column 0). */
export function functionHeader(sources: ReadonlyMap<string, string>, file: string, line: number): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
      if (/^\}/.test(lines[i])) return undefined;
      // `int f(...)`, or `f(...)` under a return type on the line above (`static int\nf(...)`).
      if (/^(?:[A-Za-z_][\w\s*()]*\b)?\w+\s*\(/.test(lines[i]) && !/;\s*$/.test(lines[i]) && !isComment(lines[i]))
        return { file: key, line: i + 1 };
    }
  }
  return undefined;
}

/** The nearest comparison (`<`, `>`, `<=`, `>=`) mentioning `operand` above `line`, in the same function. */
export function comparisonAbove(sources: ReadonlyMap<string, string>, file: string, line: number, operand: RegExp): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = Math.min(line, lines.length) - 2; i >= 0 && !/^\S.*\)\s*$|^\{|^\}/.test(lines[i]); i--) {
      const code = lines[i].replace(/\/\*.*?\*\/|\/\/.*$/g, '').replace(/->/g, '.');
      if (/[^<>=!]\s*(?:[<>]=?)\s*[^<>=]/.test(code) && operand.test(code) && !isComment(lines[i])) return { file: key, line: i + 1 };
    }
  }
  return undefined;
}

/** A source line without its comments and string or character literals: the code braces count in. */
const codeOf = (line: string) => line.replace(/\/\*.*?\*\/|\/\/.*$|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '');

/** The header of the innermost `for` / `while` / `do` loop whose body holds `line`, in the same function. */
export function enclosingLoop(sources: ReadonlyMap<string, string>, file: string, line: number): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    let depth = 0;
    for (let i = Math.min(line, lines.length) - 2; i >= 0 && !outsideBody(lines[i]); i--) {
      const code = codeOf(lines[i]);
      for (let c = code.length - 1; c >= 0; c--) {
        if (code[c] === '}') depth++;
        else if (code[c] === '{' && --depth < 0) {
          // This brace opens a block around `line`: a loop's, or the statement on the line above.
          const head = /\b(?:for|while)\s*\(|\bdo\b/.test(code) ? i : i > 0 && /^\s*\{\s*$/.test(code) ? i - 1 : -1;
          if (head >= 0 && /\b(?:for|while)\s*\(|\bdo\b|\bbpf_for(?:_each)?\s*\(|\bbpf_repeat\s*\(/.test(lines[head]))
            return { file: key, line: head + 1 };
          depth = 0;
        }
      }
    }
  }
  return undefined;
}

/**
 * What ends and what advances a loop whose header is at `line`: the conditions of its `break`s
 * (`if (parent == d) break;`) and the variables its body steps (`depth++`, `off += len`).
 */
export function loopBody(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
): { breaks: SourceLine[]; counters: string[]; constants: string[]; code: string[] } | undefined {
  const hit = findSource(sources, file);
  if (!hit) return undefined;
  const lines = hit[1].split('\n');
  const out = { breaks: [] as SourceLine[], counters: [] as string[], constants: [] as string[], code: [] as string[] };
  let depth = 0;
  let opened = false;
  for (let i = line - 1; i < lines.length && i < line + 200; i++) {
    const code = codeOf(lines[i]);
    if (i >= line) {
      out.code.push(code);
      // `if (x) break;` on one line, or `if (x)` above a line that only breaks.
      if (/\bbreak\s*;/.test(code) && depth === 1) {
        const own = /\bif\s*\(/.test(code) ? i : /^\s*break\s*;\s*$/.test(code) && /\bif\s*\(/.test(lines[i - 1] ?? '') ? i - 1 : -1;
        if (own >= 0) out.breaks.push({ file: hit[0], line: own + 1 });
      }
      for (const m of code.matchAll(/\b([a-z_]\w*)\s*(?:\+\+|\+=|-=|--)|(?:\+\+|--)\s*([a-z_]\w*)\b/g)) {
        const v = m[1] ?? m[2];
        if (!out.counters.includes(v)) out.counters.push(v);
      }
      for (const m of code.matchAll(/\b([A-Z][A-Z0-9_]{2,})\b/g)) if (!out.constants.includes(m[1])) out.constants.push(m[1]);
    }
    for (const c of code) {
      if (c === '{') {
        depth++;
        opened = true;
      } else if (c === '}') depth--;
    }
    if (opened && depth <= 0) return out;
  }
  return out;
}

/** The declaration of local variable `name` above `line`, in the function that contains it. */
export function localDeclaration(sources: ReadonlyMap<string, string>, file: string, line: number, name: string): SourceLine | undefined {
  // `int x;`, or the name after an inline struct or union's closing brace (`} hdrbuf;`).
  const decl = new RegExp(
    String.raw`^\s+(?:(?:(?:const|volatile|struct|union|enum|unsigned|signed|static)\s+)*\w+[\s*]+|\}\s*)${escape(name)}\s*(?:\[[^\]]*\]\s*)*(?:=|;|,)`,
  );
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = Math.min(line, lines.length) - 1; i >= 0 && !outsideBody(lines[i]); i--) {
      if (decl.test(lines[i].replace(/\/\*.*?\*\//g, '')) && !isComment(lines[i])) return { file: key, line: i + 1 };
    }
  }
  return undefined;
}

/** Map types with no key (key_size 0): the others need a key of some size. */
const KEYLESS = /^BPF_MAP_TYPE_(?:QUEUE|STACK|RINGBUF|USER_RINGBUF|BLOOM_FILTER|ARENA)$/;
const ARRAY_LIKE =
  /^BPF_MAP_TYPE_(?:ARRAY|PERCPU_ARRAY|PROG_ARRAY|PERF_EVENT_ARRAY|CGROUP_ARRAY|ARRAY_OF_MAPS|DEVMAP|CPUMAP|XSKMAP|SOCKMAP|REUSEPORT_SOCKARRAY)$/;
const EIGHT_BYTES = /^(?:u64|__u64|s64|__s64|long|unsigned long|long long|unsigned long long|size_t|uint64_t|int64_t|void \*|char \*)$/;

/**
 * What the kernel refuses in a BTF-style map definition ending at `line` (`} name SEC(".maps")`):
 * array maps take 4-byte keys, a ring buffer has no key or value and a power-of-two size of
 * whole pages, a perf event array holds 4-byte values. The line to change, and why.
 */
export function mapDefinitionProblem(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
  outOfMemory = false,
): (SourceLine & { why: string; fix: string; related?: SourceLine & { message: string } }) | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    const body = definitionBody(lines, line);
    const type = body.map((b) => /__uint\s*\(\s*type\s*,\s*(BPF_MAP_TYPE_\w+)/.exec(b.t)?.[1]).find(Boolean);
    if (!type) return undefined;
    const keyLine = body.find((b) => /__type\s*\(\s*key\s*,|__uint\s*\(\s*key_size\s*,/.test(b.t));
    const valueLine = body.find((b) => /__type\s*\(\s*value\s*,|__uint\s*\(\s*value_size\s*,/.test(b.t));
    const entriesLine = body.find((b) => /__uint\s*\(\s*max_entries\s*,/.test(b.t));
    const keyType = keyLine ? /__type\s*\(\s*key\s*,\s*([^)]+?)\s*\)/.exec(keyLine.t)?.[1] : undefined;
    const keyBytes = declaredBytes(keyLine, keyType, sources, key);
    // Without a size (a type of vmlinux.h), its name: 8-byte integers and structs are no __u32.
    if (
      ARRAY_LIKE.test(type) &&
      keyLine &&
      (keyBytes !== undefined ? keyBytes !== 4 : !!keyType && (EIGHT_BYTES.test(keyType) || /^struct\b/.test(keyType)))
    )
      return {
        file: key,
        line: keyLine.n,
        why: `${type} maps are indexed by a 4-byte key (__u32), and this one declares its key as \`${keyType ?? `${keyBytes} bytes`}\`: the kernel refuses to create the map (EINVAL).`,
        fix: 'Declare the key as __u32 (`__type(key, __u32)`) and convert the index when you look it up.',
      };
    // Maps of file descriptors (perf events, programs, cgroups, inner maps) hold 4-byte values:
    // what is sent through them (a perf record's struct) is not the map's value.
    const valueType = valueLine ? /__type\s*\(\s*value\s*,\s*([^)]+?)\s*\)/.exec(valueLine.t)?.[1] : undefined;
    const valueBytes = declaredBytes(valueLine, valueType, sources, key);
    if (
      /^BPF_MAP_TYPE_(?:PERF_EVENT_ARRAY|PROG_ARRAY|CGROUP_ARRAY)$/.test(type) &&
      valueLine &&
      ((valueType && (EIGHT_BYTES.test(valueType) || /^struct\b|\[/.test(valueType))) ||
        (!valueType && valueBytes !== undefined && valueBytes !== 4))
    )
      return {
        file: key,
        line: valueLine.n,
        why: `A ${type} holds file descriptors (${type === 'BPF_MAP_TYPE_PERF_EVENT_ARRAY' ? 'one perf event per CPU' : type === 'BPF_MAP_TYPE_PROG_ARRAY' ? 'programs to tail-call' : 'cgroups'}), so its values are 4 bytes; this one declares its value as \`${valueType ?? `${valueBytes} bytes`}\`, and the kernel refuses to create the map (EINVAL).${type === 'BPF_MAP_TYPE_PERF_EVENT_ARRAY' ? " The records sent with bpf_perf_event_output() have their own type; it is not the map's value." : ''}`,
        fix: `Declare \`__uint(key_size, sizeof(__u32))\` and \`__uint(value_size, sizeof(__u32))\` (or leave both out, libbpf fills them in for ${type}).`,
      };
    if (type === 'BPF_MAP_TYPE_RINGBUF' && (keyLine || valueLine))
      return {
        file: key,
        line: (keyLine ?? valueLine)!.n,
        why: 'A ring buffer has neither key nor value (records are reserved by size): with a key or value type the kernel refuses to create the map (EINVAL).',
        fix: 'Declare only the type and max_entries (a power of two, a multiple of the page size) for a BPF_MAP_TYPE_RINGBUF.',
      };
    const entries = entriesValue(entriesLine, sources);
    if (type === 'BPF_MAP_TYPE_RINGBUF' && entries !== undefined && (entries & (entries - 1) || entries % 4096))
      return {
        file: key,
        line: entriesLine!.n,
        why: `A ring buffer's size must be a power of two and a multiple of the page size; max_entries ${entries} is not, so the kernel refuses to create it (EINVAL).`,
        fix: 'Use a size such as 256 * 1024 (`__uint(max_entries, 1 << 18)`).',
      };
    // ENOMEM: the size the definition asks for (array maps and preallocated hashes take it at once).
    const valueSize = valueBytes ?? (valueType ? typeSize(sources, valueType, [], key)?.bytes : undefined);
    // (A small map refused with ENOMEM is the locked-memory or cgroup limit, not its size.)
    const total = entries !== undefined && valueSize !== undefined ? entries * valueSize : 0;
    if (outOfMemory && entriesLine && total >= 64 * 2 ** 20) {
      const perCpu = /PERCPU/.test(type) ? ' on every CPU' : '';
      return {
        file: key,
        line: entriesLine.n,
        why: `The map asks for ${entries} entries of ${valueSize} bytes${valueType ? ` (\`${valueType}\`)` : ''}, about ${humanBytes(total)}${perCpu}, which the kernel could not allocate (ENOMEM).`,
        fix: 'Lower max_entries or the value size: keep large or rare data out of the map (a ring buffer, or a one-entry per-CPU scratch map), or use a hash map with BPF_F_NO_PREALLOC so entries are allocated as they are added.',
        related: valueLine ? { file: key, line: valueLine.n, message: `each value is ${valueSize} bytes` } : undefined,
      };
    }
    return kernelMapRule({ type, body, keyLine, keyType, keyBytes, valueLine, valueType, valueBytes, entriesLine, entries }, sources, key);
  }
  return undefined;
}

/** The type of a map-in-map's inner map, `__array(values, struct inner)` or written in place, and its line. */
function innerMapType(body: MapLine[], sources: ReadonlyMap<string, string>, file: string): { type: string; line: MapLine } | undefined {
  const at = body.findIndex((b) => /__array\s*\(\s*values\s*,/.test(b.t));
  if (at < 0) return undefined;
  const named = /__array\s*\(\s*values\s*,\s*struct\s+(\w+)\s*\)/.exec(body[at].t)?.[1];
  let lines = body.slice(at);
  if (named) {
    for (const [key, text] of linesOf(sources, undefined, file)) {
      const start = structStart(text, named);
      if (start < 0) continue;
      const end = text.findIndex((l, i) => i > start && /^\s*\}/.test(l));
      lines = text.slice(start, end < 0 ? start + 20 : end + 1).map((t, i) => ({ t, n: start + i + 1 }));
      if (key !== file) return undefined;
      break;
    }
  }
  // The inner definition's own type (not the outer map's, before the __array line).
  const line = lines.find(
    (b) => /__uint\s*\(\s*type\s*,\s*BPF_MAP_TYPE_\w+/.test(b.t) && (named || b !== body[at] || /\{.*type/.test(b.t)),
  );
  const type = line
    ? /__uint\s*\(\s*type\s*,\s*(BPF_MAP_TYPE_\w+)/.exec(line.t.slice(named || line !== body[at] ? 0 : line.t.indexOf('{')))?.[1]
    : undefined;
  return line && type ? { type, line } : undefined;
}

/** The lines of the BTF-style map definition that ends at `line` (`} name SEC(".maps")`). */
function definitionBody(lines: string[], line: number): MapLine[] {
  let start = line - 1;
  while (start > 0 && start > line - 30 && !/^\s*struct\s*(?:\{|$)/.test(lines[start])) start--;
  return lines.slice(start, line).map((t, i) => ({ t, n: start + i + 1 }));
}

/**
 * The attribute line of the map definition ending at `line` that a libbpf message about the map
 * is about: `attr 'max_entries'` / `unknown field 'x'` name it, key and value sizes or specs are
 * the key and value lines, the map type its type line, inner maps the `__array(values, ...)`.
 */
export function mapAttributeLine(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
  message: string,
): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, file)) {
    const body = definitionBody(lines, line);
    if (!body.some((b) => /__(?:uint|type|array)\s*\(/.test(b.t))) return undefined;
    const field = (name: string) =>
      body.find((b) => new RegExp(String.raw`__(?:uint|type|array|ulong)\s*\(\s*${escape(name)}\b`).test(b.t));
    const named = /\b(?:attr|field) '(\w+)'/.exec(message)?.[1];
    const hit = named
      ? field(named)
      : /\bkey (?:size|spec|type)\b/.test(message)
        ? (field('key') ?? field('key_size'))
        : /\bvalue (?:size|spec|type)\b/.test(message) && !/per-CPU map, expected/.test(message)
          ? (field('value') ?? field('value_size'))
          : /\binner\b|map-in-map|prog-array/.test(message)
            ? (field('values') ?? field('type'))
            : /\bmap type\b/.test(message)
              ? (field('type') ?? body[0])
              : /\bmax_entries\b/.test(message)
                ? field('max_entries')
                : /\bpin(?:ning|ned)?\b/.test(message)
                  ? field('pinning')
                  : undefined;
    return hit && hit.n !== line ? { file: key, line: hit.n } : undefined;
  }
  return undefined;
}

/** Special fields of map values and the map types that may hold them (the kernel's map_check_btf). */
const SPECIAL_FIELD_MAPS: [RegExp, RegExp, string][] = [
  [/^bpf_(?:timer|wq)$/, /^BPF_MAP_TYPE_(?:HASH|LRU_HASH|ARRAY)$/, 'HASH, LRU_HASH or ARRAY'],
  [
    /^bpf_(?:res_)?spin_lock$/,
    /^BPF_MAP_TYPE_(?:HASH|ARRAY|CGROUP_STORAGE|(?:SK|INODE|TASK|CGRP)_STORAGE)$/,
    'HASH, ARRAY or local storage',
  ],
];

/** The map types (in words) that may hold special field `field`, when `mapType` is not one of them. */
export function specialFieldMaps(field: string, mapType: string): string | undefined {
  const rule = SPECIAL_FIELD_MAPS.find(([f]) => f.test(field));
  return rule && !rule[1].test(mapType) ? rule[2] : undefined;
}

/** The size in bytes a key or value line declares: `__uint(key_size, 8)` or `__type(key, T[N])`. */
function declaredBytes(
  line: MapLine | undefined,
  type: string | undefined,
  sources: ReadonlyMap<string, string>,
  file: string,
): number | undefined {
  if (!line) return undefined;
  const size = /_size\s*,\s*(.+)\)\s*;?\s*(?:\/[*/].*)?$/.exec(line.t)?.[1]?.trim();
  if (size) {
    // `sizeof(__u64)`, `PERF_MAX_STACK_DEPTH * sizeof(struct ip)`: each sizeof by the type's size.
    let known = true;
    const expr = size.replace(/\bsizeof\s*\(\s*([^()]+?)\s*\)/g, (_, t: string) => {
      const bytes = /\*/.test(t) ? 8 : typeSize(sources, t, [], file)?.bytes;
      if (bytes === undefined) known = false;
      return String(bytes ?? 0);
    });
    return known ? constValue(expr.replace(/\b(\d+)[uUlL]+\b/g, '$1'), defineBodies(sources)) : undefined;
  }
  if (!type || /\*/.test(type)) return type ? 8 : undefined;
  const dims = [...type.matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]);
  return typeSize(sources, type.replace(/\[[^\]]*\]/g, '').trim(), dims, file)?.bytes;
}

/** One line of a map definition: its text and line number. */
type MapLine = { t: string; n: number };

/** The value of a definition's `__uint(max_entries, 1 << 18)`, #defines included. */
function entriesValue(line: MapLine | undefined, sources: ReadonlyMap<string, string>): number | undefined {
  const expr = line ? /max_entries\s*,\s*(.+?)\s*\)\s*;?\s*(?:\/[*/].*)?$/.exec(line.t)?.[1] : undefined;
  return expr ? constValue(expr.replace(/\b(\d+)[uUlL]+\b/g, '$1'), defineBodies(sources)) : undefined;
}

/**
 * The kernel's map_alloc_check rules a definition breaks, which it reports only as EINVAL:
 * queues, stacks and bloom filters have no key; local storage maps need BPF_F_NO_PREALLOC and
 * max_entries 0; an LPM trie needs BPF_F_NO_PREALLOC; arrays refuse it; other maps need max_entries.
 */
function kernelMapRule(
  def: {
    type: string;
    body: MapLine[];
    keyLine?: MapLine;
    keyType?: string;
    keyBytes?: number;
    valueLine?: MapLine;
    valueType?: string;
    valueBytes?: number;
    entriesLine?: MapLine;
    entries?: number;
  },
  sources: ReadonlyMap<string, string>,
  file: string,
): (SourceLine & { why: string; fix: string; related?: SourceLine & { message: string } }) | undefined {
  const { type, body, keyLine, keyType, keyBytes, valueLine, valueType, valueBytes, entriesLine, entries } = def;
  const typeLine = body.find((b) => /__uint\s*\(\s*type\s*,/.test(b.t))!;
  const flagsLine = body.find((b) => /__uint\s*\(\s*map_flags\s*,/.test(b.t));
  const noPrealloc = !!flagsLine && /BPF_F_NO_PREALLOC/.test(flagsLine.t);
  const at = (b: MapLine, why: string, fix: string) => ({ file, line: b.n, why, fix });
  // The inner map of a map-in-map: a tail-call program array cannot be one (ENOTSUPP, -524).
  const inner = /_OF_MAPS$/.test(type) ? innerMapType(body, sources, file) : undefined;
  if (inner?.type === 'BPF_MAP_TYPE_PROG_ARRAY')
    return at(
      inner.line,
      `A ${type} holds maps the program looks up at run time, and the kernel does not accept a BPF_MAP_TYPE_PROG_ARRAY as its inner map: program arrays are used only by bpf_tail_call() on the map itself, so creating the outer map fails with ENOTSUPP (-524).`,
      'Keep one BPF_MAP_TYPE_PROG_ARRAY for all tail calls and index it by a slot computed per tenant (tenant * STAGES + stage), or swap whole programs with a BPF_MAP_TYPE_PROG_ARRAY update from user space.',
    );
  // The value struct: special fields only some map types may hold, and per-CPU values' size limit.
  const struct = valueType ? /^struct\s+(\w+)$/.exec(valueType)?.[1] : undefined;
  const structAt = struct ? structDefinition(sources, struct, file) : undefined;
  const members = structAt ? (findSource(sources, structAt.file)?.[1].split('\n') ?? []).slice(structAt.line, structAt.line + 40) : [];
  const end = members.findIndex((m) => /^\s*\}/.test(m));
  const own = members.slice(0, end < 0 ? undefined : end);
  for (const fieldAt of own.flatMap((m, i) => (/\bstruct\s+bpf_\w+/.test(m) ? [i] : []))) {
    const field = /struct\s+(bpf_\w+)/.exec(members[fieldAt])![1];
    const names = specialFieldMaps(field, type);
    if (!structAt || !names) continue;
    return {
      ...at(
        typeLine,
        `A ${field} may only live in the value of a ${names} map; ${struct} holds one and this map is a ${type}, so the kernel refuses to create it (EOPNOTSUPP, EINVAL when libbpf retries without BTF).`,
        `Keep the ${field} in a BPF_MAP_TYPE_${names.split(/,| or /)[0].trim()} (or another ${names} map) keyed like this map, and the rest of the value where it is.`,
      ),
      related: { file: structAt.file, line: structAt.line + fieldAt + 1, message: `the ${field} of struct ${struct}` },
    };
  }
  // A key or value of no bytes (`struct {}`, an empty array): the maps that have keys and values need both.
  if (keyLine && keyBytes === 0 && !KEYLESS.test(type))
    return at(
      keyLine,
      `A ${type} looks entries up by their key, so its key must have a size; \`${keyType ?? 'this key'}\` is 0 bytes, and the kernel refuses to create the map (EINVAL).`,
      'Give the key a real type (`__type(key, __u32)`, or a struct with the fields you look entries up by).',
    );
  if (valueLine && valueBytes === 0 && !/^BPF_MAP_TYPE_RINGBUF$/.test(type))
    return at(
      valueLine,
      `A ${type}'s entries hold a value, so its value must have a size; \`${valueType ?? 'this value'}\` is 0 bytes, and the kernel refuses to create the map (EINVAL).`,
      'Give the value a real type (`__type(value, __u64)` or the struct the program stores).',
    );
  const perCpu = /^BPF_MAP_TYPE_(?:PERCPU_ARRAY|PERCPU_HASH|LRU_PERCPU_HASH)$/.test(type);
  const typed = valueType && perCpu ? typeSize(sources, valueType, [], file) : undefined;
  const size = typed ?? (perCpu && valueBytes !== undefined ? { bytes: valueBytes, largest: undefined } : undefined);
  if (valueLine && size && size.bytes > 32768) {
    const big = size.largest ? members.findIndex((m) => m.includes(size.largest!.text)) : -1;
    return {
      ...at(
        valueLine,
        `A per-CPU map's value is allocated once per CPU from the per-CPU area, at most 32 KiB each; ${valueType} is ${size.bytes} bytes, so the kernel refuses to create the map (E2BIG).`,
        `Make the value at most 32768 bytes (a smaller buffer, or several entries of a regular array indexed by CPU and slot).`,
      ),
      related:
        structAt && big >= 0
          ? {
              file: structAt.file,
              line: structAt.line + big + 1,
              message: `\`${size.largest!.text}\` is ${size.largest!.bytes} bytes of it`,
            }
          : undefined,
    };
  }
  // Sizes the kernel checks per map type (key and value sizes of fd and socket maps, stack traces);
  // the array-like maps' 4-byte key is checked with the arrays' (ARRAY_LIKE).
  const fourByteKey = /^BPF_MAP_TYPE_(?:STACK_TRACE|(?:SK|TASK|INODE|CGRP)_STORAGE)$/;
  if (keyLine && keyBytes !== undefined && keyBytes !== 4 && fourByteKey.test(type))
    return at(
      keyLine,
      `A ${type} is indexed by a 4-byte key (${/STORAGE/.test(type) ? 'an int: the fd of the socket, task, inode or cgroup' : '__u32'}), and this one declares a ${keyBytes}-byte key${keyType ? ` (\`${keyType}\`)` : ''}: the kernel refuses to create the map (EINVAL).`,
      `Declare the key as ${/STORAGE/.test(type) ? 'int' : '__u32'} (\`__type(key, ${/STORAGE/.test(type) ? 'int' : '__u32'})\`).`,
    );
  const fdValue: Record<string, number[]> = {
    BPF_MAP_TYPE_DEVMAP: [4, 8],
    BPF_MAP_TYPE_DEVMAP_HASH: [4, 8],
    BPF_MAP_TYPE_CPUMAP: [4, 8],
    BPF_MAP_TYPE_XSKMAP: [4],
    BPF_MAP_TYPE_SOCKMAP: [4, 8],
    BPF_MAP_TYPE_SOCKHASH: [4, 8],
    BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: [4, 8],
  };
  if (valueLine && valueBytes !== undefined && fdValue[type] && !fdValue[type].includes(valueBytes))
    return at(
      valueLine,
      `A ${type} holds ${/SOCK/.test(type) ? 'sockets' : /XSK/.test(type) ? 'AF_XDP sockets' : /CPU/.test(type) ? 'CPUs (a queue size, and optionally a program fd)' : 'devices (an ifindex, and optionally a program fd)'}, so its value is ${fdValue[type].join(' or ')} bytes; this one declares a ${valueBytes}-byte value${valueType ? ` (\`${valueType}\`)` : ''}, and the kernel refuses to create the map (EINVAL).`,
      `Declare the value as __u32 (\`__type(value, __u32)\`)${/DEVMAP/.test(type) ? ', or struct bpf_devmap_val' : /CPUMAP/.test(type) ? ', or struct bpf_cpumap_val' : ''}; keep what the program records about it in a map of its own.`,
    );
  if (
    type === 'BPF_MAP_TYPE_STACK_TRACE' &&
    valueLine &&
    valueBytes !== undefined &&
    (valueBytes < 8 || valueBytes % 8 || valueBytes / 8 > 127)
  )
    return at(
      valueLine,
      valueBytes / 8 > 127
        ? `A stack trace map's value holds one 8-byte address per frame, at most kernel.perf_event_max_stack frames (127 by default); this one declares ${valueBytes} bytes (${valueBytes / 8} frames), and the kernel refuses to create the map (EINVAL).`
        : `A stack trace map's value is an array of 8-byte addresses, so its size is a multiple of 8; this one declares ${valueBytes} bytes${valueType ? ` (\`${valueType}\`)` : ''}, and the kernel refuses to create the map (EINVAL).`,
      'Declare the value as an array of __u64 with at most 127 entries (`__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(__u64))` with PERF_MAX_STACK_DEPTH 127).',
    );
  if (type === 'BPF_MAP_TYPE_LPM_TRIE' && keyLine && keyBytes !== undefined && (keyBytes < 5 || keyBytes > 260))
    return at(
      keyLine,
      `An LPM trie's key is a 4-byte prefix length followed by the data (1 to 256 bytes), so it is 5 to 260 bytes; this one is ${keyBytes} bytes${keyType ? ` (\`${keyType}\`)` : ''}, and the kernel refuses to create the map (EINVAL).`,
      'Declare the key as a struct with `__u32 prefixlen;` first and the address bytes after it (e.g. `__u8 data[4];` for IPv4).',
    );
  const mmapable = !!flagsLine && /BPF_F_MMAPABLE/.test(flagsLine.t);
  if (mmapable && !/^BPF_MAP_TYPE_(?:ARRAY|ARENA)$/.test(type))
    return at(
      flagsLine!,
      `Only a BPF_MAP_TYPE_ARRAY (and an arena) can be memory-mapped: the kernel refuses BPF_F_MMAPABLE for a ${type} (EINVAL).`,
      'Remove BPF_F_MMAPABLE, or use a BPF_MAP_TYPE_ARRAY (global variables are one) for memory shared with user space.',
    );
  // Read-only and write-only at once, for the program or for user space, cannot both hold.
  const both = flagsLine
    ? /BPF_F_RDONLY(_PROG)?\b[^;]*BPF_F_WRONLY\1\b|BPF_F_WRONLY(_PROG)?\b[^;]*BPF_F_RDONLY\2\b/.exec(flagsLine.t)
    : null;
  if (flagsLine && both) {
    const prog = both[1] ?? both[2] ?? '';
    const side = prog ? 'the program' : 'user space';
    return at(
      flagsLine,
      `BPF_F_RDONLY${prog} and BPF_F_WRONLY${prog} together say ${side} may neither read nor write the map: the kernel refuses the pair (EINVAL).`,
      `Keep the one that says what ${side} does with the map (BPF_F_RDONLY${prog} for a map it only reads).`,
    );
  }
  if (flagsLine && /BPF_F_NO_COMMON_LRU/.test(flagsLine.t) && !/^BPF_MAP_TYPE_LRU_/.test(type))
    return at(
      flagsLine,
      `BPF_F_NO_COMMON_LRU is a flag of LRU hash maps; the kernel refuses it for a ${type} (EINVAL).`,
      'Remove BPF_F_NO_COMMON_LRU, or make the map a BPF_MAP_TYPE_LRU_HASH.',
    );
  if (noPrealloc && /^BPF_MAP_TYPE_LRU_/.test(type))
    return at(
      flagsLine!,
      `An LRU hash map is always preallocated (it evicts from its preallocated entries): the kernel refuses BPF_F_NO_PREALLOC for a ${type} (ENOTSUPP, -524).`,
      'Remove BPF_F_NO_PREALLOC, or use a BPF_MAP_TYPE_HASH if entries should be allocated on demand.',
    );
  if (/_OF_MAPS$/.test(type) && !body.some((b) => /__array\s*\(\s*values\s*,/.test(b.t)) && body.some((b) => /^\s*\}/.test(b.t)))
    return at(
      typeLine,
      `A ${type} needs the definition of the maps it holds: libbpf creates it from an inner map template, declared with \`__array(values, struct { ... })\`, and without one the kernel refuses it (EINVAL).`,
      'Declare the inner map in the definition: `__array(values, struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); });`.',
    );
  if (/^BPF_MAP_TYPE_(?:QUEUE|STACK|BLOOM_FILTER)$/.test(type) && keyLine)
    return at(
      keyLine,
      `A ${type} has no key (values are pushed and popped, or tested for membership): with a key the kernel refuses to create it (EINVAL).`,
      'Remove the key from the definition; declare only the value, max_entries and type.',
    );
  if (/^BPF_MAP_TYPE_(?:SK|TASK|INODE|CGRP)_STORAGE$/.test(type)) {
    if (!noPrealloc)
      return at(
        flagsLine ?? typeLine,
        `A ${type} is allocated per object, so the kernel requires BPF_F_NO_PREALLOC in its map_flags and refuses it otherwise (EINVAL).`,
        'Add `__uint(map_flags, BPF_F_NO_PREALLOC);` to the definition.',
      );
    if (entriesLine && entries !== 0)
      return at(
        entriesLine,
        `A ${type} has one value per socket/task/inode/cgroup, not a fixed number of entries: max_entries must be 0, and the kernel refuses ${entries ?? 'another value'} (EINVAL).`,
        'Remove max_entries from the definition (or set it to 0).',
      );
  }
  if (type === 'BPF_MAP_TYPE_LPM_TRIE' && !noPrealloc)
    return at(
      flagsLine ?? typeLine,
      'An LPM trie is not preallocated: the kernel requires BPF_F_NO_PREALLOC in its map_flags and refuses it otherwise (EINVAL).',
      'Add `__uint(map_flags, BPF_F_NO_PREALLOC);` to the definition.',
    );
  if (/^BPF_MAP_TYPE_(?:PERCPU_)?ARRAY$/.test(type) && noPrealloc)
    return at(
      flagsLine!,
      `A ${type} is always preallocated: the kernel refuses BPF_F_NO_PREALLOC for it (EINVAL).`,
      'Remove BPF_F_NO_PREALLOC from map_flags (it is for hash maps, LPM tries and local storage).',
    );
  // The cgroup storage of cgroup-skb/sock programs: one value per attached cgroup (and attach type).
  if (/^BPF_MAP_TYPE_(?:PERCPU_)?CGROUP_STORAGE$/.test(type)) {
    if (keyLine && keyBytes !== undefined && keyBytes !== 8 && keyBytes !== 16)
      return at(
        keyLine,
        `A ${type} is keyed by the cgroup it belongs to: its key is a __u64 cgroup id or a struct bpf_cgroup_storage_key (16 bytes), and this one declares a ${keyBytes}-byte key${keyType ? ` (\`${keyType}\`)` : ''}: the kernel refuses to create the map (EINVAL).`,
        'Declare the key as `struct bpf_cgroup_storage_key` (or __u64), and get the value with bpf_get_local_storage(&map, 0).',
      );
    if (entriesLine && entries)
      return at(
        entriesLine,
        `A ${type} has one value per attached cgroup, not a fixed number of entries: max_entries must be 0, and the kernel refuses ${entries} (EINVAL).`,
        'Remove max_entries from the definition.',
      );
  }
  const sized =
    !/^BPF_MAP_TYPE_(?:PERF_EVENT_ARRAY|(?:SK|TASK|INODE|CGRP)_STORAGE|(?:PERCPU_)?CGROUP_STORAGE|STRUCT_OPS|ARENA|RINGBUF|USER_RINGBUF)$/.test(
      type,
    );
  if (sized && entriesLine && entries === 0)
    return at(
      entriesLine,
      `A ${type} needs at least one entry: with max_entries 0 the kernel refuses to create it (EINVAL).`,
      'Give max_entries the number of entries the map must hold.',
    );
  if (sized && !entriesLine && !/^BPF_MAP_TYPE_(?:CPUMAP|DEVMAP|DEVMAP_HASH|XSKMAP)$/.test(type) && body.some((b) => /^\s*\}/.test(b.t)))
    return at(
      typeLine,
      `This ${type} declares no max_entries, so libbpf creates it with 0 entries, which the kernel refuses (EINVAL).`,
      'Add `__uint(max_entries, N);` with the number of entries the map must hold.',
    );
  return undefined;
}

/**
 * Where variable `name` last gets its value above `line` in the same function: an assignment or
 * an initialised declaration, else the function's parameter list when it is a parameter.
 */
export function assignmentAbove(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
  name: string,
): (SourceLine & { text: string; parameter?: boolean }) | undefined {
  const assign = new RegExp(String.raw`(?:^|[^\w.>])${escape(name)}\s*(?:\[[^\]]*\]\s*)?(?:[-+*/%&|^]|<<|>>)?=(?!=)`);
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = Math.min(line, lines.length) - 2; i >= 0; i--) {
      const code = lines[i].replace(/\/\*.*?\*\/|\/\/.*$/g, '');
      if (outsideBody(lines[i])) {
        // The function's header: a parameter of that name.
        return new RegExp(String.raw`[(,]\s*[\w\s*]*\b${escape(name)}\s*[,)]`).test(code)
          ? { file: key, line: i + 1, text: lines[i].trim(), parameter: true }
          : undefined;
      }
      if (assign.test(code) && !isComment(lines[i])) return { file: key, line: i + 1, text: lines[i].trim() };
    }
  }
  return undefined;
}

/** The statement that starts at `line`, with the lines a call continues on joined (comments removed). */
export function statementText(
  sources: ReadonlyMap<string, string> | undefined,
  file: string | undefined,
  line: number | undefined,
  first?: string,
): string | undefined {
  const lines = sources && file ? findSource(sources, file)?.[1].split('\n') : undefined;
  if (!lines || !line) return first;
  // (A line the log quotes differently from the file: the log's text is what there is.)
  if (first !== undefined && noComments(lines[line - 1] ?? '').trim() !== noComments(first).trim()) return first;
  let text = '';
  let depth = 0;
  for (let i = line - 1; i < lines.length && i < line + 6; i++) {
    const code = noComments(lines[i]);
    text += (text ? ' ' : '') + code.trim();
    for (const c of code) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
    if (depth <= 0) break;
  }
  return text || first;
}

/** The `char LICENSE[] SEC("license") = ...` line. */
export function licenseLine(sources: ReadonlyMap<string, string>, prefer?: string): SourceLine | undefined {
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    const i = lines.findIndex((l) => /\bSEC\s*\(\s*"license"\s*\)/.test(l) && !isComment(l));
    if (i >= 0) return { file: key, line: i + 1 };
  }
  return undefined;
}

/** Where BPF program `name` is defined: `int name(` or `BPF_PROG(name,` / `BPF_KPROBE(name, ...)`. */
export function programDefinition(sources: ReadonlyMap<string, string>, name: string, prefer?: string): SourceLine | undefined {
  const re = new RegExp(
    String.raw`(?:^\s*(?:static\s+)?(?:__always_inline\s+)?\w[\w\s*]*\b${escape(name)}\s*\(|^${escape(name)}\s*\(|\b[A-Z_]+\(\s*${escape(name)}\s*[,)])`,
  );
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    const i = lines.findIndex((l) => re.test(l) && !/;\s*$/.test(l) && !isComment(l));
    if (i >= 0) return { file: key, line: i + 1 };
  }
  return undefined;
}

/** The body of function `name` of the sources (the lines after its header, up to its closing brace). */
export function functionBody(
  sources: ReadonlyMap<string, string>,
  name: string,
  prefer?: string,
): (SourceLine & { text: string }) | undefined {
  const def = programDefinition(sources, name, prefer);
  const end = def ? functionEnd(sources, def.file, def.line + 1) : undefined;
  if (!def || !end) return undefined;
  return { ...def, text: (findSource(sources, def.file)?.[1] ?? '').split('\n').slice(def.line, end.line).join('\n') };
}

/** The struct `name` is declared a pointer to in `text` (`struct tcphdr *tcp` -> `tcphdr`). */
export const pointeeStruct = (text: string, name: string) =>
  new RegExp(String.raw`\bstruct\s+(\w+)\s*\*\s*${escape(name)}\b`).exec(text)?.[1];

/** Lines (outside comments) that mention identifier `name`, in source order. */
export function symbolLines(sources: ReadonlyMap<string, string>, name: string, max = 3, prefer?: string): SourceLine[] {
  const re = new RegExp(String.raw`\b${escape(name)}\b`);
  const out: SourceLine[] = [];
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    for (let i = 0; i < lines.length && out.length < max; i++) {
      // Not an #include (`"vmlinux.h"` is no mention of `h`); a SEC("name") string is one.
      const code = lines[i].replace(/\/\*.*?\*\/|\/\/.*$/g, '');
      if (re.test(code) && !isComment(lines[i]) && !/^\s*#\s*include\b/.test(code)) out.push({ file: key, line: i + 1 });
    }
  }
  return out;
}

/** The declaration of a symbol: a line defining a map (`} name SEC(".maps")`) or an extern, else its first mention. */
export function symbolDeclaration(sources: ReadonlyMap<string, string>, name: string, prefer?: string): SourceLine | undefined {
  // A map's `} name SEC(".maps")` first, then file-scope declarations, then any (a struct member
  // or a local of the same name is not the global the verifier names).
  const forms = [
    new RegExp(String.raw`\}\s*${escape(name)}\s+SEC\s*\(`),
    new RegExp(
      String.raw`\bextern\b.*\b${escape(name)}\b|^(?:static\s+)?(?:const\s+)?(?:volatile\s+)?[\w][\w\s]*[\s*]\*?\s*${escape(name)}\s*(?:\[[^\]]*\]\s*)?(?:=|;|SEC)`,
    ),
    new RegExp(String.raw`^\s*(?:static\s+)?(?:const\s+)?(?:volatile\s+)?[\w\s]+\b${escape(name)}\s*(?:\[[^\]]*\]\s*)?(?:=|;|SEC)`),
  ];
  for (const decl of forms)
    for (const [key, lines] of linesOf(sources, undefined, prefer)) {
      const i = lines.findIndex((l) => decl.test(l.replace(/\/\*.*?\*\//g, '')) && !isComment(l));
      if (i >= 0) return { file: key, line: i + 1 };
    }
  return symbolLines(sources, name, 1, prefer)[0];
}

/** Local arrays of 64 bytes or more (indented declarations), the usual reason for a stack overflow. */
export function largeLocals(sources: ReadonlyMap<string, string>, file?: string, max = 4): SourceLine[] {
  const out: SourceLine[] = [];
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = 0; i < lines.length && out.length < max; i++) {
      const m = /^\s+(?:(?:volatile|const|unsigned|signed|struct)\s+)*\w+\s+\w+\[(\d+)\]\s*(?:=|;)/.exec(lines[i]);
      if (m && Number(m[1]) >= 64) out.push({ file: key, line: i + 1 });
    }
  }
  return out;
}

export { basename };

/** The nearest line above `line`, in the same function, that reads `->field` (or `.field`). */
export function fieldReadLine(sources: ReadonlyMap<string, string>, file: string, line: number, field: string): SourceLine | undefined {
  const re = new RegExp(String.raw`(?:->|\.)${escape(field)}\b`);
  for (const [key, lines] of linesOf(sources, file)) {
    for (let i = Math.min(line, lines.length) - 2; i >= 0 && !/^\S.*\)\s*$|^\{/.test(lines[i]); i--) {
      if (re.test(lines[i]) && !isComment(lines[i])) return { file: key, line: i + 1 };
    }
  }
  return undefined;
}

/**
 * The deepest chain of calls between the functions of a file, starting at function `from`, as
 * the lines of the calls: `[line in from that calls g, line in g that calls h, ...]`. Only the
 * functions defined in that file count (helpers and kfuncs have no frame of their own).
 */
export function callChain(sources: ReadonlyMap<string, string>, file: string, from: string, maxDepth = 8): SourceLine[] {
  const hit = findSource(sources, file);
  if (!hit) return [];
  const lines = hit[1].split('\n');
  const bodies = functionBodies(lines);
  const best = (fn: string, seen: Set<string>): SourceLine[] => {
    const body = bodies.get(fn);
    if (!body || seen.size >= maxDepth) return [];
    let out: SourceLine[] = [];
    for (let i = body[0] + 1; i < body[1]; i++) {
      if (isComment(lines[i])) continue;
      for (const g of bodies.keys()) {
        if (g === fn || seen.has(g) || !calls(lines[i], g)) continue;
        const rest = best(g, new Set([...seen, g]));
        if (rest.length + 1 > out.length) out = [{ file: hit[0], line: i + 1 }, ...rest];
      }
    }
    return out;
  };
  return best(from, new Set([from]));
}

/** The functions defined in a file: name -> [header line index, closing brace line index]. */
function functionBodies(lines: readonly string[]): Map<string, [number, number]> {
  const bodies = new Map<string, [number, number]>();
  for (let i = 0; i < lines.length; i++) {
    const m =
      /^(?:static\s+|__\w+\s+|inline\s+|const\s+|unsigned\s+|struct\s+)*\w+[\s*]+(\w+)\s*\(/.exec(lines[i]) ??
      /^\w+\s*\(\s*(\w+)\s*[,)]/.exec(lines[i]) ??
      // the name alone, under its return type (`static int\nname(...)`)
      (i > 0 &&
      /^(?:static\s+|__\w+\s+|inline\s+|const\s+|unsigned\s+|struct\s+)*\w+[\s*]*$/.test(lines[i - 1].trim()) &&
      /^\S/.test(lines[i - 1])
        ? /^(\w+)\s*\(/.exec(lines[i])
        : null);
    if (!m || /;\s*$/.test(lines[i])) continue;
    let end = i + 1;
    while (end < lines.length && !/^\}/.test(lines[end])) end++;
    // `int BPF_KPROBE(name, ...)`, `int BPF_PROG(name, ...)`: the program is the macro's first argument.
    const wrapped = /^BPF_[A-Z_0-9]+$/.test(m[1]) ? new RegExp(String.raw`\b${m[1]}\s*\(\s*(\w+)`).exec(lines[i])?.[1] : undefined;
    bodies.set(wrapped ?? m[1], [i, end]);
  }
  return bodies;
}

const calls = (line: string, fn: string) => new RegExp(String.raw`\b${escape(fn)}\s*\(`).test(line.replace(/\/\*.*?\*\/|\/\/.*$/g, ''));

/**
 * When `line` is inside a function that program function `from` inlines (or calls), the calls
 * that lead there: `[line in from that calls g, line in g that calls h, ...]`, the shortest chain.
 * Empty when `line` is in `from` itself or no chain is found in that file.
 */
export function callSitesTo(
  sources: ReadonlyMap<string, string>,
  file: string,
  line: number,
  from: string,
  near?: number,
): (SourceLine & { callee: string })[] {
  const hit = findSource(sources, file);
  if (!hit) return [];
  const lines = hit[1].split('\n');
  const bodies = functionBodies(lines);
  const target = [...bodies].find(([, [a, b]]) => line - 1 > a && line - 1 < b)?.[0];
  if (!target || target === from || !bodies.has(from)) return [];
  // Breadth first: the shortest chain of calls from the program to the function holding `line`.
  const queue: [string, (SourceLine & { callee: string })[]][] = [[from, []]];
  const seen = new Set([from]);
  while (queue.length) {
    const [fn, path] = queue.shift()!;
    const [a, b] = bodies.get(fn)!;
    // A function called more than once: the call at or after `near` (where the failing value was
    // made, e.g. the lookup whose result is passed) is the one the verifier's path went through.
    let found: (SourceLine & { callee: string })[] | undefined;
    for (let i = a + 1; i < b; i++) {
      if (isComment(lines[i])) continue;
      for (const g of bodies.keys()) {
        if (!calls(lines[i], g)) continue;
        const next = [...path, { file: hit[0], line: i + 1, callee: g }];
        if (g === target) {
          if (!found || (near !== undefined && found[found.length - 1].line < near)) found = next;
          continue;
        }
        if (seen.has(g)) continue;
        seen.add(g);
        queue.push([g, next]);
      }
    }
    if (found) return found;
  }
  return [];
}

/** The text of line `line` of a source, trimmed. */
export function sourceLine(
  sources: ReadonlyMap<string, string> | undefined,
  file: string | undefined,
  line: number | undefined,
): string | undefined {
  if (!sources || !file || !line) return undefined;
  const text = sources.get(file) ?? [...sources].find(([k]) => basename(k) === basename(file))?.[1];
  return text?.split('\n')[line - 1]?.trim();
}

/** The variable a C statement assigns (`struct val *v = lookup(...)` -> `v`), when it is one. */
export function assignedVariable(statement: string | undefined): string | undefined {
  const m = statement && /(\w+)(?:\s*\[[^\]]*\])?\s*=(?!=)/.exec(statement);
  return m ? m[1] : undefined;
}

/** A source line without its trailing comment (fixtures and users annotate lines). */
export const withoutComment = (text: string | undefined): string => (text ?? '').replace(/\s*(?:\/\*.*|\/\/.*)$/, '');

/** The first member access of a statement: `e->pid = 1` -> { pointer: 'e', field: 'pid' }. */
export function memberAccess(statement: string | undefined): { pointer: string; field: string } | undefined {
  const m = /\b([A-Za-z_]\w*)\s*->\s*(\w+)/.exec(withoutComment(statement));
  return m ? { pointer: m[1], field: m[2] } : undefined;
}

/** The last link of a member chain: `a->b->c` -> { through: 'a->b', field: 'c' }, the pointer read through. */
export function memberChain(statement: string | undefined): { through: string; field: string } | undefined {
  const m = /\b([A-Za-z_]\w*(?:\s*->\s*\w+)+)\s*->\s*(\w+)/.exec(withoutComment(statement));
  return m ? { through: m[1], field: m[2] } : undefined;
}

/** The pointer a statement reads through: `p->field`, then `*p`, then `p[i]`. */
export function pointerReadThrough(statement: string | undefined): string | undefined {
  const stmt = withoutComment(statement);
  return memberAccess(stmt)?.pointer ?? /(?:^|[=(,!\s])\*([A-Za-z_]\w*)\b/.exec(stmt)?.[1] ?? /\b([A-Za-z_]\w*)\s*\[/.exec(stmt)?.[1];
}

/**
 * The condition of the `if` that leads to the statement at `line` (`if (err)\n\treturn -1;` -> `err`):
 * the nearest code line above, within three lines (comments between are skipped).
 */
export function conditionAbove(sources: ReadonlyMap<string, string>, file: string, line: number): string | undefined {
  let above = '';
  for (let k = line - 1; k > 0 && k > line - 4 && !above; k--) above = withoutComment(sourceLine(sources, file, k)).trim();
  return /^(?:\}\s*else\s+)?if\s*\((.*)\)\s*\{?$/.exec(above)?.[1];
}

/** C's signed integer types, as declarations spell them. */
export const SIGNED_TYPE = String.raw`(?:int|long|short|char|s8|s16|s32|s64|__s(?:8|16|32|64)|int\d+_t)`;

/** Whether a declaration line declares `name` with a signed type (`int len`, `s16 a, nr;`). */
export const declaresSigned = (line: string, name: string) =>
  new RegExp(String.raw`\b${SIGNED_TYPE}\s+(?:\w+\s*,\s*)*${name}\b`).test(line);

/** The name a function header line declares: `static int emit(void *ctx, ...)` -> emit. */
export const declaredName = (header: string | undefined) => /(\w+)\s*\([^()]*(?:\)|,|$)/.exec(header ?? '')?.[1];

/** The parameter names of a function header line: `static int emit(void *ctx, void *data, u32 size)` -> [ctx, data, size]. */
export function wrapperParams(header: string | undefined): string[] {
  const inside = header ? /\(([^()]*)\)/.exec(header.replace(/__attribute__\s*\(\([^()]*(?:\([^()]*\)[^()]*)*\)\)/g, ''))?.[1] : undefined;
  if (!inside) return [];
  return inside.split(',').map((p) => /(\w+)\s*(?:\[[^\]]*\])?\s*$/.exec(p.trim())?.[1] ?? '');
}

/** The text of argument `n` (0-based) of the first call in a source line, e.g. `&gctx`. */
export function argumentExpression(text: string | undefined, n: number): string | undefined {
  // (Comments are no arguments: `f(a, b, /* note */` holds two, and the third is on the next line.)
  const source = text === undefined ? undefined : noComments(text);
  if (!source || n < 0) return undefined;
  // The call's own parenthesis, not that of an `if (` / `while (` around it.
  const call = /\b(?!(?:if|while|for|switch|return|sizeof|likely|unlikely)\b)[A-Za-z_]\w*\s*\(/.exec(source);
  const open = call ? call.index + call[0].length - 1 : source.indexOf('(');
  if (open < 0) return undefined;
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  let closed = false;
  for (const ch of source.slice(open + 1)) {
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    if (ch === ')' || ch === ']' || ch === '}') {
      if (depth === 0) {
        closed = true;
        break;
      }
      depth--;
    }
    if (ch === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  // The last argument of a call the line does not close goes on: only a closed one is whole.
  if (closed || cur.trim()) args.push(cur.trim());
  if (!closed && n === args.length - 1 && cur.trim()) return undefined;
  return args[n] || undefined;
}

/** Sizes of C's and the kernel's base types, by name. */
const BASE_SIZES: Record<string, number> = Object.fromEntries(
  Object.entries({
    1: 'char u8 __u8 s8 __s8 uint8_t int8_t bool _Bool',
    2: 'short u16 __u16 s16 __s16 uint16_t int16_t __be16 __le16',
    4: 'int u32 __u32 s32 __s32 uint32_t int32_t __be32 __le32 float pid_t uid_t gid_t',
    8: 'long u64 __u64 s64 __s64 uint64_t int64_t __be64 size_t ssize_t double',
  }).flatMap(([bytes, names]) => names.split(' ').map((n) => [n, Number(bytes)])),
);

/** `#define NAME <expression>` bodies of the sources, by name (for sizes such as `(MAX_ARGS * ARGSIZE)`). */
/** The value of a constant expression of the sources (`MAX_CPUS - 1`, `sizeof(__u64) * 4`), #defines expanded. */
export function evaluateConstant(sources: ReadonlyMap<string, string>, expr: string, prefer?: string): number | undefined {
  return constValue(expr, defineBodies(sources, prefer));
}

function defineBodies(sources: ReadonlyMap<string, string>, prefer?: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [, lines] of linesOf(sources, undefined, prefer))
    for (const l of lines) {
      const m = /^\s*#\s*define\s+([A-Za-z_]\w*)\s+([^/]+?)\s*(?:\/[*/].*)?$/.exec(l);
      if (m && !out.has(m[1])) out.set(m[1], m[2]);
    }
  return out;
}

/** The value of a constant expression of numbers, defines, + - * / << and parentheses; undefined otherwise. */
function constValue(expr: string, defines: ReadonlyMap<string, string>, depth = 0): number | undefined {
  const tokens = expr.match(/0x[0-9a-f]+|\d+|[A-Za-z_]\w*|<<|[-+*/()]|\S/gi) ?? [];
  let i = 0;
  const atom = (): number | undefined => {
    const t = tokens[i++];
    if (t === '(') {
      const v = sum();
      return tokens[i++] === ')' ? v : undefined;
    }
    if (t === undefined) return undefined;
    if (/^0x/i.test(t)) return parseInt(t, 16);
    if (/^\d+$/.test(t)) return Number(t);
    const body = depth < 6 && /^[A-Za-z_]/.test(t) ? defines.get(t) : undefined;
    return body === undefined ? undefined : constValue(body, defines, depth + 1);
  };
  const product = (): number | undefined => {
    let v = atom();
    while (v !== undefined && (tokens[i] === '*' || tokens[i] === '/')) {
      const op = tokens[i++];
      const w = atom();
      v = w === undefined ? undefined : op === '*' ? v * w : w ? Math.floor(v / w) : undefined;
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (v !== undefined && (tokens[i] === '+' || tokens[i] === '-' || tokens[i] === '<<')) {
      const op = tokens[i++];
      const w = product();
      v = w === undefined ? undefined : op === '+' ? v + w : op === '-' ? v - w : v * 2 ** w;
    }
    return v;
  };
  const v = sum();
  return i === tokens.length ? v : undefined;
}

export interface TypeSize {
  bytes: number;
  /** The member that takes most of a struct's size (`args_buf[4096]`), for the explanation. */
  largest?: { text: string; bytes: number };
  /** The alignment C gives it (its largest member's, 1 when packed). */
  align?: number;
}

/**
 * The size of a type as the sources declare it (base types, typedefs, pointers, arrays and structs
 * or unions defined in the sources, on one line or many), laid out as C does: each member at its
 * alignment, the struct rounded up to its largest member's (packed structs excepted).
 */
export function typeSize(
  sources: ReadonlyMap<string, string>,
  type: string,
  dims: string[],
  prefer?: string,
  depth = 0,
): TypeSize | undefined {
  const defines = defineBodies(sources, prefer);
  let count = 1;
  for (const d of dims) {
    const n = constValue(d, defines);
    if (n === undefined) return undefined;
    count *= n;
  }
  const one = elementLayout(sources, type.trim(), prefer, depth);
  return one && { bytes: one.bytes * count, largest: one.largest, align: one.align };
}

/** One element of `type`: its size, alignment and (for a struct) its largest member. */
function elementLayout(
  sources: ReadonlyMap<string, string>,
  type: string,
  prefer: string | undefined,
  depth: number,
): TypeSize | undefined {
  if (depth > 5) return undefined;
  // An anonymous struct written in place (`__type(key, struct { __u32 prefixlen; __u8 data[300]; })`).
  const inline =
    /^(struct|union)\s*(?:__attribute__\s*\(\([^)]*\)\)\s*)?\{([\s\S]*)\}\s*(__attribute__\s*\(\(\s*(?:__)?packed(?:__)?\s*\)\))?$/.exec(
      type,
    );
  if (inline)
    return recordLayout(
      sources,
      inline[2],
      inline[1] === 'union',
      !!inline[3] || /packed/.test(type.slice(0, type.indexOf('{'))),
      prefer,
      depth,
    );
  if (/\*\s*$/.test(type)) return { bytes: 8, align: 8 };
  const words = type
    .replace(/\b(?:const|volatile|unsigned|signed)\b/g, ' ')
    .trim()
    .split(/\s+/);
  const record = words[0] === 'struct' || words[0] === 'union' ? words[1] : undefined;
  if (!record) {
    const name = words[words.length - 1] || 'int';
    const base = BASE_SIZES[name];
    if (base !== undefined) return { bytes: base, align: base };
    // `typedef __u32 ipv4_addr;`, `typedef struct { ... } flow_t;`, `typedef struct flow flow_t;`.
    for (const [, lines] of linesOf(sources, undefined, prefer)) {
      const text = lines.join('\n');
      const simple = new RegExp(String.raw`\btypedef\s+([\w\s]+?)\s+${escape(name)}\s*((?:\[[^\]]+\])*)\s*;`).exec(text);
      if (simple)
        return typeSize(
          sources,
          simple[1],
          [...simple[2].matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]),
          prefer,
          depth + 1,
        );
      const start = lines.findIndex(
        (l) => /^\s*typedef\s+(?:struct|union)\b[^;]*\{/.test(l) || /^\s*typedef\s+(?:struct|union)\s*(?:\w+)?\s*$/.test(l),
      );
      for (let i = start; i >= 0 && i < lines.length; i++) {
        if (!/^\s*typedef\s+(?:struct|union)\b/.test(lines[i])) continue;
        const body = braceBody(lines, i);
        if (body && new RegExp(String.raw`^\s*(?:__attribute__\s*\(\([^)]*\)\)\s*)?${escape(name)}\s*;`).test(body.after))
          return recordLayout(
            sources,
            body.inner,
            /^\s*typedef\s+union\b/.test(lines[i]),
            /packed/.test(body.head + body.after),
            prefer,
            depth,
          );
      }
    }
    return undefined;
  }
  for (const [, lines] of linesOf(sources, undefined, prefer)) {
    const start = structStart(lines, record);
    if (start < 0) continue;
    const body = braceBody(lines, start);
    if (!body) return undefined;
    return recordLayout(sources, body.inner, words[0] === 'union', /packed/.test(body.head + body.after), prefer, depth);
  }
  return undefined;
}

/** The text between the first `{` at or after line `start` and its matching `}`, and what follows it. */
function braceBody(lines: readonly string[], start: number): { head: string; inner: string; after: string } | undefined {
  const text = lines
    .slice(start, start + 200)
    .map(withoutComment)
    .join('\n');
  const open = text.indexOf('{');
  if (open < 0) return undefined;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0)
      return { head: text.slice(0, open), inner: text.slice(open + 1, i), after: text.slice(i + 1, i + 120) };
  }
  return undefined;
}

/** Members of a struct or union body (`__u32 a; struct { ... } b[2]; __u8 c:4;`), laid out. */
function recordLayout(
  sources: ReadonlyMap<string, string>,
  inner: string,
  union: boolean,
  packed: boolean,
  prefer: string | undefined,
  depth: number,
): TypeSize | undefined {
  const members: string[] = [];
  let level = 0;
  let from = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '{') level++;
    else if (inner[i] === '}') level--;
    else if (inner[i] === ';' && level === 0) {
      members.push(inner.slice(from, i).trim());
      from = i + 1;
    }
  }
  let offset = 0;
  let size = 0;
  let align = 1;
  let largest: TypeSize['largest'];
  let bits: { unit: number; used: number } | undefined;
  // `__u8 f1:4, f2:4;` and `__u32 a, b[2];` declare one member per name.
  const declared = members.flatMap((m) => {
    const many = /^((?:(?:const|volatile|unsigned|signed|struct|union|enum)\s+)*\w+)\s+([^{}]*,[^{}]*)$/.exec(m);
    return many ? many[2].split(',').map((d) => `${many[1]} ${d.trim()}`) : [m];
  });
  for (const member of declared.filter(Boolean)) {
    const nested = /^((?:struct|union)\s*(?:\w+\s*)?\{[\s\S]*\})\s*(\w*)((?:\s*\[[^\]]+\])*)$/.exec(member);
    const plain = nested
      ? undefined
      : /^((?:(?:const|volatile|unsigned|signed|struct|union|enum)\s+)*\w+)\s*(\**)\s*(\w+)((?:\s*\[[^\]]+\])*)\s*(?::\s*(\d+))?\s*(?:__attribute__.*)?$/.exec(
          member,
        );
    if (!nested && !plain) return undefined;
    const memberDims = [...(nested ? nested[3] : plain![4]).matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]);
    const typeText = nested
      ? nested[1].replace(/^(struct|union)\s*\w+\s*\{/, '$1 {')
      : plain![2]
        ? `${plain![1]} *`
        : /^enum\b/.test(plain![1])
          ? 'int'
          : plain![1];
    const one = typeSize(sources, typeText, memberDims, prefer, depth + 1);
    if (!one) return undefined;
    const a = packed ? 1 : (one.align ?? 1);
    align = Math.max(align, a);
    const width = plain?.[5] !== undefined ? Number(plain[5]) : undefined;
    if (width !== undefined && !union) {
      // Bit-fields share a storage unit of their type while they fit.
      if (bits && bits.unit === one.bytes && bits.used + width <= one.bytes * 8) {
        bits.used += width;
        continue;
      }
      offset = Math.ceil(offset / a) * a;
      bits = { unit: one.bytes, used: width };
      offset += one.bytes;
      continue;
    }
    bits = undefined;
    const name = nested ? nested[2] : plain![3];
    if (!largest || one.bytes > largest.bytes)
      largest = { text: `${name}${(nested ? nested[3] : plain![4]).replace(/\s+/g, '')}`, bytes: one.bytes };
    if (union) size = Math.max(size, one.bytes);
    else {
      offset = Math.ceil(offset / a) * a + one.bytes;
    }
  }
  const raw = union ? size : offset;
  return { bytes: Math.ceil(raw / align) * align, align, largest };
}

export interface LocalVariable extends SourceLine {
  text: string;
  name: string;
  size?: TypeSize;
  /** The inline function the local is declared in: its frame is part of the caller's. */
  inlined?: string;
}

/**
 * The struct and array locals of the function containing `line`, and of the inline functions it
 * calls (their locals share its stack frame), with their sizes when the sources give them.
 */
export function functionLocals(sources: ReadonlyMap<string, string>, file: string, line: number, max = 8): LocalVariable[] {
  const hit = findSource(sources, file);
  if (!hit) return [];
  const lines = hit[1].split('\n');
  const bodies = functionBodies(lines);
  const own = [...bodies].find(([, b]) => b[0] <= line - 1 && line - 1 <= b[1]);
  const out: LocalVariable[] = [];
  const visit = (name: string, body: [number, number], depth: number, via?: string) => {
    for (let i = body[0] + 1; i < body[1] && out.length < max; i++) {
      const text = lines[i].replace(/\/\*.*?\*\/|\/\/.*$/g, '').trim();
      const m = /^((?:(?:volatile|const|unsigned|signed)\s+)*(?:struct\s+\w+|\w+))\s+(\w+)((?:\[[^\]]+\])*)\s*(?:=[^;]*)?;$/.exec(text);
      if (!m || /\*/.test(text) || (!m[1].startsWith('struct') && !m[3]) || /^return\b/.test(text)) continue;
      const dims = [...m[3].matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]);
      out.push({ file: hit[0], line: i + 1, text, name: m[2], size: typeSize(sources, m[1], dims, hit[0]), inlined: via });
    }
    if (depth >= 2) return;
    for (const [g, b] of bodies) {
      // `static __always_inline int f(...)`, or the same with the return type on the line above.
      if (g === name || !/\binline\b|always_inline/.test(`${lines[b[0] - 1] ?? ''} ${lines[b[0]]}`)) continue;
      if (lines.slice(body[0] + 1, body[1]).some((l) => calls(l, g))) visit(g, b, depth + 1, g);
    }
  };
  if (own) visit(own[0], own[1], 0);
  return out;
}

/** The declaration of `member` in `struct type`'s definition, with its type and array dimensions. */
export function structMember(
  sources: ReadonlyMap<string, string>,
  type: string,
  member: string,
  prefer?: string,
): (SourceLine & { text: string; memberType: string; dims: string[]; offset?: number }) | undefined {
  const decl = /^\s*((?:(?:const|volatile|unsigned|signed|struct|union)\s+)*\w+)\s*(\*?)\s*(\w+)((?:\s*\[[^\]]+\])*)\s*;/;
  const dimsOf = (text: string) => [...text.matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]);
  for (const [key, lines] of linesOf(sources, undefined, prefer)) {
    const start = structStart(lines, type);
    if (start < 0) continue;
    // The member's offset, from the sizes of the members before it (without padding).
    let offset: number | undefined = 0;
    for (let i = start + 1; i < lines.length && !/^\s*\}/.test(lines[i]); i++) {
      const code = withoutComment(lines[i]);
      const m = decl.exec(code);
      if (!m) continue;
      const dims = dimsOf(m[4]);
      if (m[3] === member) return { file: key, line: i + 1, text: code.trim(), memberType: `${m[1]}${m[2] ? ' *' : ''}`, dims, offset };
      const size = m[2] ? { bytes: 8 } : typeSize(sources, m[1], dims, key);
      offset = size && offset !== undefined ? offset + size.bytes : undefined;
    }
    return undefined;
  }
  return undefined;
}

/**
 * A function's declaration from its header line: the header itself, or with the return type
 * written on the line above (`static __noinline void\nf(...)`), from that line, as one text.
 */
export function functionDeclaration(sources: ReadonlyMap<string, string> | undefined, header: SourceLine): SourceLine & { text: string } {
  const lines = sources ? (findSource(sources, header.file)?.[1] ?? '').split('\n') : [];
  const own = lines[header.line - 1] ?? '';
  const above = lines[header.line - 2] ?? '';
  if (
    /^\w+\s*\(/.test(own) &&
    /^(?:static\s+|__\w+\s+|inline\s+|const\s+|unsigned\s+|struct\s+)*\w+[\s*]*$/.test(withoutComment(above).trim()) &&
    /^\S/.test(above)
  )
    return { file: header.file, line: header.line - 1, text: `${withoutComment(above).trim()} ${own.trim()}` };
  return { ...header, text: own.trim() };
}

/** A byte count for people: `41.0 GB`, `512 KB`. */
function humanBytes(n: number): string {
  for (const [unit, size] of [
    ['GB', 2 ** 30],
    ['MB', 2 ** 20],
    ['KB', 2 ** 10],
  ] as const)
    if (n >= size) return `${(n / size).toFixed(n % size ? 1 : 0)} ${unit}`;
  return `${n} bytes`;
}
