#!/usr/bin/env node
// Extracts the messages libbpf prints (pr_warn / pr_info / pr_debug format strings of src/*.c)
// from several released versions of libbpf into test/fixtures/verifier-libbpf/messages.json.
// Only the format strings are kept (loader output, data), deduplicated, each with its level, the
// versions and files it came from. Warnings are what a failed load prints; info and debug lines
// are what `-d`/verbose output mixes into the same log and must not be taken for the error.
//
// usage: node scripts/extract-libbpf-messages.mjs <libbpf git dir> <tag>... > test/fixtures/verifier-libbpf/messages.json
//   e.g. the snapshot of github.com/libbpf/libbpf: ... repo v0.0.9 v0.3 v0.8.0 v1.0.0 v1.3.0 v1.7.0
import { execFileSync } from 'node:child_process';

const [gitDir, ...tags] = process.argv.slice(2);
if (!gitDir || tags.length === 0) {
  console.error('usage: extract-libbpf-messages.mjs <libbpf git dir> <tag>...');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['--git-dir', gitDir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

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
for (const tag of tags) {
  const files = git('ls-tree', '--name-only', tag, 'src/')
    .split('\n')
    .filter((f) => f.endsWith('.c'));
  for (const file of files) {
    const src = git('show', `${tag}:${file}`);
    for (const m of src.matchAll(/\bpr_(warn|info|debug)\(/g)) {
      const format = readStrings(src, m.index + m[0].length)?.replace(/\n$/, '');
      if (!format || format.trim().length < 8) continue;
      const key = `${m[1]}\0${format}`;
      const e = messages.get(key) ?? { format, level: m[1], tags: new Set(), files: new Set() };
      e.tags.add(tag);
      e.files.add(file.replace(/^src\//, ''));
      messages.set(key, e);
    }
  }
}
const out = [...messages.values()]
  .map((e) => ({ format: e.format, level: e.level, tags: [...e.tags], files: [...e.files].sort() }))
  .sort((a, b) => (a.format < b.format ? -1 : a.format > b.format ? 1 : a.level < b.level ? -1 : 1));
console.log(
  JSON.stringify({ generatedBy: 'scripts/extract-libbpf-messages.mjs', source: 'github.com/libbpf/libbpf', tags, messages: out }, null, 1),
);
