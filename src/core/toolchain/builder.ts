// Compiles *.bpf.c into BPF objects with clang: incremental (depfile + command stamp),
// bounded parallelism, diagnostics resolved to absolute source positions. No vscode import:
// the command, the task provider, the CLI and the tests share it.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClangDiagnostic, findFunctionDefinition, parseClangOutput } from './clangDiagnostics';
import { commandStamp, parseDepfile, withCommandStamp } from './depfile';
import { bpfCompileFlags } from './flags';
import { hintFor, looksLikeBpfC } from './hints';
import { checkClang } from './toolchain';

export interface BuildOptions {
  clangPath: string;
  extraFlags?: readonly string[];
  /** Searched before the system headers; the workspace folder (vmlinux.h) belongs here. */
  includeDirs?: readonly string[];
  /** Output folder; undefined puts each object next to its source. */
  outputDir?: string;
  /** Rebuild even when the object is up to date. */
  force?: boolean;
  signal?: AbortSignal;
  /** Called with each clang invocation's command line and output as it finishes. */
  onOutput?: (source: string, command: readonly string[], output: string) => void;
}

/** A clang diagnostic with absolute paths and a position even when clang gave none. */
export interface BuildDiagnostic {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
  hint?: string;
  option?: string;
  related: { file: string; line: number; column: number; message: string }[];
  fixIts: { file: string; start: { line: number; column: number }; end: { line: number; column: number }; text: string }[];
}

export interface BuildResult {
  source: string;
  object: string;
  status: 'built' | 'up-to-date' | 'failed';
  diagnostics: BuildDiagnostic[];
  command: string[];
  output: string;
  millis: number;
}

export function objectPathFor(source: string, outputDir?: string): string {
  const base = path.basename(source).replace(/\.c$/, '') + '.o';
  return path.join(outputDir ?? path.dirname(source), base);
}

export function clangCommand(source: string, object: string, options: BuildOptions): string[] {
  const includeDirs = [path.dirname(source), ...(options.includeDirs ?? [])];
  return [
    ...bpfCompileFlags([...new Set(includeDirs)], options.extraFlags),
    // Keep clang's crash reproducers out of /tmp: the message itself is what the user needs.
    '-fno-crash-diagnostics',
    '-fdiagnostics-parseable-fixits',
    '-fno-color-diagnostics',
    '-MD',
    '-MF',
    `${object}.d`,
    '-c',
    source,
    '-o',
    object,
  ];
}

export async function buildAll(sources: readonly string[], options: BuildOptions): Promise<BuildResult[]> {
  await checkClang(options.clangPath);
  if (options.outputDir) await fs.mkdir(options.outputDir, { recursive: true });
  const results: BuildResult[] = new Array(sources.length);
  let next = 0;
  const worker = async () => {
    while (next < sources.length && !options.signal?.aborted) {
      const i = next++;
      results[i] = await buildOne(sources[i], options);
    }
  };
  const parallel = Math.max(1, Math.min(os.availableParallelism?.() ?? os.cpus().length, sources.length));
  await Promise.all(Array.from({ length: parallel }, worker));
  return results.filter(Boolean);
}

async function buildOne(source: string, options: BuildOptions): Promise<BuildResult> {
  const started = Date.now();
  const object = objectPathFor(source, options.outputDir);
  const command = clangCommand(source, object, options);
  const text = await fs.readFile(source, 'utf8');
  const notBpf: BuildDiagnostic[] = looksLikeBpfC(text)
    ? []
    : [
        {
          file: source,
          line: 1,
          column: 1,
          severity: 'warning',
          message: 'No SEC(...) in this file: the object will hold no BPF programs or maps for libbpf to load.',
          hint: 'Mark each program with SEC("<type>/<attach point>") and each map with SEC(".maps") (from bpf/bpf_helpers.h), or rename the file if it is user-space C.',
          related: [],
          fixIts: [],
        },
      ];

  if (!options.force && (await isUpToDate(object, command))) {
    return { source, object, status: 'up-to-date', diagnostics: notBpf, command, output: '', millis: Date.now() - started };
  }

  const { code, output } = await runClang(options.clangPath, command, path.dirname(source), options.signal);
  options.onOutput?.(source, command, output);
  const diagnostics = [...notBpf, ...resolveDiagnostics(parseClangOutput(output), source, text)];
  if (code === 0) {
    const depfile = await fs.readFile(`${object}.d`, 'utf8').catch(() => '');
    await fs.writeFile(`${object}.d`, withCommandStamp(depfile, command));
  } else if (!diagnostics.some((d) => d.severity === 'error')) {
    // clang failed without a message we could place: show its output rather than nothing.
    diagnostics.push({
      file: source,
      line: 1,
      column: 1,
      severity: 'error',
      message: `clang exited with ${code}: ${output.trim().split('\n').slice(-3).join(' ') || 'no output'}`,
      related: [],
      fixIts: [],
    });
  }
  return { source, object, status: code === 0 ? 'built' : 'failed', diagnostics, command, output, millis: Date.now() - started };
}

async function isUpToDate(object: string, command: readonly string[]): Promise<boolean> {
  try {
    const [objectStat, depfile] = await Promise.all([fs.stat(object), fs.readFile(`${object}.d`, 'utf8')]);
    if (commandStamp(depfile) !== JSON.stringify(command)) return false;
    const deps = parseDepfile(depfile);
    if (deps.length === 0) return false;
    const stats = await Promise.all(deps.map((d) => fs.stat(d)));
    return stats.every((s) => s.mtimeMs <= objectStat.mtimeMs);
  } catch {
    return false; // missing object, depfile or dependency: build
  }
}

function runClang(clangPath: string, args: string[], cwd: string, signal?: AbortSignal): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(clangPath, args, { cwd, signal, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (!error) return resolve({ code: 0, output });
      const code = typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1;
      resolve({ code, output: output || error.message });
    });
  });
}

function resolveDiagnostics(diagnostics: ClangDiagnostic[], source: string, sourceText: string): BuildDiagnostic[] {
  const cwd = path.dirname(source);
  const abs = (f: string) => (path.isAbsolute(f) ? f : path.resolve(cwd, f));
  return diagnostics
    .filter((d) => d.severity !== 'note')
    .map((d) => {
      let position = d.position && d.position.file !== '<unknown>' ? { ...d.position, file: abs(d.position.file) } : undefined;
      const related = d.notes.map((n) => ({ ...n, file: abs(n.file) }));
      // An error inside a system header is the user's #include: show it there, the header as related.
      const include = d.includedFrom[0] && { ...d.includedFrom[0], file: abs(d.includedFrom[0].file) };
      if (position && include && include.file === source && position.file !== source) {
        related.unshift({ ...position, message: 'the error is in this header' });
        position = include;
      }
      if (!position && d.functionName) {
        const def = findFunctionDefinition(sourceText, d.functionName);
        if (def) position = { file: source, ...def };
      }
      return {
        file: position?.file ?? source,
        line: position?.line ?? 1,
        column: position?.column ?? 1,
        severity: d.severity === 'error' || d.severity === 'warning' ? d.severity : 'info',
        message: d.functionName && position ? `${d.message} (in function ${d.functionName})` : d.message,
        hint: hintFor(d.message),
        option: d.option,
        related,
        fixIts: d.fixIts.map((f) => ({ ...f, file: abs(f.file) })),
      } satisfies BuildDiagnostic;
    });
}
