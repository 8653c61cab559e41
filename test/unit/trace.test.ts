// The trace console's pure parts: tracing-pipe lines (real lines of this kernel, with and without
// the tgid and irq-info columns), line splitting across reads, and linking a printed line to the
// bpf_printk call in the source whose format string produced it.
import * as assert from 'node:assert/strict';
import { findPrintkSites, formatPattern, matchPrintkSite } from '../../src/core/trace/printkSites';
import { LineSplitter, parseTraceLine } from '../../src/core/trace/traceLine';

describe('tracing pipe lines', () => {
  it('parses comm, pid, cpu, timestamp and text of the formats the kernel prints', () => {
    // Captured from this machine's /sys/kernel/tracing/trace_pipe (Linux 6.18).
    assert.deepEqual(
      parseTraceLine('            node-18758   [000] ...11  2443.875499: bpf_trace_printk: ebpfwb-test emit seq=0 pid=4242'),
      {
        source: 'pipe',
        pid: 18758,
        comm: 'node',
        cpu: 0,
        timestamp: 2443.875499,
        text: 'ebpfwb-test emit seq=0 pid=4242',
      },
    );
    const marker = parseTraceLine('           <...>-7019    [000] ...1.  1794.353117: tracing_mark_write: hello-marker')!;
    assert.equal(marker.comm, '<...>');
    assert.equal(marker.event, 'tracing_mark_write');
    // record-tgid on; irq-info off; a comm with dashes, digits and a space.
    const tgid = parseTraceLine(' kworker/0:1-ev-123     (    120) [003]  99.5: bpf_trace_printk: a: b')!;
    assert.deepEqual([tgid.comm, tgid.pid, tgid.cpu, tgid.timestamp, tgid.text], ['kworker/0:1-ev', 123, 3, 99.5, 'a: b']);
    const spaced = parseTraceLine('   Web Content-31337 [001] d..2.  5.000001: bpf_trace_printk: x')!;
    assert.deepEqual([spaced.comm, spaced.pid], ['Web Content', 31337]);
    assert.equal(parseTraceLine('CPU:1 [LOST 42 EVENTS]'), undefined);
  });

  it('splits reads into lines, carrying a partial line to the next read', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('a\nb'), ['a']);
    assert.deepEqual(s.push('c\n\nd\n'), ['bc', 'd']);
    assert.deepEqual(s.push(''), []);
  });
});

describe('bpf_printk sites', () => {
  const src = [
    '#include "vmlinux.h"',
    'SEC("tp/sched/sched_process_exec")',
    'int on_exec(void *ctx) {',
    '\tbpf_printk("exec pid=%d comm=%s\\n", pid, comm);',
    '\tbpf_printk("drop %pI4:%u " "(%x)", &addr, port, flags);',
    '\tbpf_printk("%s", msg);',
    '\tchar fmt[] = "legacy %llu%%";',
    '\tbpf_trace_printk(fmt, sizeof(fmt), n);',
    '\tbpf_stream_printk(BPF_STDOUT, "stream %d\\n", 3);',
    '}',
  ].join('\n');
  const sites = findPrintkSites(src);

  it('finds every call with a literal or named format, at its line', () => {
    assert.deepEqual(
      sites.map((s) => [s.line, s.format]),
      [
        [3, 'exec pid=%d comm=%s\n'],
        [4, 'drop %pI4:%u (%x)'],
        [5, '%s'],
        [7, 'legacy %llu%%'],
        [8, 'stream %d\n'],
      ],
    );
    assert.equal(sites[0].column, 1);
  });

  it('links a printed line to the most specific format that produced it', () => {
    assert.equal(matchPrintkSite(sites, 'exec pid=42 comm=bash')?.line, 3);
    assert.equal(matchPrintkSite(sites, 'drop 10.0.0.1:80 (1f)')?.line, 4);
    assert.equal(matchPrintkSite(sites, 'legacy 18446744073709551615%')?.line, 7);
    assert.equal(matchPrintkSite(sites, 'stream 3')?.line, 8);
    assert.equal(matchPrintkSite(sites, 'something else entirely')?.line, 5, 'only the bare %s matches');
    assert.equal(matchPrintkSite(sites.slice(0, 2), 'unrelated'), undefined);
  });

  it('turns widths, lengths and pointer extensions into patterns', () => {
    assert.ok(formatPattern('%-8s|%5d|%08llx|%c').pattern.test('ab      |   42|0000beef|z'));
    assert.ok(formatPattern('%pI6 %pks').pattern.test('fe80::1 kernel string'));
    assert.ok(!formatPattern('n=%d').pattern.test('n=abc'));
  });
});
