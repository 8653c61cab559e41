// Entry point the VS Code extension host calls with --extensionTestsPath: runs every bundled
// *.test.js next to this file with mocha and resolves when they pass (rejects otherwise).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as util from 'node:util';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // The extension host's console.log does not apply printf-style formatting (mocha's output would
  // arrive with literal %s), and in code-server it reaches the runner only as workbench log lines
  // in the browser, mixed with the workbench's own: a tag on each line lets the runner pick ours.
  const tag = process.env.EBPF_TEST_CONSOLE_TAG ?? '';
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => {
    for (const line of util.format(...args).split('\n')) console.log(tag + line);
  };

  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 60_000,
    color: false,
    reporter: path.resolve(__dirname, '../../../test/support/summary-reporter.cjs'),
    reporterOptions: { layer: 'vscode' },
  });
  // workbench.test.js first: it checks that the manifest's activation events start the extension,
  // before any other test runs one of its commands (which would activate it anyway).
  const order = (f: string) => (f === 'workbench.test.js' ? '' : f);
  // EBPF_VSCODE_ONLY=insight runs workbench.test.js and the files whose names contain it (a developer's shortcut).
  const only = process.env.EBPF_VSCODE_ONLY;
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .filter((f) => !only || f === 'workbench.test.js' || f.includes(only));
  for (const file of files.sort((a, b) => order(a).localeCompare(order(b)))) {
    mocha.addFile(path.join(__dirname, file));
  }
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} test(s) failed in the VS Code extension host`);
}
