// BTF-typed values, both ways, on the real BTF clang emitted for test/fixtures/btf/values.bpf.c:
// parsing, flattened record fields, decoding rows and JSON, parsing what people type, and
// inferring a ring buffer's record type from C source.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kind, parseBtf } from '../../src/core/btf/parse';
import { inferRecordTypes } from '../../src/core/btf/recordType';
import {
  decodeJson,
  encodeInto,
  formatIpv6,
  parseInput,
  parseIpv6,
  recordFields,
  rowDecoder,
  ValueSyntaxError,
} from '../../src/core/btf/values';

const fixture = path.join(__dirname, '..', 'fixtures', 'btf');
const { btf, strings } = parseBtf(fs.readFileSync(path.join(fixture, 'values.btf')));
const record = btf.find('struct record')!;

/** A record with every field set, encoded from JSON (so decoding is checked against independent bytes below). */
const sample = {
  id: 7,
  temp: -40,
  flags: 5,
  level: 17,
  signed_bits: -3,
  daddr: '192.168.1.20',
  src_ip6: '2001:db8::42',
  name: 'sensor',
  state: 'ST_BUSY',
  bigf: 'BF_HIGH',
  ratio: 0.5,
  mean: 2.25,
  samples: [1, 2, 65535],
  ok: true,
  as_u32: 0x01020304,
  peer: { mac: 'hex:02 00 00 00 00 ab', port: 443 },
  total: '18446744073709551615',
};

describe('BTF values', () => {
  it('parses the types clang emitted, with typedef chains and member offsets', () => {
    assert.ok(record, 'struct record is in the BTF');
    assert.equal(record.kind, Kind.Struct);
    assert.equal(record.size, 112);
    assert.equal(btf.cName(record.members!.find((m) => m.name === 'name')!.type), 'char[12]');
    assert.deepEqual(btf.aliases(record.members!.find((m) => m.name === 'daddr')!.type), ['__be32', '__u32']);
    const level = record.members!.find((m) => m.name === 'level')!;
    assert.deepEqual([level.bitOffset, level.bitSize], [51, 5]);
    assert.ok(strings.includes('record'), 'the string section is returned');
    assert.ok(btf.records().some((t) => t.name === 'in6'));
  });

  it('flattens a record into columns: bit-fields, anonymous unions, nested structs with dotted names', () => {
    const fields = recordFields(btf, record.id);
    const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
    assert.deepEqual(
      fields.map((f) => `${f.name}:${f.kind}`),
      [
        'id:uint',
        'temp:int',
        'flags:uint',
        'level:uint',
        'signed_bits:int',
        'daddr:ipv4',
        'src_ip6:ipv6',
        'name:string',
        'state:enum',
        'bigf:enum',
        'ratio:float',
        'mean:float',
        'samples:array',
        'ok:bool',
        'where:pointer',
        'as_u32:uint',
        'as_bytes:hex',
        'peer.mac:mac',
        'peer.port:uint',
        'total:uint',
      ],
    );
    assert.equal(byName['peer.port'].offset, 98);
    assert.equal(byName['peer.port'].cType, '__be16');
    assert.equal(byName.level.cType, 'unsigned int:5');
  });

  it('encodes JSON following the type and decodes it back, as rows and as JSON', () => {
    const bytes = Buffer.alloc(record.size);
    encodeInto(btf, record.id, sample, bytes);
    // Independent checks of the bytes: network byte order, bit-field packing, little-endian ints.
    assert.deepEqual([...bytes.subarray(8, 12)], [192, 168, 1, 20]);
    assert.equal(bytes.readUInt16BE(98), 443);
    assert.equal(bytes[6], 5 | (17 << 3));
    assert.equal(bytes[7] & 0x0f, 0b1101);
    assert.equal(bytes.readInt16LE(4), -40);
    assert.equal(bytes.readBigUInt64LE(104), 0xffffffffffffffffn);

    const fields = recordFields(btf, record.id);
    const row = rowDecoder(btf, record.id, fields)(bytes);
    const cell = (name: string) => row[fields.findIndex((f) => f.name === name)];
    assert.equal(cell('daddr'), '192.168.1.20');
    assert.equal(cell('src_ip6'), '2001:db8::42');
    assert.equal(cell('name'), 'sensor');
    assert.equal(cell('state'), 'ST_BUSY');
    assert.equal(cell('flags'), 5);
    assert.equal(cell('level'), 17);
    assert.equal(cell('signed_bits'), -3);
    assert.equal(cell('peer.mac'), '02:00:00:00:00:ab');
    assert.equal(cell('peer.port'), 443);
    assert.equal(cell('total'), '18446744073709551615');
    assert.equal(cell('ok'), true);
    assert.deepEqual(cell('samples'), [1, 2, 65535]);
    assert.equal(cell('as_bytes'), '04030201');

    const json = decodeJson(btf, record.id, bytes) as Record<string, unknown>;
    assert.equal(json.name, 'sensor');
    assert.deepEqual(json.peer, { mac: '02:00:00:00:00:ab', port: 443 });
    assert.equal(json.as_u32, 0x01020304);
    // Round trip: decoding then encoding gives the same bytes.
    const again = Buffer.alloc(record.size);
    encodeInto(btf, record.id, { ...json, where: undefined }, again);
    again.fill(0, 80, 88); // `where` is a pointer; it is shown, not written back
    const expected = Buffer.from(bytes);
    expected.fill(0, 80, 88);
    assert.deepEqual(again, expected);
  });

  it('keeps members the input leaves out, and names what is wrong', () => {
    const base = Buffer.alloc(record.size, 0xee);
    const out = parseInput('{"id": 9}', record.size, btf, record.id, base);
    assert.equal(out.readUInt32LE(0), 9);
    assert.equal(out[20], 0xee, 'untouched members keep their bytes');
    assert.throws(() => parseInput('{"nope": 1}', record.size, btf, record.id), /no field "nope"/);
    assert.throws(() => parseInput('{"name": "much too long for twelve"}', record.size, btf, record.id), /holds 12/);
    assert.throws(() => parseInput('{"state": "ST_NOPE"}', record.size, btf, record.id), /one of ST_IDLE, ST_BUSY, ST_NEG/);
    assert.throws(() => parseInput('{"temp": 40000}', record.size, btf, record.id), /does not fit/);
    assert.throws(() => parseInput('{"daddr": "300.1.1.1"}', record.size, btf, record.id), ValueSyntaxError);
    assert.throws(() => parseInput('42', record.size, btf, record.id), /JSON object with its fields \(id, temp/);
  });

  it('reads scalars as people type them, with and without BTF', () => {
    const id = btf.find('my_id_t')!.id;
    assert.equal(parseInput('42', 4, btf, id).readUInt32LE(0), 42);
    assert.equal(parseInput('0x10', 4, btf, id).readUInt32LE(0), 16);
    assert.equal(parseInput('-1', 4, undefined, 0).readUInt32LE(0), 0xffffffff);
    assert.deepEqual([...parseInput('10.0.0.1', 4, undefined, 0)], [10, 0, 0, 1]);
    assert.deepEqual(parseInput('fe80::1', 16, undefined, 0), parseIpv6('fe80:0:0:0:0:0:0:1'));
    assert.deepEqual(parseInput('"ab"', 4, undefined, 0), Buffer.from([0x61, 0x62, 0, 0]));
    assert.deepEqual(parseInput('hex:01 02 03 04', 4, btf, id), Buffer.from([1, 2, 3, 4]));
    assert.deepEqual(parseInput('01 02 03', 3, undefined, 0), Buffer.from([1, 2, 3]));
    assert.throws(() => parseInput('hex:01', 4, undefined, 0), /exactly 4/);
    assert.throws(() => parseInput('banana', 4, undefined, 0), /cannot read "banana" as 4 bytes/);
    assert.throws(() => parseInput('4294967296', 4, btf, id), /does not fit/);
  });

  it('writes IPv6 the RFC 5952 way and reads every spelling', () => {
    const cases: [string, string][] = [
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
      ['fe80::1:2', 'fe80::1:2'],
    ];
    for (const [input, text] of cases) assert.equal(formatIpv6(parseIpv6(input)!, 0), text, input);
    assert.equal(parseIpv6('1::2::3'), undefined);
    assert.equal(parseIpv6('12345::'), undefined);
  });
});

describe('record type inference from source', () => {
  it('finds the struct of bpf_ringbuf_reserve, _output and bpf_perf_event_output calls on a map', () => {
    const src = `
struct event *e;
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); } rb SEC(".maps");
int a(void *ctx) {
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	struct exec_evt *x = bpf_ringbuf_reserve(&other_rb, sizeof(struct exec_evt), 0);
	struct sample s = {};
	bpf_ringbuf_output(&out_rb, &s, sizeof(s), 0);
	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &s, sizeof(s));
	flow_t f;
	bpf_perf_event_output(ctx, &flows, BPF_F_CURRENT_CPU, &f, sizeof(flow_t));
}`;
    assert.deepEqual(inferRecordTypes(src, 'rb'), ['struct event']);
    assert.deepEqual(inferRecordTypes(src, 'other_rb'), ['struct exec_evt']);
    assert.deepEqual(inferRecordTypes(src, 'out_rb'), ['struct sample']);
    assert.deepEqual(inferRecordTypes(src, 'perf'), ['struct sample']);
    assert.deepEqual(inferRecordTypes(src, 'flows'), ['flow_t']);
    assert.deepEqual(inferRecordTypes(src, 'nothing'), []);
  });

  it('matches a map name the kernel cut to 15 characters', () => {
    const src = 'struct big *b = bpf_ringbuf_reserve(&very_long_ring_buffer_name, sizeof(struct big), 0);';
    assert.deepEqual(inferRecordTypes(src, 'very_long_ring_'), ['struct big']);
  });
});
