// Tiny argv parser for the CLI: positionals, `--flag`, `--opt value` / `--opt=value`.
// Unknown options are errors, so a typo never silently changes what a command does.

export class UsageError extends Error {}

export interface Parsed {
  positionals: string[];
  flags: Set<string>;
  options: Map<string, string>;
  /** Every value of a repeatable option, in order. */
  all: Map<string, string[]>;
}

export function parseArgs(argv: string[], spec: { flags?: string[]; options?: string[]; repeatable?: string[] }): Parsed {
  const out: Parsed = { positionals: [], flags: new Set(), options: new Map(), all: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (spec.flags?.includes(name) && eq < 0) out.flags.add(name);
    else if (spec.options?.includes(name)) {
      const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (out.options.has(name) && !spec.repeatable?.includes(name)) throw new UsageError(`--${name} is given twice`);
      out.options.set(name, value);
      out.all.set(name, [...(out.all.get(name) ?? []), value]);
    } else throw new UsageError(`unknown option --${name}`);
  }
  return out;
}

export function positiveInt(value: string, name: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${name} must be a positive integer, got "${value}"`);
  return Number(value);
}
