#!/usr/bin/env node
// Extracts the message families of the BPF verifier from kernel sources (and libbpf's from its
// shared library) into src/core/verifier/families.json. A family is one format string of a
// verbose()/bpf_log()/btf_verifier_log*() call; calls followed by an error return are `error`
// families, the rest `info` (state dumps, progress). Fragments that continue a line started by a
// previous call are marked so the catalog test does not expect an entry for them.
//
// usage: node scripts/extract-verifier-families.mjs <linux source dir>... [--libbpf=libbpf.so] > src/core/verifier/families.json
//   Debian: apt-get install linux-source-6.1 linux-source-6.12, then
//           tar -xJf /usr/src/linux-source-6.12.tar.xz --wildcards 'linux-source-6.12/kernel/bpf/*'
// Several source trees may be given (old and new kernels); a family lists every tree it is in.
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const args = process.argv.slice(2);
const srcDirs = args.filter((a) => !a.startsWith('--'));
const libbpfSo = args.find((a) => a.startsWith('--libbpf='))?.slice('--libbpf='.length) ?? '/usr/lib/x86_64-linux-gnu/libbpf.so.1';
if (srcDirs.length === 0) {
  console.error('usage: extract-verifier-families.mjs <linux source dir>... [--libbpf=libbpf.so]');
  process.exit(2);
}

// Files whose log calls reach a user loading a program, and the logging functions they use.
const FILES = ['kernel/bpf/verifier.c', 'kernel/bpf/log.c', 'kernel/bpf/btf.c'];
const CALLS =
  /\b(verbose|verbose_linfo|bpf_log|bpf_verifier_log_write|btf_verifier_log|btf_verifier_log_type|btf_verifier_log_member|btf_verifier_log_vsi|__btf_verifier_log)\s*\(/g;
// Functions that only print state, never an error.
const PRINTERS =
  /^(print_verifier_state|print_bpf_insn|print_insn_state|print_liveness|verbose_insn|print_bpf_end_insn|mark_precise|bt_|__mark_chain_precision|mark_chain_precision|backtrack_insn|btf_type_show|btf_.*_show|btf_.*_log|print_reg_state|print_scalar_ranges|verbose_invalid_scalar|print_verification_stats|verbose_linfo|bpf_vlog|__print_|print_)/;

/** Reads a C string-literal sequence starting at i ("a" "b" ...). Returns [text, end] or undefined. */
function readStrings(src, i) {
  let out = '';
  let any = false;
  for (;;) {
    while (/\s/.test(src[i])) i++;
    if (src[i] !== '"') break;
    any = true;
    i++;
    while (i < src.length && src[i] !== '"') {
      if (src[i] === '\\') {
        const n = src[i + 1];
        out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
        i += 2;
      } else out += src[i++];
    }
    i++;
  }
  return any ? [out, i] : undefined;
}

/** Finds the first string-literal argument of the call whose '(' is at `open`. */
function callFormat(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth === 0) return undefined;
    } else if (c === '"' && depth === 1) return readStrings(src, i);
    else if (c === "'") i += src[i + 1] === '\\' ? 3 : 2;
  }
  return undefined;
}

function enclosingFunction(src, at) {
  const before = src.lastIndexOf('\n{', at);
  if (before < 0) return '';
  const head = src.slice(Math.max(0, before - 300), before);
  const m = /(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*$/.exec(head);
  return m ? m[1] : '';
}

const families = [];
const seen = new Map(); // key -> family, to record every tree a family appears in
for (const srcDir of srcDirs) {
  const tree = path.basename(path.resolve(srcDir));
  for (const rel of FILES) {
    const file = path.join(srcDir, rel);
    if (!existsSync(file)) continue;
    const src = readFileSync(file, 'utf8');
    let prevEnd = -1;
    let prevOpenLine = false; // the previous call left its line open for a continuation
    for (const m of src.matchAll(CALLS)) {
      const open = m.index + m[0].length - 1;
      const fmt = callFormat(src, open);
      if (!fmt) continue;
      const [format, end] = fmt;
      const lineNo = src.slice(0, m.index).split('\n').length;
      const fn = enclosingFunction(src, m.index);
      // An error family: an error code is produced right after the message.
      const after = src
        .slice(end, end + 600)
        .split('\n')
        .slice(0, 8)
        .join('\n');
      const isError =
        /return -E|= -E|return false|return -1|return err|goto (?:err|out|fail)|return ret;|-EINVAL|-EACCES|-EFAULT|-ENOTSUPP|-EOPNOTSUPP|-E2BIG|-EPERM/.test(
          after,
        );
      // A continuation: the previous call in the same neighbourhood did not end its line.
      const gap = src.slice(prevEnd, m.index);
      const logsType = /^btf_verifier_log_(type|member|vsi)$/.test(m[1]);
      const fragment = !logsType && prevOpenLine && prevEnd >= 0 && gap.split('\n').length <= 6 && !/\n\}\n/.test(gap);
      prevEnd = end;
      // A line prefix such as verbose_linfo's "%d: " (no words) does not make the next call a continuation.
      const words = format.replace(/%[-+ #0-9.*]*[lhzjt]*[a-zA-Z]/g, '');
      prevOpenLine = !format.endsWith('\n') && !logsType && m[1] !== 'verbose_linfo' && /[A-Za-z]{2}/.test(words);
      const text = format.replace(/\n$/, '');
      if (!/[A-Za-z]{2}/.test(text.replace(/%[-+ #0-9.*]*[lhzjt]*[a-zA-Z]/g, ''))) continue; // only conversions
      // Progress lines the heuristic would take for errors: they print before an early return.
      const progress = /^(?:Validating |%d: safe|frame %d: propagating|func#%d @%d|cur state:|Cannot find btf of tracepoint template)/.test(
        text,
      );
      const kind = PRINTERS.test(fn) || progress ? 'info' : isError ? 'error' : 'info';
      const key = `${m[1].startsWith('btf_verifier_log') ? 'btf:' : ''}${text}`;
      if (seen.has(key)) {
        seen.get(key).trees.push(tree);
        continue;
      }
      const family = {
        format: text,
        source: `${tree}/${rel}:${lineNo}`,
        trees: [tree],
        function: fn,
        call: m[1],
        kind,
        ...(fragment ? { fragment: true } : {}),
        // btf_verifier_log_type/member prefix the message with "[type id] KIND name".
        ...(/^btf_verifier_log_(type|member|vsi)$/.test(m[1]) ? { printedAfter: '[id] KIND name' } : {}),
      };
      seen.set(key, family);
      families.push(family);
    }
  }
}

// libbpf: format strings of warnings a user of a BPF object meets (relocations, CO-RE, maps,
// externs, program load), read from the shared library's string table.
if (existsSync(libbpfSo)) {
  const strings = execFileSync('strings', ['-n', '12', libbpfSo], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
  const USER_FACING =
    /(?:failed to|can't|cannot|unsupported|unrecognized|not found|invalid|doesn't|missing|mismatch|is not|BEGIN PROG LOAD LOG|failed to resolve CO-RE)/i;
  const TOPIC = /\b(?:relo|CO-RE|extern|map '%s'|prog '%s'|kfunc|ksym|kconfig|license|kern_version|BTF|struct_ops|section|sec)\b/i;
  for (const s of strings) {
    if (!s.startsWith('libbpf: ') || (!s.includes('%') && !USER_FACING.test(s))) continue;
    const text = s.slice('libbpf: '.length).replace(/\\n$|\n$/, '');
    if (!USER_FACING.test(text) || !TOPIC.test(text)) continue;
    // API misuse, the static linker, struct_ops internals and USDT: not errors in a program's C code.
    if (/^(?:Error in|bpf_|elf|ELF|gelf|failed to (?:alloc|mmap|open|get|create a|pin)|\S+\(\))/.test(text)) continue;
    if (
      /struct_ops|^sec %s|failed to (?:create|write|append|init section|add consolidated|parse final|iterate|find new ID)|^global '|^usdt|invalid section '%s', expected SEC\("usdt|^Ignore ELF|endianness|BTF info for|find symbol for variable|can't find section|unrecognized section #|failed to find matching ELF|relocation against STT_SECTION|target program|Failed to get BTF|prog's BTF|BPF program \(FD|exceeds INT16|failed to load module|record size|section header is not found|not aligned|BTF.ext header|BTF.ext magic|BTF.ext (?:version|flags)|Invalid BTF (?:magic|total|data|string)|BTF header not found|failed to alloc memory|failed to allocate memory/.test(
        text,
      )
    )
      continue;
    if (seen.has(`libbpf:${text}`)) continue;
    seen.set(`libbpf:${text}`, true);
    families.push({ format: text, source: path.basename(libbpfSo), function: '', call: 'pr_warn', kind: 'error', origin: 'libbpf' });
  }
}

process.stdout.write(
  JSON.stringify(
    {
      generatedBy: 'scripts/extract-verifier-families.mjs',
      kernelSources: srcDirs.map((d) => path.basename(path.resolve(d))),
      families,
    },
    null,
    1,
  ) + '\n',
);
