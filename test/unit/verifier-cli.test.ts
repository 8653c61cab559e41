// `explain` as a user runs it: a separate process reading a real log file or stdin.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'src', 'cli', 'main.ts');
const LOG = path.join(ROOT, 'test', 'fixtures', 'verifier', 'logs', 'for-each-global-ctx.level1.log');

function explain(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'explain', ...args], { cwd: ROOT, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('explain CLI', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'explain-cli-'));
    mkdirSync(path.join(dir, 'progs'));
    const src = ['#include "vmlinux.h"', '', '', '', '', '', '', '', '', '\tbpf_for_each_map_elem(&counts, cb, &gctx, 0);', ''].join('\n');
    writeFileSync(path.join(dir, 'progs', 'seed.bpf.c'), src);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the issue's JSON shape with files relative to --source, exit status 1", () => {
    const r = explain([LOG, '--source', dir, '--json']);
    assert.equal(r.code, 1, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(Object.keys(j), ['findings', 'truncated']);
    assert.equal(j.truncated, false);
    assert.equal(j.findings.length, 1);
    const f = j.findings[0];
    assert.deepEqual(Object.keys(f), ['severity', 'message', 'file', 'line', 'title', 'explanation', 'fix', 'catalogId', 'related']);
    assert.deepEqual(
      [f.severity, f.message, f.file, f.line, f.catalogId],
      ['error', 'R3 type=map_value expected=fp', 'progs/seed.bpf.c', 10, 'arg-expected-stack'],
    );
    assert.deepEqual(Object.keys(f.related[0]), ['file', 'line', 'message']);
    assert.equal(f.related[0].file, 'progs/seed.bpf.c');
  });

  it('reads stdin with "-" and prints a readable report', () => {
    const r = explain(['-'], readFileSync(LOG, 'utf8'));
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^seed\.bpf\.c:10: error: bpf_for_each_map_elem: callback context must be a stack pointer \[arg-expected-stack\]/);
    assert.match(r.out, /verifier: R3 type=map_value expected=fp/);
    assert.match(r.out, /fix: .*local/);
  });

  it('exits 0 on a log without errors and 2 on usage errors', () => {
    const ok = explain(
      ['-', '--json'],
      'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0\n',
    );
    assert.equal(ok.code, 0, ok.err);
    assert.deepEqual(JSON.parse(ok.out), { findings: [], truncated: false });
    assert.equal(explain([]).code, 2);
    assert.equal(explain([LOG, '--bogus']).code, 2);
    assert.equal(explain([path.join(dir, 'missing.log')]).code, 2);
  });
});
