#!/usr/bin/python3
"""Makes the NumPy fixtures in test/fixtures/ and checks files that saeno wrote.

  /usr/bin/python3 test/io/make_fixtures.py            # (re)write test/fixtures/*.npy, *.safetensors
  /usr/bin/python3 test/io/make_fixtures.py check DIR  # used by test/io/files.test.ts

Needs only NumPy (Debian: apt-get install python3-numpy). The `safetensors` pip package is not
available on our machines, so st_save/st_load below implement the format from its spec
(https://github.com/huggingface/safetensors#format) with numpy + json + struct, following the
reference implementation: u64 little-endian header length; compact JSON header with
"__metadata__" first; header padded with spaces to a multiple of 8 bytes; tensors laid out by
dtype, widest first (I64, F64, F32, I32, U8, BOOL), then by name; data contiguous, little-endian.
"""
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')

ST_DTYPES = {'I64': '<i8', 'F64': '<f8', 'F32': '<f4', 'I32': '<i4', 'U8': '|u1', 'BOOL': '|b1'}
ST_ORDER = list(ST_DTYPES)  # the reference writer's layout order (descending dtype)


def st_name(dtype):
    for name, descr in ST_DTYPES.items():
        if np.dtype(descr) == dtype.newbyteorder('<'):
            return name
    raise ValueError('unsupported dtype %s' % dtype)


def st_save(tensors, metadata=None):
    """Serializes {name: ndarray} (+ optional {str: str}) to .safetensors bytes."""
    names = sorted(tensors, key=lambda n: (ST_ORDER.index(st_name(tensors[n].dtype)), n))
    header = {}
    if metadata is not None:
        header['__metadata__'] = {k: metadata[k] for k in sorted(metadata)}
    offset = 0
    chunks = []
    for n in names:
        a = np.asarray(tensors[n], order='C')  # not ascontiguousarray: it makes 0-d arrays 1-d
        data = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[n] = {'dtype': st_name(a.dtype), 'shape': list(a.shape), 'data_offsets': [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    h = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(chunks)


def st_load(buf):
    """Parses .safetensors bytes with the reference reader's checks; returns (tensors, metadata)."""
    (n,) = struct.unpack('<Q', buf[:8])
    assert 2 <= n <= 100_000_000 and 8 + n <= len(buf), 'bad header length %d' % n
    header = json.loads(buf[8:8 + n].decode('utf-8'))
    metadata = header.pop('__metadata__', None)
    assert metadata is None or all(isinstance(v, str) for v in metadata.values())
    data = buf[8 + n:]
    out, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]['data_offsets']):
        b, e = info['data_offsets']
        assert b == end and e >= b, 'tensor %s: offsets %s' % (name, (b, e))
        dt = np.dtype(ST_DTYPES[info['dtype']])
        assert e - b == int(np.prod(info['shape'], dtype=np.int64)) * dt.itemsize
        out[name] = np.frombuffer(data[b:e], dtype=dt).reshape(tuple(info['shape']))
        end = e
    assert end == len(data), 'data section not fully covered'
    return out, metadata


def fixture_arrays():
    """The arrays test/io/*.test.ts expects; keep the values in sync with test/io/npy.test.ts and safetensors.test.ts."""
    f32 = np.float32
    return {
        'f32_2x3': np.array([[-1.5, 0.0, 2.25], [3.4028234663852886e38, 1e-45, -0.1]], dtype=f32),
        'f64_4': np.array([np.pi, -0.0, 1e-300, 1.7976931348623157e308], dtype=np.float64),
        'i32_2x2x2': np.array([-2147483648, 2147483647, 0, -1, 1, 2, 3, 4], dtype=np.int32).reshape(2, 2, 2),
        'i64_3': np.array([-9223372036854775808, 9223372036854775807, 42], dtype=np.int64),
        'u8_5': np.array([0, 1, 127, 128, 255], dtype=np.uint8),
        'bool_2x3': np.array([[True, False, True], [False, False, True]]),
        'f64_scalar': np.array(2.5),
        'f32_0x3': np.zeros((0, 3), dtype=f32),
        'f32_100x7': (np.arange(700, dtype=f32) / f32(7)).reshape(100, 7),
    }


def make():
    os.makedirs(FIXTURES, exist_ok=True)
    arrays = fixture_arrays()
    for name, a in arrays.items():
        np.save(os.path.join(FIXTURES, name + '.npy'), a)
    special = os.path.join(FIXTURES, 'special')
    os.makedirs(special, exist_ok=True)
    np.save(os.path.join(special, 'f8_big_endian.npy'), np.array([1.5, -2.0, 1e10], dtype='>f8'))
    np.save(os.path.join(special, 'i4_big_endian.npy'), np.array([1, -2, 65539], dtype='>i4'))
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(special, 'f32_v%d.npy' % version[0]), 'wb') as f:
            np.lib.format.write_array(f, np.array([1.0, 2.0, 3.0], dtype=np.float32), version=version)
    np.save(os.path.join(special, 'f32_fortran.npy'), np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    nan = np.arange(6, dtype=np.float32).reshape(2, 3)
    nan[1, 2] = np.nan
    np.save(os.path.join(special, 'f32_nan_at_1_2.npy'), nan)
    np.save(os.path.join(special, 'i8.npy'), np.array([1, -1], dtype=np.int8))

    st = {
        'weight': arrays['f32_2x3'],
        'bias': arrays['f64_4'],
        'step': np.array(7, dtype=np.int64),
        'idx': np.array([3, 1, 4, 1], dtype=np.int32),
        'mask': np.array([[True, False], [False, True]]),
        'bytes': arrays['u8_5'],
        'empty': np.zeros((0, 4), dtype=np.float32),
    }
    buf = st_save(st, {'format': 'pt', 'seed': '1'})
    with open(os.path.join(FIXTURES, 'mixed.safetensors'), 'wb') as f:
        f.write(buf)
    back, meta = st_load(buf)
    assert meta == {'format': 'pt', 'seed': '1'}
    assert all(np.array_equal(back[k], v) and back[k].dtype == v.dtype for k, v in st.items())


def check(folder):
    """Loads what saeno wrote (listed in manifest.json), compares exactly, and re-saves with NumPy.

    manifest: {"npy": {name: {dtype, shape, hex}}, "safetensors": {name: {tensors: {...}, metadata}}}
    where hex is the C-order little-endian bytes of the data. Re-saved files are named numpy_<name>.
    """
    with open(os.path.join(folder, 'manifest.json')) as f:
        manifest = json.load(f)

    def same(a, spec, where):
        want = np.dtype(spec['dtype'])
        assert a.dtype == want, '%s: dtype %s, expected %s' % (where, a.dtype, want)
        assert list(a.shape) == spec['shape'], '%s: shape %s, expected %s' % (where, a.shape, spec['shape'])
        got = a.astype(want.newbyteorder('<')).tobytes().hex()
        assert got == spec['hex'], '%s: data differs' % where

    for name, spec in manifest['npy'].items():
        a = np.load(os.path.join(folder, name + '.npy'))
        same(a, spec, name + '.npy')
        np.save(os.path.join(folder, 'numpy_' + name + '.npy'), a)
    for name, spec in manifest['safetensors'].items():
        with open(os.path.join(folder, name + '.safetensors'), 'rb') as f:
            tensors, meta = st_load(f.read())
        assert meta == spec['metadata'], '%s: metadata %s' % (name, meta)
        assert sorted(tensors) == sorted(spec['tensors']), '%s: names %s' % (name, sorted(tensors))
        for t, tspec in spec['tensors'].items():
            same(tensors[t], tspec, '%s.safetensors: %s' % (name, t))
        with open(os.path.join(folder, 'numpy_' + name + '.safetensors'), 'wb') as f:
            f.write(st_save(tensors, meta))
    print('numpy %s: checked %d npy and %d safetensors files' % (np.__version__, len(manifest['npy']), len(manifest['safetensors'])))


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == 'check':
        check(sys.argv[2])
    else:
        make()
