import * as assert from 'node:assert/strict';
import { findFunctionDefinition, parseClangOutput } from '../../src/core/toolchain/clangDiagnostics';
import { parseDepfile, commandStamp, withCommandStamp } from '../../src/core/toolchain/depfile';
import { hintFor, looksLikeBpfC } from '../../src/core/toolchain/hints';

// Outputs below are clang's own, captured from clang 14 and 19 on the fixtures in test/fixtures/build.
describe('clang diagnostics parser', () => {
  it('reads a located error with its fix-it', () => {
    const out = [
      "syntax_error.bpf.c:7:24: error: expected ';' at end of declaration",
      '        int verdict = XDP_PASS',
      '                              ^',
      '                              ;',
      'fix-it:"syntax_error.bpf.c":{7:24-7:24}:";"',
      '1 error generated.',
    ].join('\n');
    const [d, ...rest] = parseClangOutput(out);
    assert.equal(rest.length, 0);
    assert.deepEqual(d.position, { file: 'syntax_error.bpf.c', line: 7, column: 24 });
    assert.equal(d.severity, 'error');
    assert.equal(d.message, "expected ';' at end of declaration");
    assert.deepEqual(d.fixIts, [{ file: 'syntax_error.bpf.c', start: { line: 7, column: 24 }, end: { line: 7, column: 24 }, text: ';' }]);
  });

  it('separates the warning option and attaches notes', () => {
    const out = [
      "a.bpf.c:7:6: warning: unused variable 'unused' [-Wunused-variable]",
      'a.bpf.c:3:1: note: previous definition is here',
    ].join('\n');
    const [d] = parseClangOutput(out);
    assert.equal(d.message, "unused variable 'unused'");
    assert.equal(d.option, '-Wunused-variable');
    assert.deepEqual(d.notes, [{ file: 'a.bpf.c', line: 3, column: 1, message: 'previous definition is here' }]);
  });

  it('dedupes the stack-limit error and drops the "could not determine" note', () => {
    const out = [
      'big.bpf.c:9:13: error: Looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack variables into BPF per-cpu array map.',
      'big.bpf.c:5:5: note: could not determine the original source location for big.bpf.c:0:0',
      'big.bpf.c:5:5: error: Looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack variables into BPF per-cpu array map.',
      'big.bpf.c:5:5: note: could not determine the original source location for big.bpf.c:0:0',
    ].join('\n');
    const ds = parseClangOutput(out);
    assert.equal(ds.length, 1);
    assert.equal(ds[0].position?.line, 9);
    assert.equal(ds[0].notes.length, 0);
  });

  it("locates the BPF backend's 'Error at line' message and hides the crash banner", () => {
    const out = [
      'Error at line 10: Unsupport signed division for DAG: 0x27934998: i64 = sdiv 0x279341e0, 0x27934318, signed_division.bpf.c:10:15Please convert to unsigned div/mod.',
      'fatal error: error in backend: Cannot select: 0x27934998: i64 = sdiv 0x279341e0, 0x27934318, signed_division.bpf.c:10:15',
      '  0x279341e0: i64 = sra 0x279348c8, Constant:i64<32>, signed_division.bpf.c:7:40',
      'clang: error: clang frontend command failed with exit code 70 (use -v to see invocation)',
    ].join('\n');
    const ds = parseClangOutput(out);
    assert.equal(ds.length, 1);
    assert.deepEqual(ds[0].position, { file: 'signed_division.bpf.c', line: 10, column: 15 });
    assert.equal(ds[0].message, 'Unsupport signed division. Please convert to unsigned div/mod.');
  });

  it('keeps the function name of "<unknown>:0:0: in function" backend errors', () => {
    const out =
      'error: <unknown>:0:0: in function big_stack i32 (%struct.xdp_md*): Looks like the BPF stack limit of 512 bytes is exceeded. Please move large on stack variables into BPF per-cpu array map.';
    const [d] = parseClangOutput(out);
    assert.equal(d.functionName, 'big_stack');
    assert.equal(d.position, undefined);
    assert.match(d.message, /^Looks like the BPF stack limit/);
  });

  it('records the include chain of an error inside a header', () => {
    const out = [
      'In file included from glibc_header.bpf.c:2:',
      'In file included from /usr/include/stdio.h:27:',
      "/usr/include/x86_64-linux-gnu/gnu/stubs.h:7:11: fatal error: 'gnu/stubs-32.h' file not found",
    ].join('\n');
    const [d] = parseClangOutput(out);
    assert.equal(d.severity, 'error');
    assert.deepEqual(
      d.includedFrom.map((p) => `${p.file}:${p.line}`),
      ['glibc_header.bpf.c:2', '/usr/include/stdio.h:27'],
    );
  });

  it('keeps driver errors without a location', () => {
    const [d] = parseClangOutput("clang: error: no such file or directory: 'missing.bpf.c'");
    assert.equal(d.position, undefined);
    assert.equal(d.message, "no such file or directory: 'missing.bpf.c'");
  });

  it('never throws on garbage', () => {
    for (const s of ['', '\n\n', ':::', 'fix-it:"x":{1:1-1:1}:";"', 'a.c:1:1: note: orphan', 'Error at line x:']) {
      assert.doesNotThrow(() => parseClangOutput(s));
    }
  });
});

describe('function definition lookup', () => {
  const source = [
    'static int helper(int x);',
    'int main_prog(void *ctx)',
    '{',
    '\treturn helper(1);',
    '}',
    'static int helper(int x)',
    '{ return x; }',
  ].join('\n');
  it('prefers a definition at column 0 over an indented call', () => {
    assert.deepEqual(findFunctionDefinition(source, 'main_prog'), { line: 2, column: 5 });
    assert.equal(findFunctionDefinition(source, 'helper')?.line, 1);
    assert.equal(findFunctionDefinition(source, 'absent'), undefined);
  });
});

describe('depfiles', () => {
  it('reads prerequisites with continuations and escaped spaces', () => {
    const text = 'out.o: a.bpf.c /usr/include/linux/bpf.h \\\n  my\\ dir/x.h\n# ebpf-workbench-command: ["-c"]\n';
    assert.deepEqual(parseDepfile(text), ['a.bpf.c', '/usr/include/linux/bpf.h', 'my dir/x.h']);
    assert.equal(commandStamp(text), '["-c"]');
    assert.equal(commandStamp(withCommandStamp('o: a', ['-O2'])), '["-O2"]');
  });
});

describe('build hints', () => {
  it('explains the classic BPF build failures', () => {
    assert.match(hintFor("'vmlinux.h' file not found") ?? '', /Generate vmlinux\.h/);
    assert.match(hintFor("'gnu/stubs-32.h' file not found") ?? '', /glibc/);
    assert.match(hintFor('Unsupport signed division. Please convert to unsigned div/mod.') ?? '', /unsigned/);
    assert.equal(hintFor("expected ';'"), undefined);
  });
  it('recognises BPF C by its sections', () => {
    assert.ok(looksLikeBpfC('SEC("xdp")\nint f(void *c) { return 0; }'));
    assert.ok(!looksLikeBpfC('int add(int a, int b) { return a + b; }'));
  });
});
