// Request validation of the root helper: pure checks, plus the file-system ones on real files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v from '../../src/helper/validate';
import { HelperError } from '../../src/helper/errors';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HelperError, String(e));
    return e.code;
  }
  return 'OK';
}

describe('helper validation', () => {
  it('params: an object with only the allowed keys', () => {
    assert.deepEqual(v.params({ id: 1 }, ['id']), { id: 1 });
    assert.deepEqual(v.params(undefined, []), {});
    assert.equal(
      code(() => v.params({ id: 1, extra: 2 }, ['id'])),
      'INVALID_PARAMS',
    );
    assert.equal(
      code(() => v.params([1], ['id'])),
      'INVALID_PARAMS',
    );
    assert.equal(
      code(() => v.params('x', ['id'])),
      'INVALID_PARAMS',
    );
  });

  it('ids are u32 integers above 0', () => {
    assert.equal(v.id(42), 42);
    assert.equal(v.id(0xffffffff), 0xffffffff);
    for (const bad of [0, -1, 1.5, '1', null, 2 ** 32, NaN, Infinity])
      assert.equal(
        code(() => v.id(bad)),
        'INVALID_PARAMS',
        String(bad),
      );
  });

  it('optional integers take the default and check the range', () => {
    assert.equal(v.optionalInt(undefined, 'limit', 1, 10, 5), 5);
    assert.equal(v.optionalInt(10, 'limit', 1, 10, 5), 10);
    assert.equal(
      code(() => v.optionalInt(11, 'limit', 1, 10, 5)),
      'INVALID_PARAMS',
    );
  });

  it('oneOf and bool', () => {
    assert.equal(v.oneOf('walk', 'method', ['walk', 'batch'] as const), 'walk');
    assert.equal(
      code(() => v.oneOf('WALK', 'method', ['walk'] as const)),
      'INVALID_PARAMS',
    );
    assert.equal(v.bool(false, 'enable'), false);
    assert.equal(
      code(() => v.bool('true', 'enable')),
      'INVALID_PARAMS',
    );
  });

  it('base64 is checked for form and size before decoding', () => {
    assert.deepEqual(v.base64(Buffer.from('hello').toString('base64'), 'bytes', 100), Buffer.from('hello'));
    assert.deepEqual(v.base64('', 'bytes', 100), Buffer.alloc(0));
    assert.equal(
      code(() => v.base64('not base64!', 'bytes', 100)),
      'INVALID_PARAMS',
    );
    assert.equal(
      code(() => v.base64('A'.repeat(1000), 'bytes', 100)),
      'INVALID_PARAMS',
    );
    assert.equal(
      code(() => v.base64(42, 'bytes', 100)),
      'INVALID_PARAMS',
    );
  });

  it('absolute paths: normalized, no NUL, not relative', () => {
    assert.equal(v.absolutePath('/tmp/x.bpf.o', 'path'), '/tmp/x.bpf.o');
    assert.equal(v.absolutePath('/tmp/dir/', 'path'), '/tmp/dir');
    for (const bad of ['x.bpf.o', './x', '/tmp/../etc/passwd', '/tmp//x', '/tmp/./x', '/tmp/x\0y', '', 7]) {
      assert.equal(
        code(() => v.absolutePath(bad, 'path')),
        'INVALID_PARAMS',
        JSON.stringify(bad),
      );
    }
    assert.equal(
      code(() => v.absolutePath('/' + 'a'.repeat(5000), 'path')),
      'INVALID_PARAMS',
    );
  });

  it('bpffs paths stay strictly below /sys/fs/bpf', () => {
    assert.equal(v.bpffsPath('/sys/fs/bpf/app/map', 'path'), '/sys/fs/bpf/app/map');
    assert.equal(
      code(() => v.bpffsPath('/sys/fs/bpf', 'path')),
      'PATH_OUTSIDE_BPFFS',
    );
    assert.equal(
      code(() => v.bpffsPath('/sys/fs/bpfx/map', 'path')),
      'PATH_OUTSIDE_BPFFS',
    );
    assert.equal(
      code(() => v.bpffsPath('/tmp/map', 'path')),
      'PATH_OUTSIDE_BPFFS',
    );
    assert.equal(
      code(() => v.bpffsPath('/sys/fs/bpf/../../../etc/x', 'path')),
      'INVALID_PARAMS',
    );
  });

  it('regular files: missing, directory, too large, fine', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ebpfwb-validate-'));
    try {
      const f = path.join(dir, 'a.o');
      fs.writeFileSync(f, Buffer.alloc(100));
      assert.equal(v.regularFile(f, 'path', 1000), 100);
      assert.equal(
        code(() => v.regularFile(f, 'path', 10)),
        'INVALID_PARAMS',
      );
      assert.equal(
        code(() => v.regularFile(path.join(dir, 'missing.o'), 'path', 1000)),
        'FILE_NOT_FOUND',
      );
      assert.equal(
        code(() => v.regularFile(dir, 'path', 1000)),
        'NOT_A_FILE',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('errors carry errno names and a fix for permission problems', () => {
    const e = HelperError.errno(1, 'load');
    assert.equal(e.code, 'PERMISSION');
    const d = e.toData();
    assert.equal(d.errnoName, 'EPERM');
    assert.match(d.fix!, /CAP_BPF/);
    assert.equal(HelperError.errno(524, 'x').toData().errnoName, 'ENOTSUPP');
  });
});
