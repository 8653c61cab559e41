// "eBPF: Build" in a real VS Code on the example workspace: objects appear and Problems stays empty;
// broken sources put clang's errors in Problems at their line and column, with quick fixes.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BuildSummary } from '../../src/extension/build';
import { screenshot } from './screenshot';
import {
  EXTENSION_ID,
  activateExtension,
  formatDiagnostic,
  openFile,
  sleep,
  waitFor,
  waitForDiagnostics,
  workspaceFile,
  workspaceRoot,
} from './util';
import { Command } from '../../src/extension/commands';

const EM_BPF = 247;

describe('eBPF: Build', () => {
  let sources: vscode.Uri[];
  before(async () => {
    await activateExtension();
    sources = await vscode.workspace.findFiles('**/*.bpf.c');
  });

  it('generates vmlinux.h from the kernel BTF', async () => {
    const file = await vscode.commands.executeCommand<string>(Command.generateVmlinux, workspaceRoot());
    assert.equal(file, workspaceFile('vmlinux.h').fsPath);
    const head = (await fs.readFile(file, 'utf8')).slice(0, 4096);
    assert.match(head, /#ifndef __VMLINUX_H__/);
  });

  it("generates vmlinux.h through the target's helper: no bpftool needed", async () => {
    const config = vscode.workspace.getConfiguration('ebpfWorkbench');
    await config.update('bpftool.path', '/nonexistent/bpftool', vscode.ConfigurationTarget.Global);
    try {
      await fs.rm(workspaceFile('vmlinux.h').fsPath, { force: true });
      const file = await vscode.commands.executeCommand<string>(Command.generateVmlinux, workspaceRoot(), 'local');
      assert.equal(file, workspaceFile('vmlinux.h').fsPath, 'no file: the command fell back to the missing bpftool');
      const text = await fs.readFile(file, 'utf8');
      assert.match(text.slice(0, 4096), /#ifndef __VMLINUX_H__/);
      assert.match(text, /struct task_struct \{/);
    } finally {
      await config.update('bpftool.path', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('builds every example into a BPF object with no problems', async () => {
    const summary = await vscode.commands.executeCommand<BuildSummary>(Command.build);
    assert.ok(summary, 'the build returned nothing');
    assert.equal(summary.failed, 0);
    assert.equal(summary.errors, 0);
    assert.equal(summary.objects.length, sources.length);
    for (const object of summary.objects) {
      const header = await fs.readFile(object);
      assert.equal(header.readUInt16LE(18), EM_BPF, `${object} is not a BPF ELF`);
    }
    for (const source of sources) {
      const problems = vscode.languages.getDiagnostics(source).filter((d) => d.source === 'clang');
      assert.deepEqual(problems.map(formatDiagnostic), [], `${source.fsPath} has problems`);
    }
    const again = await vscode.commands.executeCommand<BuildSummary>(Command.build);
    assert.equal(again.upToDate, sources.length, 'a second build rebuilt unchanged sources');
  });

  it('writes .clangd so clangd compiles *.bpf.c for the BPF target', async () => {
    const text = await fs.readFile(workspaceFile('.clangd').fsPath, 'utf8');
    assert.match(text, /PathMatch: .*bpf/);
    assert.match(text, /"-target", "bpf"/);
  });

  it('finds headers in ebpfWorkbench.build.includeDirs and tells clangd about them', async () => {
    const project = workspaceFile('with-include');
    const source = vscode.Uri.joinPath(project, 'uses_header.bpf.c');
    await fs.mkdir(path.join(project.fsPath, 'include'), { recursive: true });
    await fs.writeFile(path.join(project.fsPath, 'include', 'shared_verdicts.h'), '#define VERDICT XDP_PASS\n');
    await fs.writeFile(
      source.fsPath,
      '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n#include "shared_verdicts.h"\n\nSEC("xdp")\nint pass(struct xdp_md *ctx)\n{\n\treturn VERDICT;\n}\n\nchar LICENSE[] SEC("license") = "GPL";\n',
    );
    const config = vscode.workspace.getConfiguration('ebpfWorkbench', workspaceRoot());
    try {
      const without = await vscode.commands.executeCommand<BuildSummary>(Command.build);
      assert.equal(without.failed, 1);
      const [missing] = await waitForDiagnostics(source, { source: 'clang' });
      assert.match(missing.message, /'shared_verdicts\.h' file not found/);

      await config.update('build.includeDirs', ['with-include/include'], vscode.ConfigurationTarget.Workspace);
      const withDirs = await vscode.commands.executeCommand<BuildSummary>(Command.build);
      assert.equal(withDirs.failed, 0);
      assert.deepEqual(
        vscode.languages
          .getDiagnostics(source)
          .filter((d) => d.source === 'clang')
          .map(formatDiagnostic),
        [],
      );
      const clangd = workspaceFile('.clangd').fsPath;
      await waitFor('.clangd to list the include folder', async () =>
        (await fs.readFile(clangd, 'utf8')).includes(JSON.stringify(`-I${path.join(project.fsPath, 'include')}`)),
      );
    } finally {
      await config.update('build.includeDirs', undefined, vscode.ConfigurationTarget.Workspace);
      await fs.rm(project.fsPath, { recursive: true, force: true });
      await vscode.commands.executeCommand(Command.build);
    }
  });

  describe('broken sources', () => {
    const broken = () => workspaceFile('broken');
    before(async () => {
      const fixtures = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test/fixtures/build');
      await fs.mkdir(broken().fsPath, { recursive: true });
      for (const f of ['syntax_error.bpf.c', 'signed_division.bpf.c', 'glibc_header.bpf.c']) {
        await fs.copyFile(path.join(fixtures, f), path.join(broken().fsPath, f));
      }
    });
    after(async () => {
      await fs.rm(broken().fsPath, { recursive: true, force: true });
      await vscode.commands.executeCommand(Command.build);
    });

    it('puts each error in Problems at its line and column', async () => {
      const summary = await vscode.commands.executeCommand<BuildSummary>(Command.build);
      assert.equal(summary.failed, 3);

      const syntax = await waitForDiagnostics(vscode.Uri.joinPath(broken(), 'syntax_error.bpf.c'), { source: 'clang' });
      assert.deepEqual(syntax.map(formatDiagnostic), ["7:24 error expected ';' at end of declaration [clang]"]);

      const division = await waitForDiagnostics(vscode.Uri.joinPath(broken(), 'signed_division.bpf.c'), { source: 'clang' });
      assert.equal(division.length, 1, division.map(formatDiagnostic).join('\n'));
      assert.equal(division[0].range.start.line + 1, 10);
      assert.match(division[0].message, /signed division[\s\S]*unsigned/i);

      const header = await waitForDiagnostics(vscode.Uri.joinPath(broken(), 'glibc_header.bpf.c'), { source: 'clang' });
      assert.equal(header[0].range.start.line + 1, 2, 'the error is shown on the #include line');
      assert.match(header[0].message, /glibc/);
      assert.match(header[0].relatedInformation?.[0].location.uri.fsPath ?? '', /stubs\.h$/);
    });

    it("offers clang's fix-it as a quick fix", async () => {
      const uri = vscode.Uri.joinPath(broken(), 'syntax_error.bpf.c');
      await openFile(uri); // code action providers run on open documents
      const [diagnostic] = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'clang');
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range);
      const fix = actions.find((a) => a.title.includes("Insert ';'"));
      assert.ok(fix?.edit, `no fix-it among: ${actions.map((a) => a.title).join(', ')}`);
      const [[, edits]] = fix.edit.entries();
      assert.deepEqual([edits[0].range.start.line, edits[0].range.start.character, edits[0].newText], [6, 23, ';']);
    });

    it('shows them in the Problems panel', async () => {
      await openFile(vscode.Uri.joinPath(broken(), 'syntax_error.bpf.c'));
      await vscode.commands.executeCommand('workbench.actions.view.problems');
      await sleep(1000);
      await screenshot('build-problems');
    });
  });
});
