// `ebpf-workbench load <file.bpf.o> [--pin DIR] [--log-level N] [--json]`: loads an object and
// keeps it loaded until Ctrl-C, or pins it and exits. A verifier rejection prints the log.
import * as path from 'node:path';
import type { HelperClient } from '../core/connection/client';
import { HelperClientError } from '../core/connection/client';
import type { LoadFailureDetails } from '../protocol';
import { parseArgs, UsageError } from './args';
import { printJson, table } from './output';

export async function loadCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json'], options: ['pin', 'log-level'] });
  if (args.positionals.length !== 1)
    throw new UsageError('usage: ebpf-workbench load <file.bpf.o> [--pin /sys/fs/bpf/DIR] [--log-level 0-2] [--json]');
  const json = args.flags.has('json');
  const file = path.resolve(args.positionals[0]);
  const pinDir = args.options.get('pin');
  const logLevel = args.options.has('log-level') ? Number(args.options.get('log-level')) : undefined;
  let r;
  try {
    // By path, or sent as bytes to a helper on another machine (the transport knows which).
    r = await client.loadObjectFile(file, {
      ...(pinDir ? { pinDir: path.resolve(pinDir) } : {}),
      ...(logLevel !== undefined ? { logLevel } : {}),
    });
  } catch (e) {
    if (e instanceof HelperClientError && e.data.details && !json) {
      const d = e.data.details as LoadFailureDetails;
      if (d.verifierLog) process.stdout.write(d.verifierLog.endsWith('\n') ? d.verifierLog : d.verifierLog + '\n');
      else if (d.libbpfLog) process.stderr.write(d.libbpfLog);
      if (d.logTruncated) process.stderr.write('(the verifier log was truncated)\n');
    }
    throw e;
  }
  if (json) printJson(r);
  else {
    process.stdout.write(`loaded ${file}\n`);
    process.stdout.write(
      table(
        ['PROG ID', 'NAME', 'TYPE', 'SECTION', 'INSNS', 'VERIFIED'],
        r.programs.map((p) => [String(p.id), p.name, p.typeName, p.section, String(p.insnCount), String(p.verifiedInsns)]),
        [0, 4, 5],
      ) + '\n',
    );
    if (r.maps.length)
      process.stdout.write(
        table(
          ['MAP ID', 'NAME', 'TYPE', 'KEY', 'VALUE', 'MAX'],
          r.maps.map((m) => [String(m.id), m.name, m.typeName, String(m.keySize), String(m.valueSize), String(m.maxEntries)]),
          [0, 3, 4, 5],
        ) + '\n',
      );
  }
  if (pinDir) {
    if (!json) process.stdout.write(`pinned under ${path.resolve(pinDir)}: ${r.pinned.join(', ')}\n`);
    return 0;
  }
  if (!json) process.stdout.write('kept loaded until Ctrl-C\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    client.onDidExit(() => resolve());
  });
  return 0;
}
