// BPF helper hovers come from libbpf's real bpf_helper_defs.h (installed by scripts/setup.sh with
// libbpf-dev), parsed by scripts/gen-helper-docs.mjs; kfunc hovers from `__ksym` declarations.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { DEFAULT_HEADER, parseHelperDefs, rstToMarkdown } from '../../scripts/gen-helper-docs.mjs';
import generated from '../../src/server/generated/helperDocs.json';
import { helperDoc, helperHover, identifierAt, kfuncDeclarations, kfuncHover } from '../../src/server/helperDocs';

describe('server: BPF helper docs', () => {
  const header = existsSync(DEFAULT_HEADER) ? readFileSync(DEFAULT_HEADER, 'utf8') : undefined;

  it("finds libbpf's bpf_helper_defs.h (scripts/setup.sh installs libbpf-dev)", () => {
    assert.ok(header, `${DEFAULT_HEADER} is missing`);
  });

  it('parses every helper of the real header with its id, signature and documentation', function () {
    if (!header) this.skip();
    const helpers = parseHelperDefs(header!);
    const declared = header!.match(/^static .*= \(void \*\) \d+;$/gm)!.length;
    assert.equal(Object.keys(helpers).length, declared);
    assert.ok(declared >= 200, `only ${declared} helpers`);
    const lookup = helpers.bpf_map_lookup_elem;
    assert.equal(lookup.id, 1);
    assert.equal(lookup.signature, 'void *bpf_map_lookup_elem(void *map, const void *key)');
    assert.match(lookup.description, /^Perform a lookup in \*map\* for an entry associated to \*key\*\.$/);
    assert.match(lookup.returns, /\*\*NULL\*\* if no entry was found/);
    assert.equal(helpers.bpf_for_each_map_elem.id, 164);
    assert.equal(
      helpers.bpf_for_each_map_elem.signature,
      'long bpf_for_each_map_elem(void *map, void *callback_fn, void *callback_ctx, __u64 flags)',
    );
    // Definition lists become Markdown lists; reST's `\ ` joins disappear.
    assert.match(helpers.bpf_map_update_elem.description, /\n- \*\*BPF_NOEXIST\*\*\n {2}The entry for \*key\* must not exist in the map\./);
    assert.ok(Object.values(helpers).every((h) => !/\\ /.test(h.description)));
    assert.ok(Object.values(helpers).filter((h) => h.description).length >= declared - 2);
  });

  it("is not stale: the committed helperDocs.json is what this machine's header generates", function () {
    if (!header) this.skip();
    assert.deepEqual(generated.helpers, parseHelperDefs(header!), 'src/server/generated/helperDocs.json is stale: run npm run generate');
  });

  it('reads libbpf >= 1.3 declarations with `* const`', () => {
    const text = '/*\n * bpf_x\n *\n * \tDoes x.\n *\n * Returns\n * \t0.\n */\nstatic long (* const bpf_x)(void *ctx) = (void *) 999;\n';
    assert.deepEqual(parseHelperDefs(text).bpf_x, { id: 999, signature: 'long bpf_x(void *ctx)', description: 'Does x.', returns: '0.' });
  });

  it('turns reST literal blocks into fenced code', () => {
    assert.equal(rstToMarkdown([' \tLike this::', ' ', ' \t\tint x;', ' ', ' \tDone.']), 'Like this:\n\n```\nint x;\n```\n\nDone.');
  });

  it('hovers a helper with its signature, description, return value and link', () => {
    const md = helperHover('bpf_map_lookup_elem')!;
    assert.match(md, /^```c\nvoid \*bpf_map_lookup_elem\(void \*map, const void \*key\)\n```/);
    assert.match(md, /BPF helper #1/);
    assert.match(md, /\*\*Returns:\*\*/);
    assert.equal(helperHover('toString'), undefined);
    assert.equal(helperDoc('constructor'), undefined);
  });

  it('finds kfunc prototypes declared with __ksym', () => {
    const src = [
      'extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;',
      'extern void bpf_task_release(struct task_struct *p) __ksym __weak;',
      'extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,',
      '\t\t\t       struct bpf_dynptr *ptr__uninit) __weak __ksym;',
      'extern int not_a_kfunc(void);',
    ].join('\n');
    const k = kfuncDeclarations(src);
    assert.deepEqual([...k.keys()], ['bpf_task_acquire', 'bpf_task_release', 'bpf_dynptr_from_skb']);
    assert.equal(
      k.get('bpf_dynptr_from_skb'),
      'int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags, struct bpf_dynptr *ptr__uninit)',
    );
    assert.match(kfuncHover('bpf_task_acquire', k.get('bpf_task_acquire')!), /kfunc `bpf_task_acquire`/);
  });

  it('finds the identifier under the cursor', () => {
    const line = '\tcount = bpf_map_lookup_elem(&packets, &key);';
    assert.equal(identifierAt(line, line.indexOf('lookup')), 'bpf_map_lookup_elem');
    assert.equal(identifierAt(line, line.indexOf('(') + 1), undefined);
    assert.equal(identifierAt(line, 1), 'count');
  });
});
