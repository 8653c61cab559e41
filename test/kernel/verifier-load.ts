// Compiles a broken fixture with real clang and loads it into the real kernel through the
// project's root helper, returning the text a user would see: libbpf's messages and the
// verifier log produced in this run. One function, so the loading path can be switched.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { LoadFailureDetails } from '../../src/protocol/types';
import { HelperClient, HelperClientError } from '../../src/core/connection/client';
import { startLocalHelper } from '../../src/core/connection/local';
import { analyzeLog, readLineInfo } from '../../src/core/verifier';
import { halfOf, mentionsAll, pct, type Half } from '../eval/verifier-eval';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

export const CLANG_ARGS = ['-g', '-O2', '-target', 'bpf', '-D__TARGET_ARCH_x86', '-I/usr/include/x86_64-linux-gnu'];

export class FixtureLoader {
  private readonly client: HelperClient = startLocalHelper({
    helperPath: path.join(ROOT, 'src/helper/main.ts'),
    nodeArgs: ['--import', 'tsx'],
  });
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'verifier-fixtures-'));

  /** A vmlinux.h for this kernel (bpftool from its BTF), for fixtures that use kernel types. */
  async vmlinuxHeader(): Promise<void> {
    const { stdout } = await run('bpftool', ['btf', 'dump', 'file', '/sys/kernel/btf/vmlinux', 'format', 'c'], { maxBuffer: 256 << 20 });
    writeFileSync(path.join(this.dir, 'vmlinux.h'), stdout);
  }

  /** clang's stderr when compilation fails (the test then analyzes that instead). */
  async compile(source: string, extraArgs: string[] = []): Promise<{ object?: string; stderr: string }> {
    source = path.resolve(source);
    const tag = extraArgs.length ? `-${extraArgs.join('').replace(/\W+/g, '_')}` : '';
    const object = path.join(this.dir, path.basename(source).replace(/\.c$/, `${tag}.o`));
    try {
      const { stderr } = await run('clang', [...CLANG_ARGS, ...extraArgs, '-I', this.dir, '-c', source, '-o', object], {
        cwd: path.dirname(source),
      });
      return { object, stderr };
    } catch (e) {
      return { stderr: String((e as { stderr?: string }).stderr ?? e) };
    }
  }

  /**
   * Loads the object; on rejection returns libbpf's log followed by the verifier log.
   * A program that loads is unloaded at once and reported as `loaded`.
   */
  async load(object: string, logLevel = 1): Promise<{ loaded: boolean; text: string }> {
    try {
      const res = await this.client.loadObject({ path: object, logLevel });
      await this.client.unloadObject(res.handle);
      return { loaded: true, text: [res.libbpfLog, ...res.programs.map((p) => p.log ?? '')].join('\n') };
    } catch (e) {
      if (!(e instanceof HelperClientError)) throw e;
      const d = e.data.details as LoadFailureDetails | undefined;
      return { loaded: false, text: d ? `${d.libbpfLog}\n${d.verifierLog}` : e.message };
    }
  }

  async close(): Promise<void> {
    await this.client.dispose();
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** The C sources and headers of a directory, by file name: what the decoder reads lines from. */
export function sourcesOf(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .filter((f) => /\.[ch]$/.test(f))
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')] as [string, string]),
  );
}

export interface ProgramScore {
  total: number;
  primary: number;
  withCause: number;
  cause: number;
  specific: number;
  caseSpecific: number;
  misses: string[];
}

const emptyScore = (): ProgramScore => ({ total: 0, primary: 0, withCause: 0, cause: 0, specific: 0, caseSpecific: 0, misses: [] });
const emptyHalves = (): Record<Half, ProgramScore> => ({ tune: emptyScore(), heldout: emptyScore() });

/** Scores of all programs, and of each set (`SET: n` in the fixture's header; set 1 has none). */
export interface ProgramScores {
  all: Record<Half, ProgramScore>;
  sets: Record<string, Record<Half, ProgramScore>>;
  /** Programs that loaded (compiled with other flags): not scored. */
  loaded: number;
}

/**
 * Loads every `*.bpf.c` of `dir` at log level 1 and scores the first finding against the fixture's
 * own expectations. `clangArgs` compiles them another way (`-mcpu=v3`); a program that then loads
 * is not broken that way and is left out (counted in `loaded`).
 */
export async function scorePrograms(
  loader: FixtureLoader,
  dir: string,
  sources: ReadonlyMap<string, string>,
  clangArgs: string[] = [],
  halves: readonly Half[] = ['tune', 'heldout'],
): Promise<ProgramScores> {
  const all = emptyHalves();
  const sets: Record<string, Record<Half, ProgramScore>> = {};
  let loaded = 0;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.bpf.c') && halves.includes(halfOf(f)))
    .sort();
  // clang is the slow part and needs no root: keep every core compiling a few programs ahead
  // while the loads, which share one helper, go one at a time in order.
  const ahead = availableParallelism() + 1;
  const builds: Promise<{ object?: string; stderr: string }>[] = [];
  for (const [i, file] of files.entries()) {
    for (let j = i; j < Math.min(files.length, i + ahead); j++) builds[j] ??= loader.compile(path.join(dir, files[j]), clangArgs);
    const source = readFileSync(path.join(dir, file), 'utf8');
    const lines = source.split('\n');
    const lineOf = (tag: string) => lines.findIndex((l) => new RegExp(String.raw`/\* EXPECT:[^*]*\b${tag}\b`).test(l)) + 1 || undefined;
    const ids = /CATALOG: ([\w -]+)/.exec(source)?.[1].trim().split(/\s+/) ?? [];
    const mention = /MENTION: (.+)/.exec(source)?.[1].trim().split(/\s+/) ?? [];
    const primary = lineOf('primary');
    const cause = lineOf('cause');
    const set = /\* SET: (\d+)/.exec(source)?.[1] ?? '1';
    const half = halfOf(file);
    const row = { total: 1, primary: 0, withCause: 0, cause: 0, specific: 0, caseSpecific: 0, misses: [] as string[] };
    const s = row;
    const built = await builds[i];
    let text = built.stderr;
    if (built.object) {
      const res = await loader.load(built.object, 1);
      if (res.loaded) {
        loaded++;
        continue;
      }
      text = res.text;
    }
    const lineInfo = built.object ? readLineInfo(readFileSync(built.object)) : undefined;
    const f = analyzeLog(text, { sources, lineInfo }).findings[0];
    const why: string[] = [];
    const here = f && f.file && path.basename(f.file) === file;
    if (here && f.line === primary) s.primary++;
    else why.push(`primary ${f?.file}:${f?.line}, expected ${primary}`);
    if (cause !== undefined) {
      s.withCause++;
      if (
        f &&
        (f.related.some((r) => r.line === cause && r.file && path.basename(r.file) === file) || (cause === primary && f.line === cause))
      )
        s.cause++;
      else why.push(`cause ${cause} not in ${JSON.stringify(f?.related.map((r) => r.line))}`);
    }
    if (f && ids.includes(f.catalogId ?? '')) s.specific++;
    else why.push(`entry ${f?.catalogId}`);
    if (f && mentionsAll(f, mention)) s.caseSpecific++;
    else why.push(`explanation lacks ${mention.join(' ')}`);
    if (why.length) s.misses.push(`${file}: ${why.join('; ')}`);
    for (const into of [all[half], (sets[set] ??= emptyHalves())[half]]) {
      for (const k of ['total', 'primary', 'withCause', 'cause', 'specific', 'caseSpecific'] as const) into[k] += row[k];
      into.misses.push(...row.misses);
    }
  }
  return { all, sets, loaded };
}

export function formatPrograms(h: Record<Half, ProgramScore>, heading = 'broken programs written by others:'): string {
  const rows = (['tune', 'heldout'] as Half[])
    .filter((k) => h[k].total > 0)
    .map((k) => {
      const s = h[k];
      return `  ${k.padEnd(8)} n=${String(s.total).padEnd(3)} primary at cause line ${pct(s.primary, s.total).padEnd(7)} root cause related ${pct(s.cause, s.withCause).padEnd(7)} specific ${pct(s.specific, s.total).padEnd(7)} case-specific ${pct(s.caseSpecific, s.total)}`;
    });
  return [heading, ...rows].join('\n');
}

/** Another common C style than the fixtures' kernel style: LLVM's, braces on lines of their own, return types above the name. */
export const OTHER_STYLE =
  '{BasedOnStyle: LLVM, BreakBeforeBraces: Allman, ColumnLimit: 90, ReflowComments: false, SortIncludes: false, AlwaysBreakAfterReturnType: TopLevelDefinitions}';

/**
 * A copy of the fixtures of `dir` rewritten by clang-format in OTHER_STYLE. The lines that carry
 * an `EXPECT:` label are kept as they are (clang-format off/on around each), so every label still
 * names one line; everything else is restyled. The caller removes the returned directory.
 */
export function restyledCopy(dir: string): string {
  const out = mkdtempSync(path.join(tmpdir(), 'verifier-restyled-'));
  const programs: string[] = [];
  for (const f of readdirSync(dir).filter((x) => /\.[ch]$/.test(x))) {
    const text = readFileSync(path.join(dir, f), 'utf8');
    if (!f.endsWith('.bpf.c')) {
      writeFileSync(path.join(out, f), text);
      continue;
    }
    const lines = text.split('\n');
    const kept = lines.flatMap((l, i) =>
      /\/\* EXPECT:/.test(l) && !/\\$/.test(lines[i - 1] ?? '') ? ['// clang-format off', l, '// clang-format on'] : [l],
    );
    writeFileSync(path.join(out, f), kept.join('\n'));
    programs.push(path.join(out, f));
  }
  execFileSync('clang-format', ['-i', `-style=${OTHER_STYLE}`, ...programs]);
  return out;
}
