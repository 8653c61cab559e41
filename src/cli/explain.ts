// `ebpf-workbench explain <log file | -> [--source DIR] [--object FILE.o] [--json]`: the verifier core on the
// command line. Reads the log as a stream (bounded memory for huge level-2 logs).
// Exit status: 0 no findings, 1 findings reported, 2 usage or read error.
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeStream, readLineInfo, type Analysis, type Finding } from '../core/verifier';
import { heatMain } from './heat';

const USAGE = 'usage: ebpf-workbench explain <log file | -> [--source DIR] [--object FILE.o] [--heat] [--json]';
const SOURCE_EXT = /\.(?:c|h)$/;
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'out', '.tools']);
const MAX_SOURCES = 2000;

interface Options {
  input: string;
  sourceDir?: string;
  /** The object that was loaded: its line info places instructions the log did not annotate. */
  object?: string;
  json: boolean;
  heat: boolean;
}

function parseArgs(args: string[]): Options | string {
  let input: string | undefined;
  let sourceDir: string | undefined;
  let object: string | undefined;
  let json = false;
  let heat = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--heat') heat = true;
    else if (a === '--source') {
      sourceDir = args[++i];
      if (!sourceDir) return '--source needs a directory';
    } else if (a.startsWith('--source=')) sourceDir = a.slice('--source='.length);
    else if (a === '--object') {
      object = args[++i];
      if (!object) return '--object needs a BPF object file';
    } else if (a.startsWith('--object=')) object = a.slice('--object='.length);
    else if (a === '-h' || a === '--help') return USAGE;
    else if (a.startsWith('--')) return `unknown option ${a}`;
    else if (input === undefined) input = a;
    else return `unexpected argument ${a}`;
  }
  if (input === undefined) return 'missing log file (use - for stdin)';
  return { input, sourceDir, object, json, heat };
}

/** C sources under `dir`, keyed by path relative to it, so findings name files relative to --source. */
function readSources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const ent of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      if (out.size >= MAX_SOURCES) return;
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory() && !SKIP_DIRS.has(ent.name)) walk(r);
      else if (ent.isFile() && SOURCE_EXT.test(ent.name)) out.set(r, readFileSync(path.join(dir, r), 'utf8'));
    }
  };
  walk('');
  return out;
}

/** The JSON shape of the issue: only these fields, in this order. */
function toJson(a: Analysis): string {
  const findings = a.findings.map((f) => ({
    severity: f.severity,
    message: f.message,
    file: f.file,
    line: f.line,
    title: f.title,
    explanation: f.explanation,
    fix: f.fix,
    catalogId: f.catalogId,
    related: f.related.map((r) => ({ file: r.file, line: r.line, message: r.message })),
  }));
  return JSON.stringify({ findings, truncated: a.truncated }, null, 2);
}

function toText(a: Analysis): string {
  if (a.findings.length === 0) {
    const failed = a.programs.filter((p) => p.failed).length;
    return `no verifier errors found (${a.programs.length} program log(s), ${failed} failed)${a.truncated ? '; the log is truncated' : ''}\n`;
  }
  const where = (file?: string, line?: number) => (file ? `${file}${line ? `:${line}` : ''}: ` : '');
  const block = (f: Finding) =>
    [
      `${where(f.file, f.line)}${f.severity}: ${f.title}${f.catalogId ? ` [${f.catalogId}]` : ''}`,
      `  verifier: ${f.message}`,
      f.sourceText ? `  at: ${f.sourceText}` : '',
      `  why: ${f.explanation}`,
      `  fix: ${f.fix}`,
      f.fixExample
        ? f.fixExample
            .split('\n')
            .map((l) => `      ${l}`)
            .join('\n')
        : '',
      ...f.related.map((r) => `  related: ${where(r.file, r.line)}${r.message}`),
      f.docsUrl ? `  docs: ${f.docsUrl}` : '',
    ]
      .filter(Boolean)
      .join('\n');
  return a.findings.map(block).join('\n\n') + (a.truncated ? '\n\nnote: the log is truncated; the error may be missing.' : '') + '\n';
}

export async function explainMain(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  if (typeof opts === 'string') {
    (opts === USAGE ? process.stdout : process.stderr).write(`${opts === USAGE ? '' : `explain: ${opts}\n`}${USAGE}\n`);
    return opts === USAGE ? 0 : 2;
  }
  let sources: Map<string, string> | undefined;
  try {
    if (opts.sourceDir) {
      if (!statSync(opts.sourceDir).isDirectory()) throw new Error(`${opts.sourceDir} is not a directory`);
      sources = readSources(opts.sourceDir);
    }
    const lineInfo = opts.object ? readLineInfo(readFileSync(opts.object)) : undefined;
    if (opts.object && !lineInfo)
      process.stderr.write(`explain: ${opts.object} has no BTF line info (build with -g); using the log's annotations\n`);
    const stream = opts.input === '-' ? process.stdin : createReadStream(opts.input);
    if (opts.heat) return await heatMain(stream, opts.json);
    const analysis = await analyzeStream(stream, { sources, lineInfo });
    process.stdout.write(opts.json ? `${toJson(analysis)}\n` : toText(analysis));
    return analysis.findings.length > 0 ? 1 : 0;
  } catch (e) {
    process.stderr.write(`explain: ${(e as Error).message}\n`);
    return 2;
  }
}
