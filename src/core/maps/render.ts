// How the "Programs & Maps" tree looks: each node of a TargetModel as a label, a description, a
// Markdown tooltip, an icon and a context value (which drives the menus), as plain text with no
// vscode import, so the same output feeds the tree, the tests and the benchmark. Tooltips of maps
// and programs are functions: built on hover only.
import {
  attachmentsText,
  attachmentText,
  flagsText,
  formatBytes,
  formatDuration,
  formatInt,
  formatMicros,
  formatRate,
  mapDescription,
  md,
  methodText,
  percent,
  plural,
  RINGBUF_TYPES,
} from './format';
import type { MapState, ModelNode, NodeKind, TargetModel } from './model';

export interface NodeView {
  label: string;
  description?: string;
  /** Markdown; a function when it is costly to build (maps, programs): built only on hover. */
  tooltip?: string | (() => string);
  /** A file in media/ without extension (e.g. "map-hash"), or a codicon name prefixed with "$". */
  icon?: string;
  contextValue: string;
  collapsible: 'none' | 'collapsed' | 'expanded';
}

/** A node as plain data (the API's tree snapshot, tests, bug reports). */
export interface SnapshotNode {
  key: string;
  kind: NodeKind;
  label: string;
  id?: number;
  description?: string;
  tooltip?: string;
  contextValue: string;
  children?: SnapshotNode[];
}

export class NodeRenderer {
  constructor(readonly model: TargetModel) {}

  view(n: ModelNode): NodeView {
    switch (n.kind) {
      case 'target':
        return this.targetView();
      case 'group':
        return this.groupView(n);
      case 'object':
        return this.objectView(n);
      case 'program':
        return this.programView(n);
      case 'map':
        return this.mapView(n);
      case 'message':
        return this.messageView();
      case 'link':
        return this.linkView(n);
    }
  }

  /** A BPF link under its program: what it attaches to, and whether it is pinned. */
  private linkView(n: ModelNode): NodeView {
    const progId = n.parent?.ref as number;
    const s = this.model.program(progId);
    const a = s?.attachments?.find((x) => x.linkId === n.ref);
    const own = !!this.model.ownerOf('program', progId);
    if (!a) return { label: `link #${n.ref}`, contextValue: 'link', collapsible: 'none', icon: '$link' };
    const pinned = !!a.pinned?.length;
    return {
      label: a.target ?? a.type,
      description: `${a.type} · link #${a.linkId}${pinned ? ' · pinned' : ''}`,
      tooltip: () =>
        [
          `**${md(attachmentText(a, s?.typeName))}** — ${a.type} link #${a.linkId} of ${md(s?.name ?? `prog ${progId}`)}`,
          '',
          pinned
            ? `Pinned at ${a.pinned!.map((p) => `\`${p}\``).join(', ')}: it stays attached after unload until the pin is removed.`
            : own
              ? 'Made by this extension: detached when its object is unloaded (pin it to keep it).'
              : 'Made by another tool: it lives as long as that tool (or its pin) keeps it.',
        ].join('\n'),
      icon: pinned ? '$pinned' : '$link',
      contextValue: `link${own ? '.own' : ''}${pinned ? '.pinned' : ''}`,
      collapsible: 'none',
    };
  }

  private targetView(): NodeView {
    const s = this.model.state;
    const base = { label: this.model.label, icon: '$vm', collapsible: 'expanded' as const };
    switch (s.kind) {
      case 'starting':
        return {
          ...base,
          icon: '$loading~spin',
          description: 'starting helper…',
          contextValue: 'target.starting',
          tooltip: `**${this.model.label}**\n\nStarting the root helper${s.how ? ` (${s.how})` : ''}.`,
        };
      case 'connected': {
        const h = s.hello;
        const caps = Object.entries(h.capabilities)
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(', ');
        return {
          ...base,
          description: `Linux ${h.kernelRelease}`,
          contextValue: `target.connected${this.model.statsEnabled ? '.stats' : ''}`,
          tooltip: [
            `**${this.model.label}** — connected`,
            '',
            `| | |`,
            `|---|---|`,
            `| Kernel | ${md(h.kernelRelease)} (${h.arch}) |`,
            `| Helper | ${h.helperVersion}, pid ${h.pid}, uid ${h.uid}${s.how ? `, ${md(s.how)}` : ''} |`,
            `| libbpf | ${h.libbpfVersion} |`,
            `| Capabilities | ${caps || 'none'} |`,
            `| BPF stats | ${this.model.statsEnabled ? 'on' : 'off'} |`,
            ...Object.entries(h.notes).map(([k, v]) => `| ${k} | ${md(String(v))} |`),
          ].join('\n'),
        };
      }
      case 'needs-privileges':
        return {
          ...base,
          icon: s.title && s.title !== 'needs privileges' ? '$warning' : '$lock',
          description: s.title ?? 'needs privileges',
          contextValue: 'target.needsPrivileges',
          tooltip: `**${this.model.label}** — ${s.title ?? 'needs privileges'}\n\n${md(s.message)}${s.fix ? `\n\n${md(s.fix)}` : ''}\n\nClick the message or use Restart Helper to try again.`,
        };
      case 'disconnected':
        return {
          ...base,
          icon: '$debug-disconnect',
          description: 'helper disconnected',
          contextValue: 'target.disconnected',
          tooltip: `**${this.model.label}** — helper disconnected\n\n${md(s.message)}${s.retryInMs ? `\n\nRetrying in ${Math.round(s.retryInMs / 1000)} s.` : ''}`,
        };
    }
  }

  private messageView(): NodeView {
    const s = this.model.state;
    if (s.kind === 'needs-privileges')
      return {
        label: s.message,
        description: s.fix,
        tooltip: `${md(s.message)}\n\n${md(s.fix ?? '')}`,
        icon: '$warning',
        contextValue: 'message.needsPrivileges',
        collapsible: 'none',
      };
    if (s.kind === 'disconnected')
      return {
        label: 'Helper is not running',
        description: s.message.split('\n')[0],
        tooltip: md(s.message),
        icon: '$error',
        contextValue: 'message.disconnected',
        collapsible: 'none',
      };
    return { label: 'Starting the helper…', icon: '$loading~spin', contextValue: 'message', collapsible: 'none' };
  }

  private groupView(n: ModelNode): NodeView {
    if (n.ref === 'workspace') {
      const maps = this.model.loadedObjects.reduce((k, o) => k + o.maps.length, 0);
      return {
        label: 'This workspace',
        description: this.model.loadedObjects.length
          ? `${plural(this.model.loadedObjects.length, 'object')}, ${plural(maps, 'map')}`
          : 'nothing loaded',
        tooltip:
          'Objects this extension loaded (eBPF: Load Object). They stay loaded while the helper runs; unload them from their context menu.',
        icon: '$folder-library',
        contextValue: 'group.workspace',
        collapsible: 'expanded',
      };
    }
    if (n.ref === 'host') {
      return {
        label: 'All on host',
        description: `${plural(this.model.hostProgramCount(), 'program')}, ${plural(this.model.hostMapCount(), 'map')}`,
        tooltip:
          "Every program in the kernel with the maps it uses; maps no program uses are listed at the end. The helper's own counting program is not shown.",
        icon: '$server',
        contextValue: 'group.host',
        collapsible: 'collapsed',
      };
    }
    const unused = this.model.unusedMapIds().length;
    return {
      label: 'Maps no program uses',
      description: String(unused),
      tooltip: 'Maps held open by a process or pinned, with no program referencing them.',
      icon: '$symbol-array',
      contextValue: 'group.unused',
      collapsible: 'collapsed',
    };
  }

  private objectView(n: ModelNode): NodeView {
    const o = this.model.loadedObjects.find((x) => x.handle === n.ref);
    if (!o) return { label: 'unloaded', contextValue: 'object', collapsible: 'none' };
    const base = o.objectPath.split('/').pop() ?? o.objectPath;
    return {
      label: base,
      description: `${plural(o.programs.length, 'program')}, ${plural(o.maps.length, 'map')}`,
      tooltip: [
        `**${md(base)}** — loaded by this extension (handle ${o.handle})`,
        '',
        `Object: \`${o.objectPath}\``,
        o.sourcePath ? `\n\nSource: \`${o.sourcePath}\`` : '',
        o.pinned.length ? `\n\nPinned: ${o.pinned.map((p) => `\`${p}\``).join(', ')}` : '',
      ].join(''),
      icon: '$package',
      contextValue: 'object.own',
      collapsible: 'expanded',
    };
  }

  private programView(n: ModelNode): NodeView {
    const id = n.ref as number;
    const r = this.model.programState(id);
    const owner = this.model.ownerOf('program', id);
    const loaded = owner?.programs.find((p) => p.id === id);
    const s = r?.summary;
    const name = loaded?.name || s?.name || `prog ${id}`;
    const typeName = s?.typeName ?? loaded?.typeName ?? '';
    const attach = loaded?.section;
    const links = s?.attachments ?? [];
    const parts = [typeName];
    if (links.length) parts.push(attachmentsText(typeName, links));
    else if (attach && attach !== typeName) parts.push(attach);
    if (r?.rate) parts.push(formatRate(r.rate));
    else if (this.model.statsEnabled && s?.runCount !== undefined) parts.push(`${formatInt(s.runCount)} runs`);
    const tooltip = () => {
      const lines = [
        `**${md(name)}** — ${typeName} program, id ${id}${owner ? ' · loaded by this extension' : ''}`,
        '',
        '| | |',
        '|---|---|',
        links.length
          ? `| Attached | ${links.map((a) => `${md(attachmentText(a))} (link #${a.linkId}${a.pinned?.length ? `, pinned at ${a.pinned.map((p) => `\`${p}\``).join(', ')}` : ''})`).join('<br>')} |`
          : `| Attached | no BPF link${attach ? ` — section \`${md(attach)}\`` : ''} (netlink XDP/tc and legacy cgroup attachments have no link) |`,
        `| Pinned | ${s?.pinned?.length ? s.pinned.map((p) => `\`${p}\``).join('<br>') : 'no'} |`,
      ];
      if (s) {
        lines.push(
          `| Tag | \`${s.tag}\` |`,
          `| Instructions | ${formatInt(s.xlatedLen / 8)} translated, ${formatInt(s.jitedLen)} B JITed${s.verifiedInsns ? `, ${formatInt(s.verifiedInsns)} verified` : ''} |`,
          `| Memlock | ${formatBytes(s.memlock)} |`,
          `| BTF | ${s.btfId ? `id ${s.btfId}` : 'none'} |`,
          `| Loaded by uid | ${s.uid} |`,
          `| Maps | ${s.mapIds.length ? s.mapIds.map((m) => `${md(this.model.mapName(m))} (#${m})`).join(', ') : 'none'} |`,
        );
        if (s.runCount !== undefined) {
          lines.push(
            `| Runs | ${formatInt(s.runCount)} total, ${formatDuration(s.runCount ? (s.runTimeNs ?? 0) / s.runCount : 0)} average |`,
          );
          if (r?.rate)
            lines.push(
              `| Last interval | ${formatInt(Math.round(r.rate.runsPerSecond))} runs/s, ${formatDuration(r.rate.avgRunNs)} per run, ${r.rate.cpuPercent.toFixed(2)}% of one CPU |`,
            );
        } else {
          lines.push('| Run statistics | off (toggle BPF stats in the view title) |');
        }
      }
      return lines.join('\n');
    };
    return {
      label: name,
      description: parts.filter(Boolean).join(' · '),
      tooltip,
      icon: programIcon(typeName),
      contextValue: owner ? 'program.own' : 'program',
      collapsible: links.length ? 'expanded' : n.parent?.kind === 'object' || !s?.mapIds.length ? 'none' : 'collapsed',
    };
  }

  private mapView(n: ModelNode): NodeView {
    const id = n.ref as number;
    const r = this.model.map(id);
    const owner = this.model.ownerOf('map', id);
    const loaded = owner?.maps.find((m) => m.id === id);
    const s = r?.summary;
    const name = this.model.mapName(id);
    const typeName = s?.typeName ?? r?.count?.typeName ?? loaded?.typeName ?? '';
    const maxEntries = s?.maxEntries ?? r?.count?.maxEntries ?? loaded?.maxEntries ?? 0;
    const pinned = this.model.pinsOf(id).length > 0;
    return {
      label: name,
      description: mapDescription(typeName, maxEntries, r?.count, r?.ringbuf),
      tooltip: () => this.mapTooltip(id, name, typeName, maxEntries, r),
      icon: mapIcon(typeName),
      // ".events": a ring buffer or perf event array (the events view applies).
      contextValue: `map${owner ? '.own' : ''}${pinned ? '.pinned' : ''}${typeName === 'ringbuf' || typeName === 'perf_event_array' ? '.events' : ''}`,
      collapsible: 'none',
    };
  }

  private mapTooltip(id: number, name: string, typeName: string, maxEntries: number, r: MapState | undefined): string {
    const s = r?.summary;
    const c = r?.count;
    const lines = [`**${md(name)}** — ${typeName} map, id ${id}`, '', '| | |', '|---|---|'];
    if (RINGBUF_TYPES.has(typeName)) {
      const rb = r?.ringbuf;
      lines.push(`| Ring | ${formatBytes(maxEntries)} |`);
      lines.push(
        rb
          ? `| Pending | ${formatBytes(rb.available)} (producer ${formatInt(rb.producerPos)}, consumer ${formatInt(rb.consumerPos)}) |`
          : '| Pending | not read yet |',
      );
    } else if (c && 'count' in c) {
      lines.push(
        `| Elements | ${formatInt(c.count)} of ${formatInt(maxEntries)}${maxEntries ? ` (${percent(c.count, maxEntries)})` : ''} |`,
      );
      lines.push(
        `| Counted | ${c.exact ? '**exact**' : '**walked** (may drift while the map changes)'} — ${methodText(c.method)}, ${formatMicros(c.micros)} |`,
      );
    } else if (c && 'error' in c) {
      lines.push(`| Elements | n/a |`, `| Counted | n/a — ${md(c.error)} |`);
    } else {
      lines.push(`| Elements | not counted yet |`);
    }
    if (s) {
      lines.push(
        `| Key / value | ${formatBytes(s.keySize)} / ${formatBytes(s.valueSize)} |`,
        `| Max entries | ${formatInt(s.maxEntries)} |`,
        `| Flags | ${flagsText(s.flags)} |`,
        `| Memlock | ${formatBytes(s.memlock)} |`,
        `| BTF | ${s.btfId ? `id ${s.btfId} (key type ${s.btfKeyTypeId}, value type ${s.btfValueTypeId})` : 'none (contents shown as hex)'} |`,
        `| Programs | ${s.programIds.length ? s.programIds.map((p) => `${md(this.model.program(p)?.name ?? '?')} (#${p})`).join(', ') : 'none'} |`,
      );
    }
    const pins = this.model.pinsOf(id);
    lines.push(`| Pinned | ${pins.length ? pins.map((p) => `\`${p}\``).join('<br>') : 'no'} |`);
    return lines.join('\n');
  }

  /** The whole tree as plain data. */
  snapshot(): SnapshotNode {
    const walk = (n: ModelNode): SnapshotNode => {
      const v = this.view(n);
      const children = this.model.children(n).map(walk);
      const out: SnapshotNode = { key: n.key, kind: n.kind, label: v.label, contextValue: v.contextValue };
      if (typeof n.ref === 'number') out.id = n.ref;
      if (v.description !== undefined) out.description = v.description;
      if (v.tooltip !== undefined) out.tooltip = typeof v.tooltip === 'function' ? v.tooltip() : v.tooltip;
      if (children.length) out.children = children;
      return out;
    };
    return walk(this.model.root);
  }
}

export function mapIcon(typeName: string): string {
  if (typeName.includes('ringbuf') || typeName === 'perf_event_array') return 'map-ringbuf';
  if (typeName.endsWith('of_maps')) return 'map-of-maps';
  if (typeName.includes('lru')) return 'map-lru';
  if (typeName.includes('hash')) return 'map-hash';
  if (typeName.includes('array')) return 'map-array';
  if (typeName === 'lpm_trie') return 'map-trie';
  if (typeName === 'queue' || typeName === 'stack') return 'map-queue';
  return 'map-other';
}

export function programIcon(typeName: string): string {
  if (typeName === 'xdp') return 'prog-xdp';
  if (/^(tracing|tracepoint|raw_tracepoint|kprobe|perf_event|lsm)/.test(typeName)) return 'prog-trace';
  if (/^(sched_|socket|cgroup_skb|sk_|lwt|flow|netfilter|sock_ops|cgroup_sock)/.test(typeName)) return 'prog-net';
  return 'prog-other';
}
