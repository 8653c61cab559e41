// The .BTF.ext line info reader on objects real clang builds here: every instruction of a
// program maps to the line clang recorded for it (the answer llvm-objdump --line-numbers gives
// from DWARF), and foreign, truncated or debug-less files give no answer at all.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readLineInfo } from '../../src/core/verifier';

const SOURCE = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
char LICENSE[] SEC("license") = "GPL";
int counter;
SEC("tracepoint/syscalls/sys_enter_getpid")
int first(void *ctx)
{
	int n = counter;
	if (n > 10)
		return 1;
	counter = n + 1;
	return 0;
}
SEC("xdp")
int second(struct xdp_md *ctx)
{
	return XDP_PASS;
}
`;

describe('BTF.ext line info', () => {
  let dir: string;
  let object: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'btfext-'));
    const src = path.join(dir, 'lines.bpf.c');
    writeFileSync(src, SOURCE);
    object = path.join(dir, 'lines.bpf.o');
    execFileSync('clang', ['-g', '-O2', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', object]);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('maps each instruction of each program to the line llvm-objdump reports', () => {
    const info = readLineInfo(readFileSync(object));
    assert.ok(info);
    assert.deepEqual(info.programs().sort(), ['first', 'second']);
    // llvm-objdump prints `; <file>:<line>` before the instructions of each line, per section.
    const dump = execFileSync('llvm-objdump', ['-d', '--line-numbers', object], { encoding: 'utf8' });
    let section = '';
    let line = 0;
    let checked = 0;
    const sectionProgram: Record<string, string> = { 'tracepoint/syscalls/sys_enter_getpid': 'first', xdp: 'second' };
    for (const l of dump.split('\n')) {
      const sec = /^Disassembly of section (\S+):$/.exec(l);
      if (sec) section = sec[1];
      const at = /^; .*lines\.bpf\.c:(\d+)$/.exec(l);
      if (at) line = Number(at[1]);
      const insn = /^\s+(\d+):\s/.exec(l);
      // At a function's first instruction clang's line info names the signature (as the verifier
      // log does), DWARF the opening brace.
      if (insn && sectionProgram[section] && line > 0 && insn[1] !== '0') {
        assert.equal(info.locate(sectionProgram[section], Number(insn[1]))?.line, line, `${section} insn ${insn[1]}`);
        checked++;
      }
    }
    assert.ok(checked >= 8, `only ${checked} instructions checked`);
    assert.match(info.locate('first', 0)?.file ?? '', /lines\.bpf\.c$/);
    assert.equal(info.locate('first', 0)?.line, 6);
    assert.equal(info.locate('first', 10_000), undefined);
    assert.equal(info.locate('nope', 0), undefined);
  });

  it('answers nothing for files that are not BPF objects with line info, and never throws', () => {
    const bytes = readFileSync(object);
    assert.equal(readLineInfo(new Uint8Array(0)), undefined);
    assert.equal(readLineInfo(Buffer.from('not an elf file at all, just text')), undefined);
    for (const cut of [64, 200, bytes.length >> 1, bytes.length - 1]) readLineInfo(bytes.subarray(0, cut));
    const noDebug = path.join(dir, 'nodebug.o');
    execFileSync('clang', ['-O2', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', path.join(dir, 'lines.bpf.c'), '-o', noDebug]);
    assert.equal(readLineInfo(readFileSync(noDebug)), undefined);
  });
});
