// The command table (src/extension/commands.ts) and the manifest (package.json) name the same
// commands: a command registered but not contributed has no title in the palette, and a
// contributed one nobody registers fails when a user runs it. Menus may only name known commands.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from '../../src/extension/commands';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));

describe('command table', () => {
  const table = Object.values(Command).sort();

  it('has exactly the commands package.json contributes', () => {
    const contributed = (manifest.contributes.commands as Array<{ command: string }>).map((c) => c.command).sort();
    assert.deepEqual(table, contributed);
  });

  it('has no id twice', () => {
    assert.equal(new Set(table).size, table.length);
  });

  it('covers every command the menus, key bindings and welcome views name', () => {
    const named = new Set<string>();
    for (const entries of Object.values(manifest.contributes.menus as Record<string, Array<{ command: string }>>))
      for (const e of entries) named.add(e.command);
    for (const k of manifest.contributes.keybindings as Array<{ command: string }>) named.add(k.command);
    for (const w of manifest.contributes.viewsWelcome as Array<{ contents: string }>)
      for (const m of w.contents.matchAll(/\(command:([\w.]+)\)/g)) named.add(m[1]);
    for (const id of named)
      assert.ok(table.includes(id as (typeof table)[number]), `${id} is in package.json's menus but not in the table`);
  });
});
