// saeno's WASM SIMD kernels (AssemblyScript, compiled by assembly/build.mjs into src/core/wasm/kernels.wasm.ts).
// Hand-written because V8 does not vectorise JS loops: f32x4 lanes give the float32 GEMM its speed.
// Memory layout is managed by the JS side (src/core/wasm/gemm.ts): plain offsets into linear memory.

/** Grows linear memory to at least `bytes`; returns false when the engine refuses. */
export function ensureMemory(bytes: i32): bool {
  const have = memory.size() << 16;
  if (bytes <= have) return true;
  return memory.grow(((bytes - have + 65535) >>> 16) as i32) >= 0;
}

/**
 * C[M, N] = alpha·A[M, K]·B[K, N] + beta·C (row-major float32, byte offsets a, b, c). Register block of
 * 4 rows × 8 columns (eight f32x4 accumulators); row and column tails in narrower blocks.
 */
export function sgemm(M: i32, N: i32, K: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize): void {
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  const n8 = N & ~7;
  const n4 = N & ~3;
  const rowB = <usize>N << 2;
  const rowA = <usize>K << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = a + <usize>i * rowA;
    const a1 = a0 + rowA, a2 = a1 + rowA, a3 = a2 + rowA;
    const c0 = c + <usize>i * rowB;
    const c1 = c0 + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
    let j = 0;
    for (; j < n8; j += 8) {
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        const ko = <usize>k << 2;
        const x0 = f32x4.splat(load<f32>(a0 + ko)), x1 = f32x4.splat(load<f32>(a1 + ko));
        const x2 = f32x4.splat(load<f32>(a2 + ko)), x3 = f32x4.splat(load<f32>(a3 + ko));
        s00 = f32x4.add(s00, f32x4.mul(x0, b0)); s01 = f32x4.add(s01, f32x4.mul(x0, b1));
        s10 = f32x4.add(s10, f32x4.mul(x1, b0)); s11 = f32x4.add(s11, f32x4.mul(x1, b1));
        s20 = f32x4.add(s20, f32x4.mul(x2, b0)); s21 = f32x4.add(s21, f32x4.mul(x2, b1));
        s30 = f32x4.add(s30, f32x4.mul(x3, b0)); s31 = f32x4.add(s31, f32x4.mul(x3, b1));
        pb += rowB;
      }
      const o = <usize>j << 2;
      store4(c0 + o, s00, va, vb); store4(c0 + o + 16, s01, va, vb);
      store4(c1 + o, s10, va, vb); store4(c1 + o + 16, s11, va, vb);
      store4(c2 + o, s20, va, vb); store4(c2 + o + 16, s21, va, vb);
      store4(c3 + o, s30, va, vb); store4(c3 + o + 16, s31, va, vb);
    }
    for (; j < n4; j += 4) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        const ko = <usize>k << 2;
        s0 = f32x4.add(s0, f32x4.mul(f32x4.splat(load<f32>(a0 + ko)), b0));
        s1 = f32x4.add(s1, f32x4.mul(f32x4.splat(load<f32>(a1 + ko)), b0));
        s2 = f32x4.add(s2, f32x4.mul(f32x4.splat(load<f32>(a2 + ko)), b0));
        s3 = f32x4.add(s3, f32x4.mul(f32x4.splat(load<f32>(a3 + ko)), b0));
        pb += rowB;
      }
      const o = <usize>j << 2;
      store4(c0 + o, s0, va, vb); store4(c1 + o, s1, va, vb);
      store4(c2 + o, s2, va, vb); store4(c3 + o, s3, va, vb);
    }
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) scalarDot(a0 + <usize>r * rowA, b + (<usize>j << 2), rowB, K, alpha, beta, c0 + <usize>r * rowB + (<usize>j << 2));
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * rowA;
    const ci = c + <usize>i * rowB;
    let j = 0;
    for (; j < n4; j += 4) {
      let s = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        s = f32x4.add(s, f32x4.mul(f32x4.splat(load<f32>(ai + (<usize>k << 2))), v128.load(pb)));
        pb += rowB;
      }
      store4(ci + (<usize>j << 2), s, va, vb);
    }
    for (; j < N; j++) scalarDot(ai, b + (<usize>j << 2), rowB, K, alpha, beta, ci + (<usize>j << 2));
  }
}

/** c[0..4) = alpha·s + beta·c (beta = 0 ignores c, so stale NaN never leaks). */
@inline function store4(p: usize, s: v128, va: v128, vb: v128): void {
  let r = f32x4.mul(va, s);
  if (f32x4.extract_lane(vb, 0) != 0) r = f32x4.add(r, f32x4.mul(vb, v128.load(p)));
  v128.store(p, r);
}

/** One entry: c = alpha·Σ_k a[k]·b[k·stride] + beta·c. */
@inline function scalarDot(a: usize, b: usize, stride: usize, K: i32, alpha: f32, beta: f32, c: usize): void {
  let s: f32 = 0;
  for (let k = 0; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + <usize>k * stride);
  store<f32>(c, alpha * s + (beta != 0 ? beta * load<f32>(c) : 0));
}

/**
 * Forward-normalised first M Fourier modes of `rows` real rows x [rows, N] (byte offset x), by the symmetric
 * fold a_n = x_n + x_{N−n}, d_n = x_n − x_{N−n} (n < H = ⌊N/2⌋+1) and two GEMMs with the [H, M] tables
 * cosT = cos(2πkn/N)/N and sinT = −sin(2πkn/N)/N: half the FLOPs of the full DFT matrix. Scratch a, d:
 * [rows, H] each; outputs re, im: [rows, M] each.
 */
export function dftForward(rows: i32, N: i32, M: i32, x: usize, cosT: usize, sinT: usize, a: usize, d: usize, re: usize, im: usize): void {
  const H = (N >> 1) + 1;
  for (let r = 0; r < rows; r++) {
    const xr = x + ((<usize>r * N) << 2);
    const ar = a + ((<usize>r * H) << 2);
    const dr = d + ((<usize>r * H) << 2);
    store<f32>(ar, load<f32>(xr));
    store<f32>(dr, 0);
    for (let n = 1; n < H; n++) {
      const u = load<f32>(xr + (<usize>n << 2));
      if (N - n == n) {
        store<f32>(ar + (<usize>n << 2), u);
        store<f32>(dr + (<usize>n << 2), 0);
      } else {
        const v = load<f32>(xr + (<usize>(N - n) << 2));
        store<f32>(ar + (<usize>n << 2), u + v);
        store<f32>(dr + (<usize>n << 2), u - v);
      }
    }
  }
  sgemm(rows, M, H, 1, a, cosT, 0, re);
  sgemm(rows, M, H, 1, d, sinT, 0, im);
}

/**
 * Inverse of `rows` spectra re, im [rows, M] to real rows out [rows, N]: out_n = Σ_k c_k (Re_k cos − Im_k sin)(2πkn/N)
 * over the Hermitian extension, from two GEMMs with the [M, H] tables cosT = c_k cos, sinT = c'_k sin
 * (c = 1 at DC and Nyquist, else 2; c' = 0 there) into C, S [rows, H], then out_n = C_n − S_n, out_{N−n} = C_n + S_n.
 */
export function dftInverse(rows: i32, N: i32, M: i32, re: usize, im: usize, cosT: usize, sinT: usize, c: usize, s: usize, out: usize): void {
  const H = (N >> 1) + 1;
  sgemm(rows, H, M, 1, re, cosT, 0, c);
  sgemm(rows, H, M, 1, im, sinT, 0, s);
  for (let r = 0; r < rows; r++) {
    const cr = c + ((<usize>r * H) << 2);
    const sr = s + ((<usize>r * H) << 2);
    const or = out + ((<usize>r * N) << 2);
    store<f32>(or, load<f32>(cr));
    for (let n = 1; n < H; n++) {
      const cv = load<f32>(cr + (<usize>n << 2)), sv = load<f32>(sr + (<usize>n << 2));
      store<f32>(or + (<usize>n << 2), cv - sv);
      if (N - n != n) store<f32>(or + (<usize>(N - n) << 2), cv + sv);
    }
  }
}
