// Prints the decoder's scores on the held-out evaluation sets (see test/eval/verifier-eval.ts).
// usage: node --import tsx scripts/verifier-eval.ts [--misses]
import {
  formatFramings,
  formatLibbpf,
  formatSelftests,
  formatWild,
  scoreFramings,
  scoreLibbpfMessages,
  scoreSelftestMessages,
  scoreWildLogs,
} from '../test/eval/verifier-eval';

const wild = scoreWildLogs();
const self = scoreSelftestMessages();
console.log(formatWild(wild));
console.log(formatSelftests(self));
console.log(formatLibbpf(scoreLibbpfMessages()));
console.log(formatFramings(scoreFramings()));
if (process.argv.includes('--misses')) {
  const half = process.argv.includes('--heldout') ? 'heldout' : 'tune';
  console.log(`\nmisses (${half}):\n  ${wild[half].misses.join('\n  ')}`);
  console.log(`\nselftest misses (${half}):\n  ${self[half].misses.join('\n  ')}`);
}
