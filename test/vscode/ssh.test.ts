// An SSH target in a real VS Code: a throwaway sshd on 127.0.0.1 (its own keys and known_hosts,
// given to ssh with -F through the ebpfWorkbench.ssh.configFile setting), added through the
// ebpfWorkbench.sshTargets setting. The "remote" is this machine, so a map loaded through
// "This machine" must show under the SSH target's "All on host" with the same live count,
// read through ssh by the helper shipped there.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { startSshd, sshdUnavailable, TestSshd } from '../support/sshd';
import { ipv4Frame } from '../support/packets';
import { screenshot } from './screenshot';
import { findAll, reveal, tree } from './tree';
import { activateExtension, waitFor, workspaceFile } from './util';
import { Command } from '../../src/extension/commands';

describe('SSH target (real sshd on 127.0.0.1)', function () {
  this.timeout(180_000);
  let sshd: TestSshd | undefined;
  let loaded: { handle: number; programs: Array<{ name: string; id: number }>; maps: Array<{ name: string; id: number }> } | undefined;
  const config = () => vscode.workspace.getConfiguration('ebpfWorkbench');

  before(async function () {
    const why = sshdUnavailable();
    if (why) {
      if (process.env.CI === 'true') throw new Error(why);
      this.skip();
    }
    await activateExtension();
    sshd = await startSshd();
  });

  after(async function () {
    // Other suites load objects with one target present: leave no SSH target behind.
    await config().update('sshTargets', undefined, vscode.ConfigurationTarget.Global);
    await config().update('ssh.configFile', undefined, vscode.ConfigurationTarget.Global);
    if (loaded) await vscode.commands.executeCommand(Command.unloadObject, loaded.handle).then(undefined, () => undefined);
    await sshd?.stop();
  });

  it('appears in the tree, connected, with the host maps and their live counts', async function () {
    // Load while "This machine" is the only target (Load Object asks which target otherwise).
    loaded = await vscode.commands.executeCommand(Command.loadObject, workspaceFile('packet_counter.bpf.c'));
    assert.ok(loaded, 'Load Object failed (see the output channel)');
    const map = loaded.maps.find((m) => m.name === 'packets_by_source')!;
    const prog = loaded.programs.find((p) => p.name === 'count_packets')!;
    for (const n of [1, 2, 3]) await vscode.commands.executeCommand(Command.testRun, { id: prog.id, dataIn: ipv4Frame(0x0a000100 + n) });

    await config().update('ssh.configFile', sshd!.clientConfig, vscode.ConfigurationTarget.Global);
    await config().update('sshTargets', ['ebpf-test'], vscode.ConfigurationTarget.Global);
    const target = await waitFor(
      'the SSH target to connect',
      async () => {
        const t = (await tree(true)).find((n) => n.label === 'ebpf-test');
        return t?.contextValue.startsWith('target.connected') ? t : undefined;
      },
      90_000,
    );
    assert.match(target.description ?? '', /^Linux \d+\.\d+/);

    const sshMapNode = async () =>
      findAll([(await tree()).find((n) => n.label === 'ebpf-test')!], (n) => n.kind === 'map' && n.id === map.id)[0];
    await waitFor(
      'the map with its count under the SSH target',
      async () => (await sshMapNode())?.description?.startsWith('3 / 16,384'),
      20_000,
    );

    // Run the program through the SSH target: the count follows live.
    for (const n of [4, 5])
      await vscode.commands.executeCommand(Command.testRun, {
        targetId: 'ssh:ebpf-test',
        id: prog.id,
        dataIn: ipv4Frame(0x0a000100 + n),
      });
    const node = await waitFor(
      'the live count to reach 5 under the SSH target',
      async () => {
        const n = await sshMapNode();
        return n?.description?.startsWith('5 / 16,384') ? n : undefined;
      },
      20_000,
    );
    await reveal(node.key);
    await screenshot('ssh-target-live-count', '5 / 16,384');
  });
});
