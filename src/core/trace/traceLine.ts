// Lines of the kernel's tracing pipe (tracefs trace_pipe), parsed into who printed what:
//
//            <...>-7019    [000] ...1.  1794.353117: bpf_trace_printk: exec 7019
//     kworker/0:1-42       (     42) [001] d..2. 12.000001: bpf_trace_printk: hi
//
// comm-pid, an optional tgid column (option record-tgid), [cpu], optional irq/preempt flags
// (option irq-info), the timestamp of the trace clock, the event name and its text.
// bpf_printk() output is the event bpf_trace_printk; other tracers can write to the same pipe.
import type { TraceLine } from '../../protocol/types';

const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S{4,6})\s+)?(\d+(?:\.\d+)?):\s+([\w:.-]+?):\s?(.*)$/;

/** One pipe line (without its newline) as a TraceLine; undefined for lines that are not events. */
export function parseTraceLine(line: string): TraceLine | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  const out: TraceLine = {
    source: 'pipe',
    pid: Number(m[2]),
    comm: m[1].trim(),
    cpu: Number(m[3]),
    timestamp: Number(m[5]),
    text: m[7],
  };
  if (m[6] !== 'bpf_trace_printk') out.event = m[6];
  return out;
}

/** Splits a chunk read from the pipe into whole lines, carrying a partial last line over. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    // A runaway line without newline must not grow without bound.
    if (this.rest.length > 64 * 1024) {
      lines.push(this.rest);
      this.rest = '';
    }
    return lines.filter((l) => l.length > 0);
  }
}
