#!/usr/bin/env node
// Extracts the error messages the kernel's BPF selftests expect from a rejected program into
// test/fixtures/verifier-selftests/messages.json: `__msg("...")` (and `__msg_unpriv`) on programs
// marked `__failure` (`__failure_unpriv`) in tools/testing/selftests/bpf/progs/*.c, and `.errstr`
// (`.errstr_unpriv`) of REJECT tests in tools/testing/selftests/bpf/verifier/*.c. Only the message
// strings are kept (kernel output, data), deduplicated, each with the trees it came from.
//
// usage: node scripts/extract-selftest-messages.mjs <linux source dir>... > test/fixtures/verifier-selftests/messages.json
//   Debian: apt-get install linux-source-6.1 linux-source-6.12, then
//           tar -xJf /usr/src/linux-source-6.12.tar.xz --wildcards '*/tools/testing/selftests/bpf/progs/*' '*/tools/testing/selftests/bpf/verifier/*'
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: extract-selftest-messages.mjs <linux source dir>...');
  process.exit(2);
}

/** The C string literals ("a" "b" ...) starting at i, unescaped; undefined when none. */
function readStrings(src, i) {
  let out = '';
  let any = false;
  for (;;) {
    while (i < src.length && /\s/.test(src[i])) i++;
    if (src[i] !== '"') break;
    any = true;
    i++;
    while (i < src.length && src[i] !== '"') {
      if (src[i] === '\\') {
        const c = src[++i];
        out += c === 'n' ? '\n' : c === 't' ? '\t' : c;
      } else out += src[i];
      i++;
    }
    i++;
  }
  return any ? out : undefined;
}

const messages = new Map();
const add = (text, tree, file) => {
  const msg = text.trim();
  if (!msg) return;
  const m = messages.get(msg) ?? { message: msg, trees: new Set(), files: new Set() };
  m.trees.add(tree);
  m.files.add(file);
  messages.set(msg, m);
};

for (const dir of dirs) {
  const tree = path.basename(path.resolve(dir));
  const base = path.join(dir, 'tools/testing/selftests/bpf');
  const progs = path.join(base, 'progs');
  if (existsSync(progs))
    for (const f of readdirSync(progs).filter((x) => x.endsWith('.c'))) {
      const src = readFileSync(path.join(progs, f), 'utf8');
      // Each program's annotations sit between its SEC(...) and the opening brace of its body.
      for (const chunk of src.split(/\bSEC\(/).slice(1)) {
        const head = chunk.slice(0, chunk.indexOf('{') >= 0 ? chunk.indexOf('{') : chunk.length);
        const failPriv = /\b__failure\b/.test(head);
        const failUnpriv = /\b__failure_unpriv\b/.test(head);
        for (const m of head.matchAll(/\b__msg(_unpriv)?\s*\(/g)) {
          if (m[1] ? !failUnpriv : !failPriv) continue;
          const s = readStrings(head, m.index + m[0].length);
          if (s !== undefined) add(s, tree, `progs/${f}`);
        }
      }
    }
  const verifier = path.join(base, 'verifier');
  if (existsSync(verifier))
    for (const f of readdirSync(verifier).filter((x) => x.endsWith('.c'))) {
      const src = readFileSync(path.join(verifier, f), 'utf8');
      // One test per top-level `{ ... },` block.
      for (const block of src.split(/\n\{\n/).slice(1)) {
        for (const m of block.matchAll(/\.errstr(_unpriv)?\s*=\s*/g)) {
          const rejected = m[1] ? /\.result_unpriv\s*=\s*REJECT/.test(block) : /\.result\s*=\s*REJECT/.test(block);
          if (!rejected) continue;
          const s = readStrings(block, m.index + m[0].length);
          if (s !== undefined) add(s, tree, `verifier/${f}`);
        }
      }
    }
}

const out = [...messages.values()]
  .map((m) => ({ message: m.message, trees: [...m.trees].sort(), files: [...m.files].sort().slice(0, 3) }))
  .sort((a, b) => (a.message < b.message ? -1 : 1));
process.stdout.write(
  JSON.stringify(
    { generatedBy: 'scripts/extract-selftest-messages.mjs', kernelSources: dirs.map((d) => path.basename(path.resolve(d))), messages: out },
    null,
    1,
  ) + '\n',
);
