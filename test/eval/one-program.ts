// Loads one broken fixture and prints the log tail and the decoder's first finding (a tuning aid
// for the tune half; run: node --import tsx test/eval/one-program.ts FILE [--log] [--log-only]).
// --log-only prints what the user would see without the decoder's finding, for labelling a new
// fixture before the decoder has been run on it.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { analyzeLog, readLineInfo } from '../../src/core/verifier';
import { FixtureLoader } from '../kernel/verifier-load';

async function main(): Promise<void> {
  const file = path.resolve(process.argv[2]);
  const dir = path.dirname(file);
  const sources = new Map(
    readdirSync(dir)
      .filter((f) => /\.[ch]$/.test(f))
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')] as [string, string]),
  );
  const loader = new FixtureLoader();
  try {
    await loader.vmlinuxHeader();
    const built = await loader.compile(file);
    let text = built.stderr;
    if (built.object) text = (await loader.load(built.object, Number(process.env.LEVEL ?? 1))).text;
    if (process.argv.includes('--log') || process.argv.includes('--log-only')) console.log(text);
    if (process.argv.includes('--log-only')) return;
    const lineInfo = built.object ? readLineInfo(readFileSync(built.object)) : undefined;
    for (const f of analyzeLog(text, { sources, lineInfo }).findings) {
      console.log(`${f.catalogId} ${f.file}:${f.line} ${f.message}\n  title: ${f.title}\n  explanation: ${f.explanation}\n  fix: ${f.fix}`);
      for (const r of f.related) console.log(`  related ${r.file}:${r.line} ${r.message}`);
    }
  } finally {
    await loader.close();
  }
}
void main();
