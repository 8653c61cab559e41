// Reads the make-style dependency files that clang writes with -MD, to know which headers an
// object depends on. Pure.

/** Returns the prerequisites listed in a depfile (the first rule's right-hand side). */
export function parseDepfile(text: string): string[] {
  const joined = text
    .split(/\r?\n/)
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .replace(/\\\r?\n/g, ' ');
  const colon = joined.search(/:(\s|$)/);
  if (colon < 0) return [];
  const rhs = joined.slice(colon + 1).split('\n')[0];
  const deps: string[] = [];
  let current = '';
  for (let i = 0; i < rhs.length; i++) {
    const c = rhs[i];
    if (c === '\\' && rhs[i + 1] === ' ') {
      current += ' ';
      i++;
    } else if (c === '$' && rhs[i + 1] === '$') {
      current += '$';
      i++;
    } else if (/\s/.test(c)) {
      if (current) deps.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) deps.push(current);
  return deps;
}

const stampPrefix = '# ebpf-workbench-command: ';

/** The command that produced the object is recorded in the depfile, so changed flags rebuild. */
export function withCommandStamp(depfile: string, command: readonly string[]): string {
  return `${depfile.trimEnd()}\n${stampPrefix}${JSON.stringify(command)}\n`;
}

export function commandStamp(depfile: string): string | undefined {
  const line = depfile.split(/\r?\n/).find((l) => l.startsWith(stampPrefix));
  return line?.slice(stampPrefix.length);
}
