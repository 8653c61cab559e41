// What both in-editor test runners (code-server and @vscode/test-electron) need before VS Code
// starts: a fresh bundle, and a throwaway folder with clean user settings and a copy of the
// example workspace, so tests can build into it without dirtying the repo.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const results = path.join(root, 'test-results');
export const testsEntry = path.join(root, 'out/test/vscode/index.js');

export const userSettings = {
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'telemetry.telemetryLevel': 'off',
};

export function fail(prefix, msg) {
  console.error(`${prefix}: ${msg}`);
  process.exit(1);
}

/** Bundles the extension and the tests (a stale bundle would test old code; it takes a second). */
export function build(prefix) {
  const r = spawnSync(process.execPath, [path.join(root, 'esbuild.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) fail(prefix, 'the build (node esbuild.mjs) failed, see above');
  if (!fs.existsSync(testsEntry)) fail(prefix, `${path.relative(root, testsEntry)} was not built; does test/vscode/index.ts exist?`);
}

/** A fresh temp folder with user-data/ (clean settings), extensions/, config/, data/, cache/ and
 *  workspace/ (a copy of bpf/examples without build output). Call cleanup() at the end. */
export function prepareRun() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpf-vscode-test-'));
  const dirs = Object.fromEntries(['user-data', 'extensions', 'config', 'data', 'cache'].map((d) => [d, path.join(tmp, d)]));
  Object.values(dirs).forEach((d) => fs.mkdirSync(d, { recursive: true }));
  fs.mkdirSync(path.join(dirs['user-data'], 'User'));
  fs.writeFileSync(path.join(dirs['user-data'], 'User/settings.json'), JSON.stringify(userSettings, null, 2));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(path.join(root, 'bpf/examples'), workspace, {
    recursive: true,
    filter: (src) => !/(\.bpf\.o|\/build|\/\.output)$/.test(src),
  });
  // Only our own old results: other layers' files (summary.jsonl) live there too.
  fs.mkdirSync(results, { recursive: true });
  for (const f of fs.readdirSync(results)) {
    if (f.endsWith('.png') || f === 'vscode-logs' || f === 'code-server.log')
      fs.rmSync(path.join(results, f), { recursive: true, force: true });
  }
  return { tmp, dirs, workspace, cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }) };
}
