// "eBPF: Show Trace": a terminal "eBPF Trace (<target>)" per target with the bpf_printk output of
// every program on that host (the kernel's tracing pipe, streamed by the target's helper), plus the
// BPF streams of the programs this workspace loaded there (Linux 6.17+). Each line shows its CPU,
// comm and pid; a line whose text matches a bpf_printk format string of a workspace source ends with
// a link to that call. The helper reads the pipe only while the terminal is open: closing it stops
// the reading, which matters because the pipe is global and has one reader at a time.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TraceLine } from '../protocol';
import type { HelperSubscription } from '../core/connection/client';
import { findPrintkSites, matchPrintkSite, type PrintkSite } from '../core/trace/printkSites';
import { Command } from './commands';
import type { Ctx } from './ctx';
import type { Target } from './targets';

/** Lines kept per console for the API (tests) — the terminal itself keeps its own scrollback. */
const KEPT_LINES = 2000;
const DIM = '\x1b[2m';
const CYAN = '\x1b[36m';
const YELLOW = '\x1b[33m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';
const LINK_MARK = ' ← ';

interface Site extends PrintkSite {
  uri: vscode.Uri;
}

/** bpf_printk calls of the workspace's *.bpf.c, kept current as files change. */
class PrintkIndex implements vscode.Disposable {
  private readonly byFile = new Map<string, Site[]>();
  private scanned?: Promise<void>;
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/*.bpf.c');

  constructor() {
    this.watcher.onDidChange((u) => void this.read(u));
    this.watcher.onDidCreate((u) => void this.read(u));
    this.watcher.onDidDelete((u) => this.byFile.delete(u.fsPath));
  }

  private async read(uri: vscode.Uri): Promise<void> {
    try {
      const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
      this.byFile.set(
        uri.fsPath,
        findPrintkSites(text).map((s) => ({ ...s, uri })),
      );
    } catch {
      this.byFile.delete(uri.fsPath);
    }
  }

  ready(): Promise<void> {
    this.scanned ??= (async () => {
      const files = await vscode.workspace.findFiles('**/*.bpf.c', '**/node_modules/**', 500);
      await Promise.all(files.map((f) => this.read(f)));
    })();
    return this.scanned;
  }

  /** The call that printed `text`; sources loaded on the target win over other workspace files. */
  match(text: string, preferred: readonly string[]): Site | undefined {
    for (const file of preferred) {
      const hit = matchPrintkSite(this.byFile.get(file) ?? [], text);
      if (hit) return hit;
    }
    return matchPrintkSite([...this.byFile.values()].flat(), text);
  }

  dispose(): void {
    this.watcher.dispose();
  }
}

export interface TraceConsoleState {
  targetId: string;
  open: boolean;
  /** The notes the helper gave (pipe is global, ...), and the lines shown, without colors. */
  notes: string[];
  lines: string[];
}

class TraceConsole {
  readonly terminal: vscode.Terminal;
  private readonly writer = new vscode.EventEmitter<string>();
  private pipe?: HelperSubscription<unknown>;
  private streams?: HelperSubscription<unknown>;
  private streamIds = '';
  private readonly kept: string[] = [];
  private notes: string[] = [];
  private opened = false;
  private closed = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Link text shown in the terminal → where it points. */
  readonly links = new Map<string, { uri: vscode.Uri; line: number; column: number }>();

  constructor(
    private readonly target: Target,
    private readonly index: PrintkIndex,
    private readonly log: vscode.LogOutputChannel,
    onClose: () => void,
  ) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writer.event,
      open: () => {
        this.opened = true;
        void this.start();
      },
      close: () => {
        this.closed = true;
        void this.stop();
        onClose();
      },
    };
    this.terminal = vscode.window.createTerminal({
      name: `eBPF Trace (${target.label})`,
      pty,
      iconPath: new vscode.ThemeIcon('debug-console'),
    });
    this.subscriptions.push(
      target.model.onDidChangeObjects(() => void this.followStreams()),
      target.onDidChangeState((s) => {
        if (s.kind === 'connected' && this.opened && !this.closed && !this.pipe) void this.start();
      }),
    );
  }

  private print(text: string, plain = text): void {
    this.writer.fire(text.replace(/\r?\n/g, '\r\n') + '\r\n');
    this.kept.push(plain);
    if (this.kept.length > KEPT_LINES) this.kept.splice(0, this.kept.length - KEPT_LINES);
  }

  private async start(): Promise<void> {
    await this.index.ready();
    let client;
    try {
      client = await this.target.ready();
    } catch (e) {
      this.print(`${RED}cannot reach the helper: ${(e as Error).message}${RESET}`, `cannot reach the helper: ${(e as Error).message}`);
      return;
    }
    try {
      const sub = await client.subscribeTrace(
        {},
        {
          onBatch: (b) => this.show(b.lines, b.dropped),
          onEnd: (why) => {
            this.pipe = undefined;
            this.streams = undefined;
            this.streamIds = '';
            this.print(`${YELLOW}— ${why}; reading again when the helper is back —${RESET}`, `— ${why} —`);
          },
        },
      );
      if (this.closed) {
        await sub.dispose();
        return;
      }
      this.pipe = sub;
      this.notes = sub.result.notes;
      this.print(
        `${DIM}Reading ${sub.result.pipe} on ${this.target.label}. Close this terminal to stop.${RESET}`,
        `Reading ${sub.result.pipe} on ${this.target.label}.`,
      );
      for (const n of sub.result.notes) this.print(`${DIM}Note: ${n}.${RESET}`, `Note: ${n}.`);
      await this.followStreams();
    } catch (e) {
      const fix = (e as { data?: { fix?: string } }).data?.fix;
      const msg = `${(e as Error).message}`;
      this.print(`${RED}${msg}${RESET}${fix && !msg.includes(fix) ? `\r\n${fix}` : ''}`, msg);
      this.log.warn(`${this.target.label}: trace: ${msg}`);
    }
  }

  /** Reads the BPF streams of the programs this workspace loaded on the target (when the kernel has them). */
  private async followStreams(): Promise<void> {
    if (!this.pipe || this.closed) return;
    const ids = this.target.model.loadedObjects.flatMap((o) => o.programs.map((p) => p.id));
    const key = ids.join(',');
    if (key === this.streamIds) return;
    this.streamIds = key;
    const old = this.streams;
    this.streams = undefined;
    await old?.dispose();
    if (ids.length === 0) return;
    try {
      const client = await this.target.ready();
      const sub = await client.subscribeTrace({ pipe: false, programs: ids }, { onBatch: (b) => this.show(b.lines, 0) });
      if (!sub.result.streams) {
        await sub.dispose();
        return;
      }
      this.streams = sub;
    } catch (e) {
      this.log.debug(`${this.target.label}: BPF streams: ${(e as Error).message}`);
    }
  }

  private dropped = 0;

  private show(lines: TraceLine[], dropped: number): void {
    const preferred = this.target.model.loadedObjects.map((o) => o.sourcePath).filter((p): p is string => !!p);
    for (const l of lines) {
      const site = this.index.match(l.text, preferred);
      let link = '';
      if (site) {
        link = `${path.basename(site.uri.fsPath)}:${site.line + 1}`;
        this.links.set(link, { uri: site.uri, line: site.line, column: site.column });
      }
      const head =
        l.source === 'pipe'
          ? `${l.timestamp.toFixed(6)} [${String(l.cpu).padStart(3, '0')}] ${l.comm}-${l.pid}`
          : `program ${l.programId} ${l.source}`;
      const text = l.event ? `${l.event}: ${l.text}` : l.text;
      const plain = `${head}  ${text}${link ? `${LINK_MARK}${link}` : ''}`;
      const color = l.source === 'stderr' ? RED : CYAN;
      this.print(
        `${DIM}${head.replace(/ \S+$/, '')}${RESET} ${color}${head.split(' ').pop()}${RESET}  ${text}${link ? `${DIM}${LINK_MARK}${link}${RESET}` : ''}`,
        plain,
      );
    }
    if (dropped > this.dropped) {
      this.print(
        `${YELLOW}— ${dropped - this.dropped} lines dropped: they came faster than the terminal could show them —${RESET}`,
        `— ${dropped - this.dropped} lines dropped —`,
      );
      this.dropped = dropped;
    }
  }

  private async stop(): Promise<void> {
    const subs = [this.pipe, this.streams];
    this.pipe = this.streams = undefined;
    this.subscriptions.forEach((d) => d.dispose());
    await Promise.all(subs.map((s) => s?.dispose()));
  }

  state(): TraceConsoleState {
    return { targetId: this.target.id, open: this.opened && !this.closed, notes: this.notes, lines: [...this.kept] };
  }
}

export interface TraceConsoles {
  /** What the console of a target shows (undefined when none was opened). */
  state(targetId: string): TraceConsoleState | undefined;
}

export function activate(ctx: Ctx): TraceConsoles {
  const index = new PrintkIndex();
  ctx.subscriptions.push(index);
  const consoles = new Map<string, TraceConsole>();

  const show = async (arg?: { targetId?: string } | string): Promise<TraceConsoleState | undefined> => {
    const id = typeof arg === 'string' ? arg : arg?.targetId;
    let target = id ? ctx.targets.get(id) : undefined;
    if (!target) {
      const all = ctx.targets.all();
      if (all.length === 1 || id === undefined) target = all.length === 1 ? all[0] : await pickTarget(all);
    }
    if (!target) return undefined;
    let c = consoles.get(target.id);
    if (!c) {
      const t = target;
      c = new TraceConsole(t, index, ctx.log, () => consoles.delete(t.id));
      consoles.set(t.id, c);
    }
    c.terminal.show(true);
    return c.state();
  };
  ctx.registerCommand(Command.showTrace, show);

  ctx.subscriptions.push(
    vscode.window.registerTerminalLinkProvider({
      provideTerminalLinks(context) {
        const c = [...consoles.values()].find((x) => x.terminal === context.terminal);
        const at = context.line.lastIndexOf(LINK_MARK);
        if (!c || at < 0) return [];
        const text = context.line.slice(at + LINK_MARK.length).trim();
        const to = c.links.get(text);
        if (!to) return [];
        return [{ startIndex: at + LINK_MARK.length, length: text.length, tooltip: `Open the bpf_printk call in ${text}`, to }];
      },
      async handleTerminalLink(link: vscode.TerminalLink & { to?: { uri: vscode.Uri; line: number; column: number } }) {
        if (!link.to) return;
        const doc = await vscode.workspace.openTextDocument(link.to.uri);
        const pos = new vscode.Position(link.to.line, link.to.column);
        await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: false });
      },
    }),
    { dispose: () => [...consoles.values()].forEach((c) => c.terminal.dispose()) },
  );
  return { state: (targetId) => consoles.get(targetId)?.state() };
}

async function pickTarget(all: readonly Target[]): Promise<Target | undefined> {
  const pick = await vscode.window.showQuickPick(
    all.map((t) => ({ label: t.label, description: t.state.kind, t })),
    { placeHolder: 'Trace which target? (its tracing pipe has the bpf_printk output of every program there)' },
  );
  return pick?.t;
}
