// The language server's pure half: verifier findings → diagnostics, hovers, inline hints, quick
// fixes. Inputs are verifier logs the kernel printed for test/fixtures/verifier-editor/*.bpf.c.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { analyzeLog, type Finding } from '../../src/core/verifier';
import { DIAGNOSTIC_SOURCE } from '../../src/protocol/languageServer';
import {
  currentLine,
  diagnosticMessage,
  findingHover,
  functionDefinitionLine,
  hintsFor,
  lineRange,
  placeFindings,
  resolveSource,
  shiftFinding,
  splitRegisters,
  type PlacedFinding,
  type SourceFile,
} from '../../src/server/verifierFindings';
import { assignedVariable, buildQuickFixes, globalDeclaration } from '../../src/server/verifierQuickFixes';

const FIXTURES = path.resolve(__dirname, '../fixtures/verifier-editor');

function source(name: string, dir = FIXTURES): SourceFile {
  const p = path.join(dir, name);
  return { path: p, uri: pathToFileURL(p).toString(), text: readFileSync(p, 'utf8') };
}

/** Analyze the captured kernel log of a fixture against its source, as the server does. */
function placedFor(name: string, extraSources: SourceFile[] = []): { src: SourceFile; placed: PlacedFinding[] } {
  const src = source(`${name}.bpf.c`);
  const sources = [src, ...extraSources];
  const log = readFileSync(path.join(FIXTURES, `${name}.kernel.log`), 'utf8');
  const analysis = analyzeLog(log, { sources: new Map(sources.map((s) => [s.path, s.text])) });
  const byUri = placeFindings(analysis.findings, sources);
  return { src, placed: [...byUri.values()].flat() };
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));
const applyFix = (text: string, edits: Parameters<typeof TextDocument.applyEdits>[1]) =>
  TextDocument.applyEdits(TextDocument.create('file:///x.bpf.c', 'c', 1, text), edits);

describe('server: findings → diagnostics', () => {
  it('places "R3 type=map_value expected=fp" on the bpf_for_each_map_elem call, trimmed to the code', () => {
    const { src, placed } = placedFor('for_each_global_ctx');
    assert.equal(placed.length, 1);
    const [p] = placed;
    const line = lineOf(src.text, 'bpf_for_each_map_elem(&counts');
    assert.equal(p.uri, src.uri);
    assert.equal(p.line, line);
    const d = p.diagnostic;
    assert.deepEqual(d.range, { start: { line, character: 1 }, end: { line, character: src.text.split('\n')[line].trimEnd().length } });
    assert.equal(d.source, DIAGNOSTIC_SOURCE);
    assert.equal(d.severity, DiagnosticSeverity.Error);
    assert.equal(d.code, 'arg-expected-stack');
    assert.match(d.codeDescription!.href, /^https:\/\//);
    // Title first (what Problems shows), then the verifier's own words verbatim.
    const [title, words] = (d.message as string).split('\n');
    assert.match(title, /stack pointer/);
    assert.equal(words, 'verifier: R3 type=map_value expected=fp');
    assert.ok(d.relatedInformation!.length >= 1);
    assert.ok(d.relatedInformation!.every((r) => r.location.uri === src.uri));
    // The root cause is the global itself: named where its address is taken, and at its declaration.
    const declaration = d.relatedInformation!.find((r) => r.location.range.start.line === lineOf(src.text, 'struct census global_census;'));
    assert.match(declaration?.message ?? '', /`global_census` is declared outside any function/);
    assert.ok(d.relatedInformation!.some((r) => /R3 is the address of `global_census`/.test(r.message)));
  });

  it('names the callback and the call that registered it for "At callback return ... [0, 1]"', () => {
    const { src, placed } = placedFor('callback_return');
    assert.equal(placed.length, 1);
    const d = placed[0].diagnostic;
    assert.equal(d.code, 'callback-return-range');
    assert.equal(d.range.start.line, lineOf(src.text, 'return *value;'));
    assert.match(
      d.message as string,
      /\nverifier: At callback return the register R0 has unknown scalar value should have been in \[0, 1\]$/,
    );
    const relatedLines = d.relatedInformation!.map((r) => r.location.range.start.line);
    assert.ok(relatedLines.includes(lineOf(src.text, 'bpf_for_each_map_elem(&counts')), `related lines ${relatedLines}`);
  });

  it('points a NULL dereference at the use and its related information at the lookup', () => {
    const { src, placed } = placedFor('null_check');
    const d = placed[0].diagnostic;
    assert.equal(d.range.start.line, lineOf(src.text, '*count += 1;'));
    assert.deepEqual(
      d.relatedInformation!.map((r) => r.location.range.start.line),
      [lineOf(src.text, 'bpf_map_lookup_elem(&packets')],
    );
    assert.match(d.relatedInformation![0].message, /NULL/);
  });

  it('picks, among sources sharing a basename, the one whose line reads like the annotation', () => {
    const real = source('callback_return.bpf.c');
    const decoy: SourceFile = {
      path: '/elsewhere/callback_return.bpf.c',
      uri: 'file:///elsewhere/callback_return.bpf.c',
      text: 'int x;\n'.repeat(40),
    };
    const { placed } = placedFor('callback_return', [decoy]);
    assert.equal(placed[0].uri, real.uri);
    assert.equal(resolveSource('callback_return.bpf.c', [decoy, real], 21, 'return *value;'), real);
    // A path the sources do not end with still matches by basename (clang may have seen a relative path).
    assert.equal(resolveSource('sub/dir/callback_return.bpf.c', [real]), real);
    assert.equal(resolveSource('other.bpf.c', [decoy, real]), undefined);
    assert.equal(resolveSource(real.path, [decoy, real]), real);
  });

  it("puts a finding without a line on its program's function, or the first line", () => {
    const src = source('null_check.bpf.c');
    const finding: Finding = {
      severity: 'error',
      message: "libbpf: prog 'count_packets': failed to load: -7",
      title: 'Loading failed',
      explanation: '',
      fix: '',
      catalogId: null,
      origin: 'libbpf',
      related: [],
      program: 'count_packets',
    };
    const [p] = [...placeFindings([finding], [src]).values()].flat();
    assert.equal(p.line, lineOf(src.text, 'int count_packets('));
    assert.equal(p.diagnostic.code, 'uncatalogued');
    assert.equal(functionDefinitionLine(src.text, 'nope'), undefined);
    const [q] = [...placeFindings([{ ...finding, program: undefined }], [src]).values()].flat();
    assert.equal(q.line, 0);
    assert.equal(placeFindings([finding], []).size, 0);
  });

  it("writes the title once when the tool's words are the title", () => {
    const f = { title: 'x', message: 'x', origin: 'clang' } as Finding;
    assert.equal(diagnosticMessage(f), 'x');
  });

  it('hovers with the explanation, the fix example and the register state one per line', () => {
    const { placed } = placedFor('for_each_global_ctx');
    const md = findingHover(placed[0].finding);
    assert.match(md, /\*\*bpf_for_each_map_elem: callback context must be a stack pointer\*\*/);
    assert.match(md, /```text\nR3 type=map_value expected=fp\n```/);
    assert.match(md, /\*\*Fix:\*\*/);
    assert.match(md, /```c\n/);
    assert.match(md, /Register state before instruction 7:\n```text\n(?:.*\n)*R3=map_value\(map=for_each\.bss,ks=4,vs=8\)\n/);
    assert.match(md, /\[Documentation\]\(https:/);
  });

  it('splits register states without breaking values that contain spaces', () => {
    assert.deepEqual(splitRegisters('R1=ctx() R2_w=scalar(smin=0,smax=umax=255,var_off=(0x0; 0xff)) fp-8=mmmm frame1: R3=fp-16'), [
      'R1=ctx()',
      'R2_w=scalar(smin=0,smax=umax=255,var_off=(0x0; 0xff))',
      'fp-8=mmmm',
      'frame1: R3=fp-16',
    ]);
  });

  it('gives one inline hint per line', () => {
    const { placed } = placedFor('for_each_global_ctx');
    const twice = [placed[0], { ...placed[0], finding: { ...placed[0].finding, title: 'second' } }];
    const hints = hintsFor(twice);
    assert.equal(hints.length, 1);
    assert.equal(hints[0].line, placed[0].line);
    assert.match(hints[0].title, /stack pointer \(\+1 more\)$/);
    assert.match(hints[0].hover, /---/);
  });

  it('falls back to the whole line for blank lines', () => {
    assert.deepEqual(lineRange(['\t', ''], 0), { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } });
  });
});

describe('server: findings after edits', () => {
  it('follows the flagged line when lines are added above it, and gives up when it changed', () => {
    const p = { line: 2, lineText: '\t*count += 1;' };
    assert.equal(currentLine(p, ['a', 'b', '\t*count += 1;']), 2);
    assert.equal(currentLine(p, ['new', 'a', 'b', '\t*count += 1;']), 3);
    assert.equal(currentLine(p, ['b', '\t*count += 1;']), 1);
    assert.equal(currentLine(p, ['a', 'b', '\t*count += 2;']), undefined);
  });

  it('moves the NULL check with the code', () => {
    const { src, placed } = placedFor('null_check');
    const moved = `// a new first line\n${src.text}`;
    const line = currentLine(placed[0], moved.split('\n'))!;
    assert.equal(line, placed[0].line + 1);
    const [fix] = buildQuickFixes(shiftFinding(placed[0].finding, 1), moved, line);
    assert.ok(
      applyFix(moved, fix.edits).includes('\t__u64 *count = bpf_map_lookup_elem(&packets, &key);\n\tif (!count)\n\t\treturn XDP_PASS;\n'),
    );
  });
});

describe('server: quick fixes', () => {
  it('copies a global callback context into a stack variable and copies it back', () => {
    const { src, placed } = placedFor('for_each_global_ctx');
    const fixes = buildQuickFixes(placed[0].finding, src.text, placed[0].line);
    assert.equal(fixes.length, 1);
    assert.equal(fixes[0].title, "Copy 'global_census' into a stack variable and pass its address");
    const fixed = applyFix(src.text, fixes[0].edits);
    assert.ok(
      fixed.includes(
        '\tstruct census global_census_on_stack = global_census;\n' +
          '\tbpf_for_each_map_elem(&counts, count_one, &global_census_on_stack, 0);\n' +
          '\tglobal_census = global_census_on_stack;\n',
      ),
      fixed,
    );
  });

  it('copies through the pointer when the context is a pointer to a map value', () => {
    const text =
      'int f(void)\n{\n\tstruct v *val = bpf_map_lookup_elem(&m, &k);\n\tif (!val)\n\t\treturn 0;\n\tbpf_loop(4, cb, val, 0);\n\treturn 0;\n}\n';
    const finding = { quickFix: { kind: 'copy-to-stack', expression: 'val' }, related: [] } as unknown as Finding;
    const [fix] = buildQuickFixes(finding, text, 5);
    assert.match(
      applyFix(text, fix.edits),
      /\t__typeof__\(\*val\) val_on_stack = \*val;\n\tbpf_loop\(4, cb, &val_on_stack, 0\);\n\t\*val = val_on_stack;\n/,
    );
  });

  it('offers no copy when the call is the body of a brace-less if', () => {
    const text = 'struct c g;\nint f(void)\n{\n\tif (x)\n\t\tbpf_loop(4, cb, &g, 0);\n\treturn 0;\n}\n';
    const finding = { quickFix: { kind: 'copy-to-stack', expression: '&g', symbol: 'g' }, related: [] } as unknown as Finding;
    assert.deepEqual(buildQuickFixes(finding, text, 4), []);
  });

  it('adds the NULL check after the lookup, returning what the function returns elsewhere', () => {
    const { src, placed } = placedFor('null_check');
    const [fix] = buildQuickFixes(placed[0].finding, src.text, placed[0].line);
    assert.equal(fix.title, "Return early when 'count' is NULL");
    const fixed = applyFix(src.text, fix.edits);
    assert.ok(fixed.includes('\t__u64 *count = bpf_map_lookup_elem(&packets, &key);\n\tif (!count)\n\t\treturn XDP_PASS;\n'), fixed);
  });

  it('makes the callback return 0 (continue) or 1 (stop)', () => {
    const { src, placed } = placedFor('callback_return');
    const fixes = buildQuickFixes(placed[0].finding, src.text, placed[0].line);
    assert.deepEqual(
      fixes.map((f) => f.title),
      ["Return 0 (continue) instead of '*value'", "Return 1 (stop) instead of '*value'"],
    );
    assert.ok(applyFix(src.text, fixes[0].edits).includes('\tcensus->elements++;\n\treturn 0;\n'));
    assert.equal(fixes[0].isPreferred, true);
  });

  it('declares a GPL license', () => {
    const { src, placed } = placedFor('gpl_only_helper');
    assert.equal(placed[0].diagnostic.code, 'gpl-only');
    const [fix] = buildQuickFixes(placed[0].finding, src.text, placed[0].line);
    assert.ok(applyFix(src.text, fix.edits).includes('char LICENSE[] SEC("license") = "GPL";'));
    const withoutLicense = 'int x;\n';
    assert.equal(
      applyFix(withoutLicense, buildQuickFixes(placed[0].finding, withoutLicense, 0)[0].edits),
      'int x;\n\nchar LICENSE[] SEC("license") = "GPL";\n',
    );
  });

  it('reads declarations and assignments the way the fixes need them', () => {
    const lines = ['static volatile const __u32 limit = 4;', 'struct census global_census;', 'struct x *ptr SEC(".data");', 'int arr[4];'];
    assert.deepEqual(globalDeclaration(lines, 'limit'), { type: '__u32', isConst: true });
    assert.deepEqual(globalDeclaration(lines, 'global_census'), { type: 'struct census', isConst: false });
    assert.deepEqual(globalDeclaration(lines, 'ptr'), { type: 'struct x *', isConst: false });
    assert.equal(globalDeclaration(lines, 'arr'), undefined);
    assert.equal(assignedVariable('\tstruct event *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);'), 'e');
    assert.equal(assignedVariable('\tv = (struct val *)bpf_map_lookup_elem(&m, &k);'), 'v');
    assert.equal(assignedVariable('\tif (a == b(c))'), undefined);
  });
});
