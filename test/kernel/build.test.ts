// The build with the real clang: the examples compile to BPF objects, rebuilds are incremental,
// and broken sources give diagnostics at the right place.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BuildResult, buildAll } from '../../src/core/toolchain/builder';
import { clangdConfig, writeClangdConfig } from '../../src/core/toolchain/clangd';
import { ToolchainError } from '../../src/core/toolchain/toolchain';
import { dumpVmlinuxHeader, writeVmlinuxHeader } from '../../src/core/toolchain/vmlinux';

const repo = path.resolve(__dirname, '../..');
const EM_BPF = 247;

async function copyDir(from: string, to: string, filter: (f: string) => boolean): Promise<void> {
  await fs.mkdir(to, { recursive: true });
  for (const f of await fs.readdir(from)) if (filter(f)) await fs.copyFile(path.join(from, f), path.join(to, f));
}

async function elfMachine(file: string): Promise<number> {
  const header = (await fs.readFile(file)).subarray(0, 20);
  assert.equal(header.subarray(0, 4).toString('latin1'), '\x7fELF');
  return header.readUInt16LE(18);
}

describe('build with clang', function () {
  let work: string;
  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'ebpf-build-'));
  });
  after(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  describe('the example workspace', () => {
    let examples: string;
    let sources: string[];
    before(async () => {
      examples = path.join(work, 'examples');
      await copyDir(path.join(repo, 'bpf/examples'), examples, (f) => f.endsWith('.bpf.c'));
      await writeVmlinuxHeader(examples, await dumpVmlinuxHeader());
      sources = (await fs.readdir(examples)).filter((f) => f.endsWith('.bpf.c')).map((f) => path.join(examples, f));
      assert.ok(sources.length >= 4);
    });

    it('builds every example into a BPF ELF object with no diagnostics', async () => {
      const results = await buildAll(sources, { clangPath: 'clang', includeDirs: [examples] });
      for (const r of results) {
        assert.equal(r.status, 'built', `${r.source}: ${r.output}`);
        assert.deepEqual(r.diagnostics, []);
        assert.equal(await elfMachine(r.object), EM_BPF);
        assert.ok(r.command.includes('-target') && r.command.includes('bpf') && r.command.includes('-g'));
      }
    });

    it('skips unchanged sources and rebuilds when a header or the flags change', async () => {
      const again = await buildAll(sources, { clangPath: 'clang', includeDirs: [examples] });
      assert.deepEqual(
        again.map((r) => r.status),
        sources.map(() => 'up-to-date'),
      );

      const later = new Date(Date.now() + 5000);
      await fs.utimes(path.join(examples, 'vmlinux.h'), later, later); // only exec_trace includes it
      const afterHeader = await buildAll(sources, { clangPath: 'clang', includeDirs: [examples] });
      const rebuilt = afterHeader.filter((r) => r.status === 'built').map((r) => path.basename(r.source));
      assert.deepEqual(rebuilt, ['exec_trace.bpf.c']);

      const withFlag = await buildAll(sources.slice(0, 1), {
        clangPath: 'clang',
        includeDirs: [examples],
        extraFlags: ['-DWORKBENCH_TEST_FLAG=1'],
      });
      assert.equal(withFlag[0].status, 'built');
    });

    it('puts objects in the output folder when one is set', async () => {
      const out = path.join(work, 'out');
      const [r] = await buildAll(sources.slice(0, 1), { clangPath: 'clang', includeDirs: [examples], outputDir: out });
      assert.equal(path.dirname(r.object), out);
      assert.equal(await elfMachine(r.object), EM_BPF);
    });
  });

  describe('broken sources', () => {
    let fixtures: string;
    const results = new Map<string, BuildResult>();
    before(async () => {
      fixtures = path.join(work, 'broken');
      await copyDir(path.join(repo, 'test/fixtures/build'), fixtures, (f) => f.endsWith('.bpf.c'));
      const files = (await fs.readdir(fixtures)).map((f) => path.join(fixtures, f));
      for (const r of await buildAll(files, { clangPath: 'clang', includeDirs: [fixtures], extraFlags: ['-Wall'] })) {
        results.set(path.basename(r.source), r);
      }
    });

    const only = (name: string) => {
      const r = results.get(name);
      assert.ok(r, `${name} was built`);
      return r;
    };

    it("a syntax error at its line and column, with clang's fix-it", () => {
      const r = only('syntax_error.bpf.c');
      assert.equal(r.status, 'failed');
      const [d] = r.diagnostics;
      assert.deepEqual([d.file, d.line, d.column, d.severity], [path.join(fixtures, 'syntax_error.bpf.c'), 7, 24, 'error']);
      assert.match(d.message, /expected ';'/);
      assert.equal(d.fixIts[0].text, ';');
    });

    it('the BPF stack limit at the offending function', () => {
      const r = only('big_stack.bpf.c');
      assert.equal(r.status, 'failed');
      assert.equal(r.diagnostics.length, 1, JSON.stringify(r.diagnostics));
      const d = r.diagnostics[0];
      assert.match(d.message, /BPF stack limit of 512 bytes is exceeded/);
      assert.ok(d.line === 5 || d.line === 9, `line ${d.line}`); // clang 14 points at the store, newer at the function
      assert.match(d.hint ?? '', /PERCPU_ARRAY/);
    });

    it('signed division at the division', () => {
      const r = only('signed_division.bpf.c');
      assert.equal(r.status, 'failed');
      const d = r.diagnostics.find((x) => /signed division/i.test(x.message));
      assert.ok(d, JSON.stringify(r.diagnostics));
      assert.equal(d.line, 10);
      assert.match(d.hint ?? '', /unsigned/);
      assert.ok(!r.diagnostics.some((x) => /Cannot select|frontend command failed/.test(x.message)), 'crash banner hidden');
    });

    it('a glibc header: on the #include line of the source, with the reason', () => {
      const r = only('glibc_header.bpf.c');
      const [d] = r.diagnostics;
      assert.deepEqual([d.file, d.line], [path.join(fixtures, 'glibc_header.bpf.c'), 2]);
      assert.match(d.message, /stubs-32\.h/);
      assert.match(d.hint ?? '', /glibc/);
      assert.match(d.related[0].file, /stubs\.h$/);
    });

    it('a missing vmlinux.h with the way to generate it', () => {
      const [d] = only('needs_vmlinux.bpf.c').diagnostics;
      assert.equal(d.line, 1);
      assert.match(d.hint ?? '', /Generate vmlinux\.h/);
    });

    it('a file that is not BPF C builds with a warning', () => {
      const r = only('not_bpf.bpf.c');
      assert.equal(r.status, 'built');
      assert.equal(r.diagnostics[0].severity, 'warning');
      assert.match(r.diagnostics[0].message, /No SEC/);
    });

    it('warnings with their flag', () => {
      const r = only('unused_warning.bpf.c');
      assert.equal(r.status, 'built');
      assert.deepEqual([r.diagnostics[0].line, r.diagnostics[0].option], [7, '-Wunused-variable']);
    });
  });

  it('says how to fix a missing or unusable clang', async () => {
    const source = path.join(repo, 'bpf/examples/packet_counter.bpf.c');
    await assert.rejects(buildAll([source], { clangPath: '/nonexistent/clang' }), (e: unknown) => {
      assert.ok(e instanceof ToolchainError);
      assert.match(e.message, /not found.*apt install clang.*ebpfWorkbench\.clang\.path/);
      return true;
    });
    await assert.rejects(buildAll([source], { clangPath: '/bin/true' }), /does not look like clang/);
  });

  it("writes .clangd for *.bpf.c only, and leaves a user's own alone", async () => {
    const folder = path.join(work, 'clangd');
    await fs.mkdir(folder);
    assert.equal(await writeClangdConfig(folder, [folder]), 'written');
    const text = await fs.readFile(path.join(folder, '.clangd'), 'utf8');
    assert.equal(text, clangdConfig([folder]));
    assert.match(text, /PathMatch: \.\*\\\.bpf\\\.c/);
    assert.match(text, /"-target", "bpf"/);
    assert.equal(await writeClangdConfig(folder, [folder]), 'unchanged');
    await fs.writeFile(path.join(folder, '.clangd'), 'CompileFlags:\n  Add: [-DMINE]\n');
    assert.equal(await writeClangdConfig(folder, [folder]), 'user-owned');
  });
});
