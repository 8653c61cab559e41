// The decoder on material nobody on the team wrote (issue #9), scored on the held-out halves only
// (the tune halves may be looked at while improving it; see test/eval/verifier-eval.ts).
import * as assert from 'node:assert/strict';
import { formatSelftests, formatWild, scoreSelftestMessages, scoreWildLogs } from '../eval/verifier-eval';

describe('verifier decoder on held-out material from others', () => {
  it('logs from public issue threads: >= 94% with a finding at the real error line (target met), a specific entry (target 90% not met)', () => {
    const s = scoreWildLogs();
    console.log(formatWild(s));
    const h = s.heldout;
    assert.ok(h.total >= 40, `only ${h.total} held-out logs`);
    // Issue #9's target, met: >= 94% give a finding at the real error line.
    assert.ok(h.errorLine / h.total >= 0.94, `error line ${h.errorLine}/${h.total} (issue #9: >= 94%)`);
    // NOT MET: issue #9 asks for >= 90% with a specific entry. Measured 88.1% (59/67) on the
    // held-out half when this was written, 1.9 points (2 logs) short; this asserts the measured
    // value so a change that loses ground fails. It is not the target.
    assert.ok(h.specific / h.total >= 0.88, `specific entry ${h.specific}/${h.total} (issue #9 target 90%, measured 88.1%)`);
  });

  it('kernel selftest messages: >= 90% of the distinct messages map to a specific entry', () => {
    const s = scoreSelftestMessages();
    console.log(formatSelftests(s));
    assert.ok(s.heldout.total >= 200, `only ${s.heldout.total} held-out messages`);
    // Issue #9's target, met.
    assert.ok(s.heldout.specific / s.heldout.total >= 0.9, `specific ${s.heldout.specific}/${s.heldout.total} (issue #9: >= 90%)`);
  });
});
