// `load --attach`: attaches every program of a loaded object as its section says, with the places
// given on the command line (--iface, --cgroup, --direction, --xdp-mode, --binary, --function,
// --pid, --tracepoint). Programs that attach elsewhere (socket filters, syscall programs) are
// skipped with a note; one that misses what it needs fails the whole command with the option to add.
import type { HelperClient } from '../core/connection/client';
import type { AttachedLink, AttachTarget, LoadedProgram, XdpMode } from '../protocol';
import { attachPlan, type AttachNeed } from '../core/attach/sections';
import { UsageError, type Parsed } from './args';

export const ATTACH_OPTIONS = ['iface', 'cgroup', 'direction', 'xdp-mode', 'binary', 'function', 'pid', 'tracepoint'];

const OPTION_FOR: Record<AttachNeed, string> = {
  iface: '--iface NAME',
  cgroup: '--cgroup /sys/fs/cgroup/...',
  direction: '--direction ingress|egress',
  function: '--function NAME',
  binary: '--binary PATH',
  usdt: '(a usdt/PATH:PROVIDER:NAME section)',
  tracepoint: '--tracepoint CATEGORY:NAME',
  netfilter: '(netfilter hooks are not taken on the command line)',
};

export function targetFromArgs(args: Parsed): AttachTarget {
  const o = (k: string) => args.options.get(k);
  const t: AttachTarget = {};
  if (o('iface')) t.iface = o('iface');
  if (o('cgroup')) t.cgroup = o('cgroup');
  if (o('direction')) {
    if (o('direction') !== 'ingress' && o('direction') !== 'egress') throw new UsageError('--direction must be ingress or egress');
    t.direction = o('direction') as 'ingress' | 'egress';
  }
  if (o('xdp-mode')) {
    if (!['auto', 'driver', 'generic', 'offload'].includes(o('xdp-mode')!))
      throw new UsageError('--xdp-mode must be auto, driver, generic or offload');
    t.xdpMode = o('xdp-mode') as XdpMode;
  }
  if (o('binary')) t.binary = o('binary');
  if (o('function')) t.function = o('function');
  if (o('pid')) t.pid = Number(o('pid'));
  if (o('tracepoint')) t.tracepoint = o('tracepoint');
  return t;
}

/** Which target fields a need is satisfied by. */
function satisfied(need: AttachNeed, t: AttachTarget): boolean {
  return need === 'direction' || (need === 'netfilter' ? !!t.netfilter : need === 'usdt' ? !!t.usdt : !!t[need]);
}

export async function attachAll(
  client: HelperClient,
  programs: LoadedProgram[],
  target: AttachTarget,
  pinDir: string | undefined,
  note: (text: string) => void,
): Promise<AttachedLink[]> {
  // Check everything first, so that nothing is attached when one program lacks what it needs.
  const todo: LoadedProgram[] = [];
  for (const p of programs) {
    const plan = attachPlan(p.section);
    if (plan.kind === 'none') {
      note(`${p.name} (${p.section}) is not attached: ${plan.why}`);
      continue;
    }
    const missing = plan.needs.filter((n) => !satisfied(n, target));
    if (missing.length)
      throw new UsageError(`program ${p.name} (section ${p.section}) needs ${missing.map((n) => OPTION_FOR[n]).join(' and ')} to attach`);
    todo.push(p);
  }
  const links: AttachedLink[] = [];
  for (const p of todo) {
    const r = await client.attach({ id: p.id, ...target, ...(pinDir ? { pin: `${pinDir}/link_${p.name}` } : {}) });
    links.push(...r.links);
    for (const n of r.notes) note(n);
  }
  return links;
}
