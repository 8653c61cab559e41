// Verifier diagnostics in a real VS Code: a broken program is compiled with clang and loaded with
// bpftool in this run; the kernel's verifier log goes through "eBPF: Explain Verifier Log" to the
// language server, and the diagnostic shows at the right line with its code, root cause, hover,
// inline hint and quick fix. The fixed program then loads.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { bpfCompileFlags } from '../../src/core/toolchain/flags';
import { screenshot } from './screenshot';
import { activateExtension, formatDiagnostic, openFile, sleep, waitFor, waitForDiagnostics, workspaceFile } from './util';
import { Command } from '../../src/extension/commands';

const SOURCE = 'eBPF verifier';
const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/verifier-editor');

interface ExplainResult {
  findings: number;
  placed: number;
  files: string[];
  truncated: boolean;
  titles: string[];
  messages: string[];
}

function run(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Compile with clang and load with bpftool; returns the load's output (libbpf messages + verifier log). */
async function compileAndLoad(source: string, tmp: string): Promise<{ loaded: boolean; log: string }> {
  const object = path.join(tmp, `${path.basename(source, '.c')}.o`);
  const cc = await run('clang', [...bpfCompileFlags([path.dirname(source)]), '-c', source, '-o', object]);
  assert.equal(cc.code, 0, `clang failed:\n${cc.output}`);
  const pin = `/sys/fs/bpf/ebpf_workbench_test_${process.pid}_${path.basename(source, '.bpf.c')}`;
  const load = await run('bpftool', ['-d', 'prog', 'load', object, pin]);
  await fs.rm(pin, { force: true });
  return { loaded: load.code === 0, log: load.output };
}

const lineOf = (doc: vscode.TextDocument, needle: string) =>
  doc
    .getText()
    .split('\n')
    .findIndex((l) => l.includes(needle));
const codeOf = (d: vscode.Diagnostic) => (typeof d.code === 'object' ? d.code.value : d.code);
const hoverText = (hovers: vscode.Hover[]) =>
  hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))).join('\n');

describe('verifier diagnostics', () => {
  let tmp: string;

  before(async () => {
    await activateExtension();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ebpf-verifier-test-'));
    await fs.mkdir(workspaceFile('verifier').fsPath, { recursive: true });
  });

  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  async function explainFixture(name: string): Promise<{ uri: vscode.Uri; result: ExplainResult; log: string }> {
    const uri = workspaceFile('verifier', `${name}.bpf.c`);
    await fs.copyFile(path.join(FIXTURES, `${name}.bpf.c`), uri.fsPath);
    const { loaded, log } = await compileAndLoad(uri.fsPath, tmp);
    assert.equal(loaded, false, `${name} was expected to be refused by the verifier`);
    const result = await vscode.commands.executeCommand<ExplainResult>(Command.explainVerifierLog, {
      log,
      name: `${name} (bpftool)`,
    });
    return { uri, result, log };
  }

  it('puts "R3 type=map_value expected=fp" on the bpf_for_each_map_elem line, with its root cause', async () => {
    const { uri, result, log } = await explainFixture('for_each_global_ctx');
    assert.match(log, /R3 type=map_value expected=fp/);
    assert.equal(result.findings, 1);
    assert.deepEqual(result.files, [uri.fsPath]);

    const [d, ...others] = await waitForDiagnostics(uri, { source: SOURCE });
    assert.equal(others.length, 0, others.map(formatDiagnostic).join('\n'));
    const editor = await openFile(uri);
    const line = lineOf(editor.document, 'bpf_for_each_map_elem(&counts');
    assert.equal(d.range.start.line, line, formatDiagnostic(d));
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(codeOf(d), 'arg-expected-stack');
    assert.ok(typeof d.code === 'object' && d.code.target.scheme === 'https', 'the code links to documentation');
    assert.match(d.message, /^bpf_for_each_map_elem: callback context must be a stack pointer\nverifier: R3 type=map_value expected=fp$/);
    assert.ok(d.relatedInformation?.length, 'no related information');
    for (const r of d.relatedInformation!) assert.equal(r.location.uri.fsPath, uri.fsPath);
    assert.match(d.relatedInformation![0].message, /R3 is the address of `global_census`, taken here/);
    const declaration = editor.document
      .getText()
      .split('\n')
      .findIndex((l) => l.startsWith('struct census global_census;'));
    assert.ok(
      d.relatedInformation!.some((r) => r.location.range.start.line === declaration && /declared outside any function/.test(r.message)),
      "the global's declaration is a related location",
    );

    // Hover on the line: explanation, fix example and the register state; on a helper: its docs.
    const onLine = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, 3)),
    );
    assert.match(onLine, /Register state before instruction \d+/);
    assert.match(onLine, /R3=map_value\(map=/);
    assert.match(onLine, /\*\*Fix:\*\*/);
    const helperAt = new vscode.Position(line, editor.document.lineAt(line).text.indexOf('for_each'));
    const onHelper = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, helperAt));
    assert.match(onHelper, /long bpf_for_each_map_elem\(void \*map, void \*callback_fn, void \*callback_ctx, __u64 flags\)/);

    // The picture: the squiggle, the inline hint at the end of the line, Problems open.
    editor.selection = new vscode.Selection(line, 0, line, 0);
    editor.revealRange(d.range, vscode.TextEditorRevealType.InCenter);
    await vscode.commands.executeCommand('workbench.actions.view.problems');
    await vscode.window.showTextDocument(editor.document, { preserveFocus: false });
    await sleep(1500);
    await screenshot('verifier-diagnostic-inline-hint');

    // The hover on the line: explanation, fix and register state (a picture for the README).
    editor.selection = new vscode.Selection(line, 6, line, 6);
    await vscode.commands.executeCommand('editor.action.showHover');
    await sleep(1500);
    await screenshot('verifier-hover');
    await vscode.commands.executeCommand('editor.action.hideHover').then(undefined, () => undefined);
  });

  it('offers the copy-to-stack quick fix, and the fixed program loads', async () => {
    const uri = workspaceFile('verifier', 'for_each_global_ctx.bpf.c');
    const [d] = await waitForDiagnostics(uri, { source: SOURCE });
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      d.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const fix = actions.find((a) => a.title === "Copy 'global_census' into a stack variable and pass its address");
    assert.ok(fix?.edit, `no copy-to-stack fix among: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(
      doc.getText(),
      /struct census global_census_on_stack = global_census;\n\tbpf_for_each_map_elem\(&counts, count_one, &global_census_on_stack, 0\);\n\tglobal_census = global_census_on_stack;/,
    );
    assert.ok(await doc.save());
    const { loaded, log } = await compileAndLoad(uri.fsPath, tmp);
    assert.ok(loaded, `the fixed program still fails to load:\n${log.split('\n').slice(-25).join('\n')}`);
  });

  it('names the callback and the call that registered it for the callback return range', async () => {
    const { uri, result } = await explainFixture('callback_return');
    assert.equal(result.findings, 1);
    const [d] = await waitForDiagnostics(uri, { source: SOURCE });
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(d.range.start.line, lineOf(doc, 'return *value;'), formatDiagnostic(d));
    assert.equal(codeOf(d), 'callback-return-range');
    const related = d.relatedInformation!.map((r) => r.location.range.start.line);
    assert.ok(related.includes(lineOf(doc, 'bpf_for_each_map_elem(&counts')), `related lines: ${related}`);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      d.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    assert.deepEqual(
      actions.filter((a) => a.title.startsWith('Return ')).map((a) => a.title),
      ["Return 0 (continue) instead of '*value'", "Return 1 (stop) instead of '*value'"],
    );
  });

  it('shows the last log as a read-only document with links to the source', async () => {
    const editor = await vscode.commands.executeCommand<vscode.TextEditor>(Command.showVerifierLog, 'explained:callback_return (bpftool)');
    assert.ok(editor, 'no editor opened');
    assert.equal(editor.document.uri.scheme, 'ebpf-verifier-log');
    assert.equal(editor.document.languageId, 'bpf-verifier-log');
    assert.match(editor.document.getText(), /At callback return the register R0 has unknown scalar value should have been in \[0, 1\]/);
    // The view opens on the verifier's error line.
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /^At callback return the register R0/);
    const source = workspaceFile('verifier', 'callback_return.bpf.c');
    const links = await waitFor('document links in the log', async () => {
      const found = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', editor.document.uri);
      return found.length ? found : undefined;
    });
    assert.ok(
      links.every((l) => l.target?.fsPath === source.fsPath),
      links.map((l) => l.target?.toString()).join('\n'),
    );
    const folds = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', editor.document.uri);
    assert.ok(folds.length >= 3, `only ${folds.length} folding ranges`);
    await sleep(500);
    await screenshot('verifier-log-document');
  });

  it('replaces the diagnostics when the same object reports a clean log', async () => {
    const uri = workspaceFile('verifier', 'callback_return.bpf.c');
    await vscode.commands.executeCommand(Command.explainVerifierLog, {
      log: 'processed 3 insns (limit 1000000)\n',
      name: 'callback_return (bpftool)',
    });
    await waitForDiagnostics(uri, { source: SOURCE, accept: (list) => list.length === 0 });
  });
});
