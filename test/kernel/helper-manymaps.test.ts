// An object of many maps loads: libbpf's debug lines for 1000 maps (hundreds of KiB) overflow
// the object host's stderr pipe, which is non-blocking; the host must wait, not fail the load.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { requireKernel } from './requirements';
import { buildHelperBpf, compileBpf, startHelper, tempDir, waitGone } from './helper-support';

describe('helper: an object of 1000 maps', function () {
  let dir: string;
  let obj: string;

  before(function () {
    requireKernel(this);
    this.timeout(60_000);
    buildHelperBpf();
    dir = tempDir();
    const maps = Array.from(
      { length: 1000 },
      (_, i) =>
        `struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 64); __type(key, __u32); __type(value, __u32); } m${i} SEC(".maps");`,
    );
    const src = path.join(dir, 'many.bpf.c');
    fs.writeFileSync(
      src,
      `#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n${maps.join('\n')}\nchar LICENSE[] SEC("license") = "GPL";\n`,
    );
    obj = compileBpf(src, dir);
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads, is counted, and unloads, three times over', async function () {
    this.timeout(120_000);
    const { client } = startHelper();
    try {
      for (let i = 0; i < 3; i++) {
        const loaded = await client.loadObject({ path: obj });
        assert.equal(loaded.maps.length, 1000);
        const counts = await client.countAllMapsCompact();
        const ids = new Set(loaded.maps.map((m) => m.id));
        assert.equal(counts.ids.filter((id, j) => ids.has(id) && counts.counts[j] === 0).length, 1000);
        await client.unloadObject(loaded.handle);
        assert.ok(await waitGone('map', loaded.maps[999].id), 'the maps are freed on unload');
      }
    } finally {
      await client.dispose();
    }
  });
});
