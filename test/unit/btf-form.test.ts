// The edit form typed by BTF (core/btf/form.ts): inputs per flattened field to the JSON the helper
// takes, and back from the JSON it returns, on the real BTF of test/fixtures/btf/values.bpf.c.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBtf } from '../../src/core/btf/parse';
import { formToInput, inputsFromJson, isScalar, placeholder } from '../../src/core/btf/form';
import { decodeJson, parseInput, recordFields } from '../../src/core/btf/values';
import type { RecordType } from '../../src/protocol/types';

const { btf } = parseBtf(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'btf', 'values.btf')));
const typeOf = (name: string): RecordType => {
  const t = btf.find(name)!;
  return { name, typeId: t.id, size: btf.sizeOf(t.id), fields: recordFields(btf, t.id) };
};

describe('BTF edit form', () => {
  const record = typeOf('struct record');

  it('turns non-empty inputs into nested JSON that the value parser takes', () => {
    const json = formToInput(record, {
      id: '7',
      'peer.port': '443',
      'peer.mac': '02:00:00:00:00:01',
      name: 'a b',
      ok: 'true',
      samples: '[1, 2]',
      temp: '',
      state: 'ST_BUSY',
    });
    assert.deepEqual(JSON.parse(json), {
      id: 7,
      name: 'a b',
      state: 'ST_BUSY',
      samples: [1, 2],
      ok: true,
      peer: { mac: '02:00:00:00:00:01', port: 443 },
    });
    const bytes = parseInput(json, record.size, btf, record.typeId);
    const back = decodeJson(btf, record.typeId, bytes) as Record<string, unknown>;
    assert.equal(back.id, 7);
    assert.deepEqual(back.peer, { mac: '02:00:00:00:00:01', port: 443 });
  });

  it('fills the form from the stored JSON', () => {
    const inputs = inputsFromJson(
      record,
      JSON.stringify({ id: 9, name: 'x', peer: { port: 80, mac: '02:00:00:00:00:02' }, samples: [3, 4, 5], total: '18446744073709551615' }),
    );
    assert.equal(inputs.id, '9');
    assert.equal(inputs.name, 'x');
    assert.equal(inputs['peer.port'], '80');
    assert.equal(inputs.samples, '[3,4,5]');
    assert.equal(inputs.total, '18446744073709551615');
  });

  it('a scalar key is one input, sent as typed', () => {
    const key = typeOf('my_id_t');
    assert.ok(isScalar(key));
    assert.equal(formToInput(key, { value: '0x10' }), '0x10');
    assert.deepEqual(inputsFromJson(key, '16'), { value: '16' });
    assert.equal(placeholder(key.fields[0]), 'number, or 0x…');
  });
});
