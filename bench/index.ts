// `npm run bench`: runs every bench/*.bench.ts in one process, so each prints ratios of
// methods measured side by side in the same run.
import { readdirSync } from 'node:fs';
import * as path from 'node:path';

/** Benches that run only when named (`npm run bench -- soak`): the soak takes 10 minutes. */
const ONLY_WHEN_NAMED = ['soak'];

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => (only.length === 0 ? !ONLY_WHEN_NAMED.some((o) => f.startsWith(o)) : only.some((o) => f.includes(o))))
    .sort();
  for (const f of files) {
    console.log(`\n## ${f.replace('.bench.ts', '')}\n`);
    const mod = await import(path.join(__dirname, f));
    await (mod.default ?? mod.run)();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
