// Runs the in-editor test suite through @vscode/test-electron: for desktops that can download
// VS Code (it cannot here; run-code-server.mjs runs the same suite in code-server). The VS Code
// download is cached in .tools/vscode-test.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { build, fail, prepareRun, root, testsEntry } from './prepare.mjs';

// @vscode/test-electron 3 needs Node 22+; use the project's Node 24 when it is installed.
if (Number(process.versions.node.split('.')[0]) < 22) {
  const node24 = path.join(root, '.tools/node24/bin/node');
  if (!fs.existsSync(node24)) {
    fail(
      'test:electron',
      `@vscode/test-electron needs Node 22 or newer (this is ${process.version}). Run: bash scripts/setup.sh --vscode, or use a newer node`,
    );
  }
  const r = spawnSync(node24, process.argv.slice(1), { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { runTests } = await import('@vscode/test-electron');

build('test:electron');
const { dirs, workspace, cleanup } = prepareRun();
let code = 1;
try {
  code = await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: testsEntry,
    cachePath: path.join(root, '.tools/vscode-test'),
    // The workspace first: VS Code opens it.
    launchArgs: [
      workspace,
      '--user-data-dir',
      dirs['user-data'],
      '--extensions-dir',
      dirs.extensions,
      '--disable-extensions',
      '--disable-telemetry',
    ],
    extensionTestsEnv: {
      EBPF_TEST_WORKSPACE: workspace,
      EBPF_TEST_LAYER: 'vscode',
    },
  });
} catch (e) {
  console.error(`test:electron: ${e instanceof Error ? e.message : e}`);
  console.error(
    'test:electron: VS Code could not be downloaded or started. Without internet access use: npm run test:vscode (code-server). On Linux without a display, run under xvfb-run.',
  );
} finally {
  cleanup();
}
console.log(`test:electron: ${code === 0 ? 'passed' : `failed (exit code ${code})`}`);
process.exit(code);
