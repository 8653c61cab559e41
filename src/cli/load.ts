// `ebpf-workbench load <file.bpf.o> [--attach [--iface NAME] [--cgroup PATH] ...] [--pin DIR] [--log-level N] [--json]`:
// loads an object and keeps it loaded (and with --attach, attached) until Ctrl-C or SIGTERM, then
// detaches and unloads; or pins it (and its links) and exits. A verifier rejection prints the log.
import * as path from 'node:path';
import type { HelperClient } from '../core/connection/client';
import { HelperClientError } from '../core/connection/client';
import type { LoadFailureDetails } from '../protocol';
import { parseArgs, UsageError } from './args';
import { ATTACH_OPTIONS, attachAll, targetFromArgs } from './attach';
import { printJson, table, untilInterrupted } from './output';

export async function loadCommand(client: HelperClient, argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ['json', 'attach'], options: ['pin', 'log-level', ...ATTACH_OPTIONS] });
  if (args.positionals.length !== 1)
    throw new UsageError(
      'usage: ebpf-workbench load <file.bpf.o> [--attach [--iface NAME] [--cgroup PATH] [--direction ingress|egress] [--xdp-mode M] [--binary PATH] [--function NAME] [--pid N]] [--pin /sys/fs/bpf/DIR] [--log-level 0-2] [--json]',
    );
  const json = args.flags.has('json');
  const attach = args.flags.has('attach');
  const target = targetFromArgs(args);
  if (!attach && Object.keys(target).length) throw new UsageError('--iface, --cgroup and the other attach options go with --attach');
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
  if (attach) {
    const pinned = pinDir ? path.resolve(pinDir) : undefined;
    const links = await attachAll(client, r.programs, target, pinned, (n) => process.stderr.write(`note: ${n}\n`));
    // One line, as soon as everything is attached: scripts wait for it.
    if (json)
      process.stdout.write(
        JSON.stringify({ attached: links.map((l) => ({ program: l.program, id: l.programId, link: l.linkId, target: l.target })) }) + '\n',
      );
    else {
      process.stdout.write(`loaded ${file}\n`);
      process.stdout.write(
        table(
          ['PROGRAM', 'PROG ID', 'LINK', 'TYPE', 'ATTACHED TO'],
          links.map((l) => [l.program, String(l.programId), String(l.linkId), l.type, l.target]),
          [1, 2],
        ) + '\n',
      );
    }
    if (pinned) {
      if (!json)
        process.stdout.write(`pinned under ${pinned}: ${[...r.pinned, ...links.map((l) => l.pinned!)].join(', ')}; they stay attached\n`);
      return 0;
    }
    if (!json) process.stdout.write('attached until Ctrl-C (then detached and unloaded)\n');
    await untilInterrupted(client);
    return 0;
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
  await untilInterrupted(client);
  return 0;
}
