// One "first view" of a huge verifier log, in its own process so its peak RSS is its own: index the
// file (read at positions, never held), open the stepper at the error, compute the heat map.
// Prints one JSON line. Bundled and run by bench/insight.bench.ts; `mode` picks what to measure.
import { readFileSync } from 'node:fs';
import { heatMap } from '../src/core/insight/heat';
import { indexLog, openFileSource } from '../src/core/insight/logIndex';
import { Stepper } from '../src/core/insight/stepper';
import { analyzeStream } from '../src/core/verifier';
import { createReadStream } from 'node:fs';

const peakMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  const t0 = performance.now();
  if (mode === 'insight') {
    const source = await openFileSource(file);
    const index = await indexLog(source);
    const tIndex = performance.now();
    const stepper = new Stepper(index, source);
    const at = stepper.initialStep()!;
    const view = await stepper.view(at);
    const tStep = performance.now();
    const program = index.programs[stepper.programOf(at)!.index];
    const heat = heatMap(index, program);
    const tHeat = performance.now();
    // Stepping back and forth near the error afterwards (what a user does next).
    const t = performance.now();
    for (let s = Math.max(program.firstStep, at - 20); s <= at; s++) await stepper.view(s);
    const stepMs = (performance.now() - t) / 21;
    await source.close();
    console.log(
      JSON.stringify({
        indexMs: tIndex - t0,
        stepperMs: tStep - tIndex,
        heatMs: tHeat - tStep,
        firstViewMs: tHeat - t0,
        stepMs,
        steps: index.stepOffset.length,
        error: view.error,
        hottest: heat.lines[0] && `${heat.lines[0].file}:${heat.lines[0].line}`,
        peakMb: peakMb(),
      }),
    );
  } else if (mode === 'analyze') {
    const a = await analyzeStream(createReadStream(file));
    console.log(JSON.stringify({ firstViewMs: performance.now() - t0, findings: a.findings.length, peakMb: peakMb() }));
  } else {
    // What a viewer that holds the text does: the whole file as lines.
    const lines = readFileSync(file, 'utf8').split('\n');
    const insns = lines.filter((l) => /^\d+: \(/.test(l)).length;
    console.log(JSON.stringify({ firstViewMs: performance.now() - t0, insns, peakMb: peakMb() }));
  }
}

void main();
