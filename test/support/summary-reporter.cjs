// Mocha reporter: the usual spec output, plus one JSON line of totals appended to
// $EBPF_TEST_SUMMARY so scripts/test.sh can print one "N passed, N failed" for all layers.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const layer = (options && options.reporterOptions && options.reporterOptions.layer) || process.env.EBPF_TEST_LAYER || 'tests';
    runner.once('end', () => {
      const file = process.env.EBPF_TEST_SUMMARY;
      if (!file) return;
      const s = this.stats;
      fs.appendFileSync(file, JSON.stringify({ layer, passed: s.passes, failed: s.failures, skipped: s.pending }) + '\n');
    });
  }
}
module.exports = SummaryReporter;
