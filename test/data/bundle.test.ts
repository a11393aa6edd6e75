import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BundleError, DATASET_FORMAT, MAX_BUNDLE_BYTES, METADATA_KEY, buildBundle, bundleModel, parseBundle, parseDatasetMeta, plainDataset, type Bundle, type FunctionalTruth } from '../../src/data/bundle.js';
import { DataError } from '../../src/data/coherence.js';
import { EuclideanModel } from '../../src/data/euclidean.js';
import { FunctionalModel } from '../../src/data/functional.js';
import type { NdArray } from '../../src/io/ndarray.js';

const functional = () => new FunctionalModel({ family: 'gaussian', concepts: 3, occurrence: { kind: 'one-sparse' } }, 7);
const euclidean = () => new EuclideanModel({ m: 12, p: 20, sparsity: 3 }, 5);

/** Throws-assertion on a BundleError whose field is `field` and whose message mentions `mention`. */
function bundleError(fn: () => unknown, field: string, mention: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BundleError, `expected BundleError, got ${String(e)}`);
    assert.equal(e.field, field);
    assert.ok(e.message.startsWith(`${field}: `), e.message);
    if (typeof mention === 'string') assert.ok(e.message.includes(mention), e.message);
    else assert.match(e.message, mention);
    return true;
  });
}

/** The bundle with tensor `name` replaced (or removed when `arr` is undefined). */
function withTensor(b: Bundle, name: string, arr: NdArray | undefined): Record<string, NdArray> {
  const t: Record<string, NdArray> = { ...b.tensors };
  if (arr === undefined) delete t[name];
  else t[name] = arr;
  return t;
}

/** The bundle's metadata JSON with `edit` applied. */
function withMeta(b: Bundle, edit: (m: Record<string, unknown>) => void): Record<string, string> {
  const m = JSON.parse(b.metadata[METADATA_KEY]) as Record<string, unknown>;
  edit(m);
  return { [METADATA_KEY]: JSON.stringify(m) };
}

test('functional bundle: tensor names, shapes and dtypes; x is the generator render (rebuilt from the metadata) rounded to float32', () => {
  const count = 40;
  const N = 128;
  const b = buildBundle(functional(), count, { resolution: N });
  const shapes = Object.fromEntries(Object.entries(b.tensors).map(([k, v]) => [k, [v.dtype, v.shape]]));
  // 1-sparse: exactly one occurrence per signal, so K = count.
  assert.deepEqual(shapes, {
    x: ['float32', [count, 1, N]],
    atoms: ['float64', [3, 1, N]],
    codes_height: ['float64', [count, 3, N]],
    codes_mass: ['float64', [count, 3, N]],
    occurrences: ['float64', [count, 4]],
  });
  assert.deepEqual(Object.keys(b.metadata), ['saeno']);
  const meta = JSON.parse(b.metadata.saeno);
  assert.deepEqual(Object.keys(meta), ['format', 'kind', 'config', 'seed', 'resolution', 'count', 'coherence', 'dtype']);
  assert.equal(meta.format, DATASET_FORMAT);
  assert.equal(meta.config.occurrence.kind, 'one-sparse');
  assert.equal(meta.config.maxCoherence, 0.96, 'the validated config carries its filled-in defaults');
  // Rebuilding the generator from the metadata alone gives the same concepts, occurrences and render.
  const parsed = parseBundle(b.tensors, b.metadata);
  const model = bundleModel(parsed.meta!);
  assert.ok(model instanceof FunctionalModel);
  assert.equal(model.coherence, meta.coherence);
  const truth = parsed.truth as FunctionalTruth;
  assert.deepEqual(truth.occurrences, model.generate(count, N).occurrences);
  const rendered = model.render(truth.occurrences, count, N).x;
  // float32 storage: each element is exactly the float64 render rounded once (Float32Array.from), bit for bit.
  assert.deepEqual(b.tensors.x.data, Float32Array.from(rendered));
  assert.deepEqual(truth.atoms, model.atoms(N));
  // mass codes: a·N at index τN of the occurrence's concept, zero elsewhere (exact: τN is an integer for N = 2·N_base).
  let nonzero = 0;
  for (const v of truth.codesMass) if (v !== 0) nonzero++;
  assert.equal(nonzero, count);
  for (const o of truth.occurrences) assert.equal(truth.codesMass[(o.signal * 3 + o.concept) * N + o.tau * N], o.amp * N);
});

test('Euclidean bundle (float64): x = D*·z* (the truth in the bundle reproduces the signals) and equals the generator output', () => {
  const count = 30;
  const b = buildBundle(euclidean(), count, { dtype: 'float64' });
  const { x, atoms, codes } = b.tensors;
  assert.deepEqual([x.dtype, x.shape, atoms.shape, codes.shape], ['float64', [count, 12], [12, 20], [count, 20]]);
  assert.deepEqual(x.data, euclidean().generate(count).x);
  const D = atoms.data as Float64Array;
  const Z = codes.data as Float64Array;
  for (let b0 = 0; b0 < count; b0++) {
    let nz = 0;
    for (let j = 0; j < 20; j++) if (Z[b0 * 20 + j] !== 0) nz++;
    assert.equal(nz, 3, 'sparsity 3 per code');
    for (let r = 0; r < 12; r++) {
      let s = 0;
      for (let j = 0; j < 20; j++) s += D[r * 20 + j] * Z[b0 * 20 + j];
      // 3 products of |a| ≤ 2 and |d| ≤ 1 summed in another order: round-off ≤ ~4 ulp of 6.
      assert.ok(Math.abs(s - x.data[b0 * 12 + r]) <= 1e-14 * 6, `x[${b0}, ${r}]`);
    }
  }
  const meta = parseDatasetMeta(b.metadata.saeno);
  assert.equal(meta.resolution, null);
  assert.equal(meta.dtype, 'float64');
});

test('parseBundle round trip: same arrays, metadata equal to what was built', () => {
  for (const b of [buildBundle(functional(), 9, { resolution: 64 }), buildBundle(euclidean(), 9)]) {
    const d = parseBundle(b.tensors, b.metadata);
    assert.deepEqual(d.meta, b.meta);
    assert.equal(d.count, 9);
    assert.equal(d.x, b.tensors.x);
    if (d.truth?.kind === 'euclidean') {
      assert.deepEqual([d.truth.atoms, d.truth.codes, d.truth.m, d.truth.p], [b.tensors.atoms.data, b.tensors.codes.data, 12, 20]);
    } else {
      assert.ok(d.truth?.kind === 'functional');
      assert.deepEqual([d.truth.atoms, d.truth.codesHeight, d.truth.codesMass], [b.tensors.atoms.data, b.tensors.codes_height.data, b.tensors.codes_mass.data]);
      assert.equal(d.truth.occurrences.length, 9);
    }
  }
});

/** How many rows r and samples n have lo[r, n] ≠ hi[r, 2n] (bitwise), for rows of length N and 2N. */
function evenMismatches(lo: ArrayLike<number>, hi: ArrayLike<number>, N: number): number {
  let mismatches = 0;
  for (let r = 0; r < lo.length / N; r++) for (let n = 0; n < N; n++) if (!Object.is(lo[r * N + n], hi[r * 2 * N + 2 * n])) mismatches++;
  return mismatches;
}

test('resolution consistency: x at 2N restricted to even samples equals x at N bit for bit (noise 0), for on-grid families and channels', () => {
  const configs = [
    { family: 'gaussian', concepts: 3, occurrence: { kind: 'one-sparse' } },
    { family: 'random-taps', channels: 2, occurrence: { kind: 'fixed', count: 2 }, baseResolution: 32 },
    { family: 'box', signed: true, occurrence: { kind: 'bernoulli', p: 0.5 } },
  ] as const;
  for (const config of configs) {
    const N = 2 * ('baseResolution' in config ? config.baseResolution : 64);
    const lo = buildBundle(new FunctionalModel(config, 11), 25, { resolution: N });
    const hi = buildBundle(new FunctionalModel(config, 11), 25, { resolution: 2 * N });
    for (const name of ['x', 'atoms'] as const) assert.equal(evenMismatches(lo.tensors[name].data, hi.tensors[name].data, N), 0, `${config.family} ${name}`);
    assert.deepEqual(lo.tensors.occurrences.data, hi.tensors.occurrences.data, 'same occurrences at every N');
    // not vacuous: the signals hold energy, and for the smooth family the odd samples of 2N differ from the even ones
    assert.ok(lo.tensors.x.data.some((v) => v !== 0));
    if (config.family === 'gaussian') assert.ok(evenMismatches(lo.tensors.x.data, hi.tensors.x.data.subarray(1), N) > 0);
  }
});

test('parseBundle names the tensor or field at fault', () => {
  const f = buildBundle(functional(), 6, { resolution: 64 });
  const e = buildBundle(euclidean(), 6);
  bundleError(() => parseBundle(withTensor(f, 'x', undefined), f.metadata), 'tensor "x"', 'missing');
  bundleError(() => parseBundle(withTensor(f, 'codes_mass', undefined), f.metadata), 'tensor "codes_mass"', 'missing');
  bundleError(() => parseBundle(withTensor(e, 'codes', { dtype: 'float64', shape: [6, 19], data: new Float64Array(6 * 19) }), e.metadata), 'tensor "codes"', 'shape [6, 19], expected [6, 20]');
  bundleError(() => parseBundle(withTensor(e, 'atoms', { dtype: 'float32', shape: [12, 20], data: new Float32Array(240) }), e.metadata), 'tensor "atoms"', 'dtype float32, expected float64');
  bundleError(() => parseBundle(withTensor(f, 'occurrences', { dtype: 'float64', shape: [24], data: new Float64Array(24) }), f.metadata), 'tensor "occurrences"', '[K, 4]');
  bundleError(() => parseBundle(withTensor(f, 'x', { dtype: 'float32', shape: [6, 1, 32], data: new Float32Array(6 * 32) }), f.metadata), 'tensor "x"', 'expected [count, c_in, N] = [6, 1, 64]');
  bundleError(() => parseBundle(withTensor(f, 'x', { dtype: 'float64', shape: [6, 1, 64], data: new Float64Array(6 * 64) }), f.metadata), 'tensor "x"', 'metadata says float32');
  bundleError(() => parseBundle(withTensor(f, 'x', { dtype: 'int32', shape: [6, 64], data: new Int32Array(6 * 64) }), {}), 'tensor "x"', 'dtype int32');
  const occ = Float64Array.from(f.tensors.occurrences.data);
  occ[4 * 2 + 1] = 3; // concept index 3 of C = 3
  bundleError(() => parseBundle(withTensor(f, 'occurrences', { dtype: 'float64', shape: [6, 4], data: occ }), f.metadata), 'tensor "occurrences"', 'row 2: concept 3 outside [0, 3)');
  const meta = 'metadata "saeno"';
  bundleError(() => parseBundle(f.tensors, { saeno: '{"format":' }), meta, 'not valid JSON');
  bundleError(() => parseBundle(f.tensors, withMeta(f, (m) => (m.format = 'saeno-dataset/9'))), meta, 'format');
  bundleError(() => parseBundle(f.tensors, withMeta(f, (m) => (m.extra = 1))), meta, "unknown key 'extra'");
  bundleError(() => parseBundle(f.tensors, withMeta(f, (m) => ((m.config as Record<string, unknown>).colour = 'red'))), 'metadata "saeno".config', "unknown key 'colour'");
  bundleError(() => parseBundle(e.tensors, withMeta(e, (m) => (m.resolution = 64))), meta, 'resolution');
  bundleError(() => parseBundle(f.tensors, f.metadata, 'euclidean'), meta, 'holds functional data, expected euclidean');
});

test('plain arrays: 2-D is [count, m], or [count, 1, N] when functional; 3-D is functional; other ranks are errors', () => {
  const a2: NdArray = { dtype: 'float32', shape: [4, 10], data: new Float32Array(40) };
  const a3: NdArray = { dtype: 'float64', shape: [4, 2, 10], data: new Float64Array(80) };
  assert.deepEqual([plainDataset(a2).kind, plainDataset(a2).x.shape, plainDataset(a2).truth], ['euclidean', [4, 10], null]);
  assert.deepEqual([plainDataset(a2, 'functional').kind, plainDataset(a2, 'functional').x.shape], ['functional', [4, 1, 10]]);
  assert.deepEqual([plainDataset(a3).kind, plainDataset(a3).x.shape, plainDataset(a3).count], ['functional', [4, 2, 10], 4]);
  assert.equal(parseBundle({ x: a2 }, {}).kind, 'euclidean', 'tensors without saeno metadata are plain signals');
  bundleError(() => plainDataset(a3, 'euclidean'), 'tensor "x"', 'expected [count, m]');
  bundleError(() => plainDataset({ dtype: 'float32', shape: [40], data: new Float32Array(40) }), 'tensor "x"', 'shape [40]');
});

test('buildBundle refuses a bundle beyond MAX_BUNDLE_BYTES before allocating, and a resolution for Euclidean data', () => {
  const t0 = performance.now();
  // 1e6 signals × 5 concepts × N = 1024 dense codes: 2 × 41 GB, far above the limit.
  assert.throws(() => buildBundle(functional(), 1e6, { resolution: 1024 }), (e: unknown) => e instanceof DataError && /GiB/.test(e.message));
  assert.ok(performance.now() - t0 < 1000, 'rejected without generating');
  assert.ok(MAX_BUNDLE_BYTES <= 2 ** 32);
  assert.throws(() => buildBundle(euclidean(), 5, { resolution: 64 }), DataError);
  assert.throws(() => buildBundle(functional(), 5), /resolution N/);
  assert.throws(() => buildBundle(euclidean(), -1), /count/);
});
