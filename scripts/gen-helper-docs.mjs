#!/usr/bin/env node
// Generates the BPF helper documentation the language server shows on hover, from libbpf's
// bpf_helper_defs.h (itself generated from the kernel's include/uapi/linux/bpf.h). Run explicitly
// with `npm run generate` (never by the build); the output is committed so a checkout without
// libbpf-dev still type-checks and builds, and test/unit/server-helperDocs.test.ts fails when it is
// stale for this machine's header.
//
//   node scripts/gen-helper-docs.mjs [header] [output.json]
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_HEADER = '/usr/include/bpf/bpf_helper_defs.h';
export const DEFAULT_OUTPUT = resolve(dirname(fileURLToPath(import.meta.url)), '../src/server/generated/helperDocs.json');

// `static long (*bpf_x)(args) = (void *) 1;` and libbpf >= 1.3's `(* const bpf_x)`.
const DECLARATION = /^static\s+(.+?)\(\s*\*\s*(?:const\s+)?(\w+)\s*\)\s*\((.*)\)\s*=\s*\(void\s*\*\)\s*(\d+)\s*;/;

/**
 * Parses bpf_helper_defs.h: each helper is a comment block (name, description, "Returns")
 * followed by a function-pointer declaration. Returns helpers keyed by name.
 * @param {string} text
 * @returns {Record<string, {id: number, signature: string, description: string, returns: string}>}
 */
export function parseHelperDefs(text) {
  const helpers = {};
  const lines = text.split('\n');
  let comment = null;
  for (const line of lines) {
    if (line.startsWith('/*')) {
      comment = [];
      continue;
    }
    if (comment && line.startsWith(' */')) {
      continue;
    }
    if (comment && line.startsWith(' *')) {
      comment.push(line.slice(2));
      continue;
    }
    const m = DECLARATION.exec(line);
    if (m) {
      const [, returnType, name, args, id] = m;
      const ret = returnType.trim();
      const signature = `${ret}${ret.endsWith('*') ? '' : ' '}${name}(${args.trim()})`;
      const { description, returns } = comment ? docFromComment(comment, name) : { description: '', returns: '' };
      helpers[name] = { id: Number(id), signature, description, returns };
    }
    if (!line.startsWith(' *')) comment = null;
  }
  return helpers;
}

/** Splits a helper's comment into description and "Returns" sections, as Markdown. */
function docFromComment(commentLines, name) {
  // Drop the leading " name" line and blank lines around it.
  const body = [...commentLines];
  while (body.length && (body[0].trim() === '' || body[0].trim() === name)) body.shift();
  const at = body.findIndex((l) => l.trim() === 'Returns' && !l.startsWith('\t') && !l.startsWith(' \t'));
  const description = at >= 0 ? body.slice(0, at) : body;
  const returns = at >= 0 ? body.slice(at + 1) : [];
  return { description: rstToMarkdown(description), returns: rstToMarkdown(returns) };
}

/** The kernel's helper docs are reStructuredText indented by tabs; VS Code hovers render Markdown. */
export function rstToMarkdown(lines) {
  const depthOf = (l) => /^ ?(\t*)/.exec(l)[1].length;
  const out = [];
  let paragraph = [];
  let literal = false;
  const flush = () => {
    // reST's trailing `\` escapes the line break: `**x**\` + `()` is `**x**()`.
    if (paragraph.length) out.push(paragraph.join(' ').replace(/\\ /g, ''));
    paragraph = [];
  };
  for (const raw of lines) {
    const depth = depthOf(raw);
    const text = raw.trim();
    if (literal) {
      if (text === '' || depth >= 2) {
        if (text === '' && out[out.length - 1] === '```') continue;
        out.push(text === '' ? '' : `${'    '.repeat(Math.max(0, depth - 2))}${raw.replace(/^ ?\t*/, '')}`);
        continue;
      }
      while (out.length && out[out.length - 1] === '') out.pop();
      out.push('```', '');
      literal = false;
    }
    if (text === '') {
      flush();
      if (out.length && out[out.length - 1] !== '') out.push('');
      continue;
    }
    if (text === '::' || text.endsWith('::')) {
      const lead = text === '::' ? '' : text.slice(0, -1);
      if (lead) paragraph.push(inline(lead));
      flush();
      out.push('', '```');
      literal = true;
      continue;
    }
    if (depth >= 2 && text.startsWith('* ')) {
      // An indented bullet list ("In the above:" followed by "* item").
      flush();
      out.push(`- ${inline(text.slice(2))}`);
      continue;
    }
    if (depth >= 2) {
      // The body of a definition-list item: attach it to the term above as a list entry.
      flush();
      const last = out[out.length - 1];
      if (last !== undefined && last !== '' && !last.startsWith('- ') && !last.startsWith('  ')) {
        out[out.length - 1] = `- ${last}`;
        out.push(`  ${inline(text)}`);
      } else if (last !== undefined && (last.startsWith('- ') || last.startsWith('  '))) {
        out[out.length - 1] = `${last} ${inline(text)}`;
      } else {
        out.push(`  ${inline(text)}`);
      }
      continue;
    }
    paragraph.push(inline(text));
  }
  flush();
  if (literal) {
    while (out.length && out[out.length - 1] === '') out.pop();
    out.push('```');
  }
  return out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** rst inline markup: `**x**\ ()` becomes `**x**()`, escaped asterisks stay literal. */
function inline(text) {
  return text.replace(/\\ /g, '').replace(/\\\//g, '/').replace(/\\\*/g, '\\*');
}

/** Regenerates the JSON when the header exists and the output differs; returns what it did. */
export function generateHelperDocs(header = DEFAULT_HEADER, output = DEFAULT_OUTPUT) {
  if (!existsSync(header)) {
    console.error(`gen-helper-docs: ${header} not found (install libbpf-dev); ${output} is unchanged.`);
    return 'missing-header';
  }
  const helpers = parseHelperDefs(readFileSync(header, 'utf8'));
  const json = `${JSON.stringify({ generatedFrom: header, helpers }, null, 1)}\n`;
  if (existsSync(output) && readFileSync(output, 'utf8') === json) {
    console.log(`gen-helper-docs: ${output} is up to date`);
    return 'unchanged';
  }
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, json);
  console.log(`gen-helper-docs: ${Object.keys(helpers).length} helpers from ${header} -> ${output}`);
  return 'written';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (generateHelperDocs(process.argv[2], process.argv[3]) === 'missing-header') process.exitCode = 1;
}
