// `ebpf-workbench run <prog id|name> [--data-in FILE] [--ctx-in FILE] [--repeat N] [--timeout MS] [--json]`:
// one BPF_PROG_TEST_RUN of a loaded program; Ctrl-C stops it in the helper.
import * as fs from 'node:fs';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { HelperClient } from '../core/connection/client';
import { parseArgs, positiveInt, UsageError } from './args';
import { printJson } from './output';
import { resolveProgram } from './resolve';

export async function runCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['data-in', 'ctx-in', 'repeat', 'timeout'] });
  if (args.positionals.length !== 1)
    throw new UsageError('usage: ebpf-workbench run <prog id|name> [--data-in FILE] [--ctx-in FILE] [--repeat N] [--timeout MS] [--json]');
  const id = await resolveProgram(client, args.positionals[0]);
  const read = (opt: string) => (args.options.has(opt) ? fs.readFileSync(args.options.get(opt)!).toString('base64') : undefined);
  const dataIn = read('data-in');
  const ctxIn = read('ctx-in');
  const repeat = args.options.has('repeat') ? positiveInt(args.options.get('repeat')!, '--repeat') : 1;
  const timeoutMs = args.options.has('timeout') ? positiveInt(args.options.get('timeout')!, '--timeout') : undefined;
  const cancel = new CancellationTokenSource();
  const onSignal = () => cancel.cancel();
  process.once('SIGINT', onSignal);
  let r;
  try {
    r = await client.testRun(
      {
        id,
        repeat,
        ...(dataIn !== undefined ? { dataIn } : {}),
        ...(ctxIn !== undefined ? { ctxIn } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      },
      cancel.token,
    );
  } finally {
    process.off('SIGINT', onSignal);
    cancel.dispose();
  }
  if (args.flags.has('json')) {
    printJson({ id, ...r });
    return 0;
  }
  const out = Buffer.from(r.dataOut, 'base64');
  process.stdout.write(`program ${id}: retval ${r.retval} (0x${(r.retval >>> 0).toString(16)}), ${r.durationNs} ns per run x${repeat}\n`);
  if (out.length)
    process.stdout.write(`data out (${out.length} bytes): ${out.subarray(0, 64).toString('hex')}${out.length > 64 ? '…' : ''}\n`);
  return 0;
}
