// The extension in a real workbench: it activates on its own for a workspace with BPF C, its
// commands are registered, and the eBPF view container with the maps view opens.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { screenshot } from './screenshot';
import { EXTENSION_ID, openFile, sleep, waitFor } from './util';
import { Command } from '../../src/extension/commands';

describe('workbench', () => {
  it('activates by itself for a workspace with *.bpf.c files', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    // No ext.activate() here: the manifest's activation events must do it.
    await waitFor('the extension to activate', () => ext.isActive);
  });

  it('opens an example .bpf.c as C', async () => {
    const sources = await vscode.workspace.findFiles('**/*.bpf.c');
    assert.ok(sources.length > 0, 'the example workspace has no *.bpf.c');
    const editor = await openFile(sources.sort((a, b) => a.path.localeCompare(b.path))[0]);
    assert.match(editor.document.fileName, /\.bpf\.c$/);
    assert.equal(editor.document.languageId, 'c');
  });

  it('registers its commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of [Command.build, Command.showOutput]) {
      assert.ok(commands.includes(id), `command ${id} is not registered`);
    }
  });

  it('shows the eBPF view container with the Programs & Maps view', async () => {
    // Both commands exist only if the manifest's view container and view were accepted.
    await vscode.commands.executeCommand('workbench.view.extension.ebpf');
    await vscode.commands.executeCommand('ebpfWorkbench.maps.focus');
    await sleep(1000); // let the sidebar render before the picture
    const file = await screenshot('workbench-ebpf-view');
    if (process.env.EBPF_SCREENSHOT_URL) assert.ok(file?.endsWith('.png'), 'no screenshot was saved');
  });
});
