// Seeing what the verifier saw (#13) in a real VS Code: the complexity CodeLens after a real load
// and its delta after a change, Show Instructions with links both ways, Compare Verification
// Stats, and for a program the verifier rejects for complexity the stepper (at the error, forward,
// back, backward slice, source highlighted) and the heat map. Screenshots in test-results/.
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Command } from '../../src/extension/commands';
import type { LoadedObjectInfo } from '../../src/core/maps/model';
import { screenshot } from './screenshot';
import { api, openFile, sleep, waitFor, waitForDiagnostics, workspaceFile } from './util';

const FIXTURES = path.resolve(__dirname, '../../../test/fixtures/insight');

async function lenses(uri: vscode.Uri): Promise<string[]> {
  const found = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10)) ?? [];
  return found.map((l) => l.command?.title ?? '');
}

describe('insight: budgets, instructions, stepper, heat map', function () {
  this.timeout(180_000);
  const loaded: LoadedObjectInfo[] = [];
  let loops: vscode.Uri;
  let tooComplex: vscode.Uri;

  before(async () => {
    await api();
    // A wider sidebar, so the Verifier Steps view shows whole lines in the screenshots.
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    for (let i = 0; i < 6; i++) await vscode.commands.executeCommand('workbench.action.decreaseViewWidth');
    await fs.mkdir(workspaceFile('insight').fsPath, { recursive: true });
    loops = workspaceFile('insight', 'loops.bpf.c');
    tooComplex = workspaceFile('insight', 'too-complex.bpf.c');
    await fs.copyFile(path.join(FIXTURES, 'loops.bpf.c'), loops.fsPath);
    await fs.copyFile(path.join(FIXTURES, 'too-complex.bpf.c'), tooComplex.fsPath);
  });

  after(async () => {
    for (const o of loaded) await vscode.commands.executeCommand(Command.unloadObject, o.handle).then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // Give the editor its width back: later tests' screenshots are not about the stepper.
    await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
    for (let i = 0; i < 6; i++) await vscode.commands.executeCommand('workbench.action.increaseViewWidth');
  });

  it('shows the complexity budget above the program after a load, and the delta after a change', async () => {
    const first = await vscode.commands.executeCommand<LoadedObjectInfo>(Command.loadObject, loops);
    assert.ok(first, 'Load Object of loops.bpf.c failed (see the output channel)');
    loaded.push(first);
    const editor = await openFile(loops);
    const lens = await waitFor('the budget CodeLens', async () =>
      (await lenses(loops)).find((t) => /processed [\d,]+ \/ 1,000,000 insns/.test(t)),
    );
    assert.match(lens, /[▰▱]{5} [\d.]+% processed [\d,]+ \/ 1,000,000 insns · states [\d,]+ \(peak [\d,]+\) · stack 8 B · [\d,]+ µs/);
    const before = Number(/processed ([\d,]+)/.exec(lens)![1].replace(/,/g, ''));
    assert.equal(before, first.programs[0].verifiedInsns, 'the lens shows the kernel count of this load');
    await screenshot('insight-codelens', `processed ${before.toLocaleString('en-US')} / 1,000,000 insns`);

    // Fewer iterations: fewer instructions for the verifier; the lens says by how much.
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '#define ITERATIONS 16\n'));
    await editor.document.save();
    const second = await vscode.commands.executeCommand<LoadedObjectInfo>(Command.loadObject, loops);
    assert.ok(second);
    loaded.push(second);
    const after = second.programs[0].verifiedInsns;
    assert.ok(after < before, `${after} < ${before}`);
    const delta = await waitFor('the CodeLens with the delta', async () =>
      (await lenses(loops)).find((t) => t.includes(`(-${(before - after).toLocaleString('en-US')})`)),
    );
    assert.match(delta, new RegExp(`processed ${after.toLocaleString('en-US')} / 1,000,000 insns \\(-[\\d,]+\\)`));
    await screenshot('insight-codelens-delta', `(-${(before - after).toLocaleString('en-US')})`);

    const text = await vscode.commands.executeCommand<string>(Command.compareVerificationStats, second.objectPath);
    assert.match(text, /Insns \(A\)\s+Insns \(B\)\s+Insns \(DIFF\)/);
    assert.match(
      text,
      new RegExp(`loops\\s+success\\s+success\\s+${before.toLocaleString('en-US')}\\s+${after.toLocaleString('en-US')}\\s+-`),
    );
    await screenshot('insight-compare');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('Show Instructions interleaves the kernel instructions with C lines and links both ways', async () => {
    const object = loaded[loaded.length - 1];
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const source = await openFile(loops);
    const uri = await vscode.commands.executeCommand<vscode.Uri>(Command.showInstructions, {
      objectPath: object.objectPath,
      program: 'loops',
    });
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.languageId, 'bpf-instructions');
    const text = doc.getText();
    assert.match(text, /^loops:\n; int loops\(struct __sk_buff \*skb\) @ loops\.bpf\.c:\d+\n\s+0: \(/);
    assert.match(text, /r1 = map\[id:\d+\]/, 'maps by id, as bpftool prints them');
    // @ file:line links open the C file.
    const links = await vscode.commands.executeCommand<vscode.DocumentLink[]>('vscode.executeLinkProvider', uri);
    assert.ok(links.length > 3 && links.every((l) => l.target?.fsPath === loops.fsPath), 'links point at loops.bpf.c');
    // Instruction -> C: the cursor on the loop's compare highlights its C line.
    const insnEditor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())!;
    const loopLine = source.document
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('if (v[i & 15] > skb->len)'));
    const insnLine = doc
      .getText()
      .split('\n')
      .findIndex(
        (l, k, all) =>
          /^\s*\d+: \(/.test(l) &&
          all
            .slice(0, k)
            .reverse()
            .find((x) => x.startsWith('; '))
            ?.endsWith(`:${loopLine + 1}`),
      );
    assert.ok(insnLine > 0, 'an instruction of the loop line');
    insnEditor.selection = new vscode.Selection(insnLine, 2, insnLine, 2);
    const toC = await waitFor('the C line highlighted', async () => {
      const h = (await api()).insight.instructionsHighlight();
      return h?.uri === loops.toString() ? h : undefined;
    });
    assert.deepEqual(toC.lines, [loopLine]);
    // C -> instructions: the cursor on the C line highlights all of its instructions.
    await vscode.window.showTextDocument(source.document, { viewColumn: source.viewColumn, preserveFocus: false });
    source.selection = new vscode.Selection(loopLine, 4, loopLine, 4);
    const toInsns = await waitFor('the instructions highlighted', async () => {
      const h = (await api()).insight.instructionsHighlight();
      return h?.uri === uri.toString() ? h : undefined;
    });
    assert.ok(toInsns.lines.includes(insnLine) && toInsns.lines.length >= 2, JSON.stringify(toInsns));
    await sleep(500);
    await screenshot('insight-instructions');
  });

  it('steps through the verification of a program rejected for complexity, from its error, with the source highlighted', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const rejected = await vscode.commands.executeCommand<LoadedObjectInfo | undefined>(Command.loadObject, tooComplex);
    assert.equal(rejected, undefined, 'the verifier rejects too-complex.bpf.c');
    await vscode.commands.executeCommand('notifications.clearAll').then(undefined, (e: Error) => console.log(`clearAll: ${e.message}`));
    // Builds go to the output folder (ebpfWorkbench.build.outputDir, default .output).
    const objectPath = workspaceFile('.output', path.basename(tooComplex.fsPath).replace(/\.c$/, '.o')).fsPath;
    await openFile(tooComplex); // CodeLenses are computed for open documents
    const lens = await waitFor('the rejected budget CodeLens', async () =>
      (await lenses(tooComplex)).find((t) => t.includes('rejected: processed')),
    );
    assert.match(lens, /\$\(warning\) [▰▱]{5} [\d.]+% rejected: processed [\d,]+ \/ 1,000,000 insns/);

    // The verifier diagnostic offers the stepper and the heat map.
    const diags = await waitForDiagnostics(tooComplex, { source: 'eBPF verifier' });
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      tooComplex,
      diags[0].range,
    );
    const titles = actions.map((a) => a.title);
    assert.ok(titles.includes('Step through the verification to this error'), titles.join(', '));
    assert.ok(titles.includes('Show where the verifier spent its instructions (heat map)'));

    const view = await vscode.commands.executeCommand<{ step: number; error?: string; insn: number }>(
      Command.stepThroughVerification,
      objectPath,
    );
    assert.ok(view, 'the stepper opened');
    assert.match(view.error ?? '', /The sequence of 8193 jumps is too complex/);
    const source = (await fs.readFile(tooComplex.fsPath, 'utf8')).split('\n');
    const loopStart = source.findIndex((l) => l.includes('for (__u64 i = 0; i < v[16]; i++)')) + 1;
    const lit = await waitFor('the source line highlighted', async () => (await api()).insight.stepperHighlight());
    assert.equal(lit.uri, tooComplex.toString());
    assert.ok(lit.line >= loopStart && lit.line <= loopStart + 4, `highlighted line ${lit.line} is in the loop`);
    await sleep(800);
    await screenshot('insight-stepper');

    const back = await vscode.commands.executeCommand<{ step: number }>(Command.stepperPrevious);
    assert.equal(back.step, view.step - 1);
    const fwd = await vscode.commands.executeCommand<{ step: number }>(Command.stepperNext);
    assert.equal(fwd.step, view.step);
    const state = (await api()).insight.step()!;
    const reg = Object.keys(state.before).find((k) => /^R[1-9]$/.test(k))!;
    const def = await vscode.commands.executeCommand<{ step: number; text: string }>(Command.stepperDefinition, reg);
    assert.ok(def.step < view.step, `${reg} got its value at an earlier step`);
    assert.match(def.text, new RegExp(`\\) (?:[rw]${reg.slice(1)} |call )`));
    const err = await vscode.commands.executeCommand<{ step: number }>(Command.stepperJumpToError);
    assert.equal(err.step, view.step);
  });

  it('paints the heat map of the rejected program: the loop lines on top', async () => {
    // Builds go to the output folder (ebpfWorkbench.build.outputDir, default .output).
    const objectPath = workspaceFile('.output', path.basename(tooComplex.fsPath).replace(/\.c$/, '.o')).fsPath;
    const heat = await vscode.commands.executeCommand<{ lines: { line?: number; share: number }[]; summary: string }>(
      Command.showHeatMap,
      objectPath,
    );
    assert.ok(heat);
    const source = (await fs.readFile(tooComplex.fsPath, 'utf8')).split('\n');
    const loopStart = source.findIndex((l) => l.includes('for (__u64 i = 0; i < v[16]; i++)')) + 1;
    for (const l of heat.lines.slice(0, 4))
      assert.ok(l.line! >= loopStart && l.line! <= loopStart + 3, `hot line ${l.line} is in the loop`);
    assert.equal((await api()).insight.heatMap()?.uri, tooComplex.toString());
    await sleep(800);
    await screenshot('insight-heatmap-list');
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await sleep(500);
    await screenshot('insight-heatmap');
    await vscode.commands.executeCommand(Command.clearHeatMap);
  });

  it('Close Verifier Steps lets the log go and hides the view', async () => {
    assert.ok((await api()).insight.stepperHighlight(), 'the stepper is open from the test before');
    await vscode.commands.executeCommand(Command.stepperClose);
    assert.equal((await api()).insight.stepperHighlight(), undefined);
    assert.equal(await vscode.commands.executeCommand(Command.stepperNext), undefined, 'nothing to step through');
    await screenshot('insight-stepper-closed', 'Programs & Maps');
  });
});
