// Bundles the extension, language server, root helper and CLI into dist/, and the
// in-editor test suite into out/test/vscode. Entries that do not exist yet are skipped.
// Committed generated sources (src/server/generated/) are not touched here: `npm run generate`
// makes them, and a unit test fails when they are stale.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { buildBpf } from './scripts/build-bpf.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'info',
  // vscode is provided by the host; koffi is a native module loaded from node_modules.
  external: ['vscode', 'koffi'],
};

const bundles = [
  { entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js' },
  { entryPoints: ['src/helper/main.ts'], outfile: 'dist/helper.js' },
  // The CLI streams huge logs with a small live set: a small young generation keeps its peak RSS
  // low (V8's default one alone is ~100 MB on big machines) at no cost in speed (bench/verifier).
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env -S node --max-semi-space-size=8' } },
].filter((b) => existsSync(b.entryPoints[0]));

const vscodeTests = existsSync('test/vscode')
  ? readdirSync('test/vscode')
      .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
      .map((f) => `test/vscode/${f}`)
  : [];
if (vscodeTests.length) {
  bundles.push({ entryPoints: vscodeTests, outdir: 'out/test/vscode', external: ['vscode', 'koffi', 'mocha'] });
}

// The helper's own BPF objects (map counting) ship prebuilt in dist/bpf.
buildBpf();

const contexts = await Promise.all(bundles.map((b) => esbuild.context({ ...common, ...b })));
if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
