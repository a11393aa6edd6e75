// saeno's WASM SIMD kernels (AssemblyScript, compiled by assembly/build.mjs into src/core/wasm/kernels.wasm.ts).
// Hand-written because V8 does not vectorise JS loops: f32x4 lanes give the float32 GEMM, the row FFTs and the
// spectral mode mixing their speed.
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
  gemmCore(M, N, K, alpha, a, <usize>K << 2, 4, b, beta, c, -1, 0, false, 0);
}

/**
 * C[M, N] = alpha·Aᵀ·B + beta·C with A stored [K, M] (row-major float32, byte offsets): `sgemm` reading A down
 * its columns, so a caller keeps a stack of rows as it is instead of transposing it. Each entry is summed in
 * the same order as `sgemm` on the transposed A.
 */
export function sgemmT(M: i32, N: i32, K: i32, alpha: f32, a: usize, b: usize, beta: f32, c: usize): void {
  gemmCore(M, N, K, alpha, a, 4, <usize>M << 2, b, beta, c, -1, 0, false, 0);
}

/**
 * out[M, N] = update of y = A[M, K]·B[K, N] by `emit4` op (1: prev + α·y, 2: S_θ(prev + α·y), 3: S_θ(α·y), 4: α·y;
 * prev: byte offset of rows shaped like out), fused into the GEMM's stores: one ISTA step u = z·M + b, z' = S_θ(u)
 * in one pass. K = 0 applies the update alone (y = 0: op 2 gives S_θ(prev)).
 */
export function sgemmUpdate(M: i32, N: i32, K: i32, a: usize, b: usize, out: usize, op: i32, alpha: f32, theta: f32, oneSided: bool, prev: usize): void {
  gemmCore(M, N, K, alpha, a, <usize>K << 2, 4, b, 0, out, op, theta, oneSided, prev - out);
}

/**
 * The GEMM loops behind `sgemm`, `sgemmT` and `sgemmUpdate`: A's entry (i, k) at a + i·sI + k·sK; results stored
 * by `store4` (op < 0: alpha·s + beta·c) or `emit4` (op ≥ 0, prev at byte distance dq from the output). Every
 * entry is the same f32 sum over k in order whatever the block, so a row gets the same bits in any row block.
 */
@inline function gemmCore(M: i32, N: i32, K: i32, alpha: f32, a: usize, sI: usize, sK: usize, b: usize, beta: f32, c: usize, op: i32, theta: f32, oneSided: bool, dq: usize): void {
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  const vt = f32x4.splat(theta);
  const n8 = N & ~7;
  const n4 = N & ~3;
  const rowB = <usize>N << 2;
  let i = 0;
  for (; i + 4 <= M; i += 4) {
    const a0 = a + <usize>i * sI;
    const a1 = a0 + sI, a2 = a1 + sI, a3 = a2 + sI;
    const c0 = c + <usize>i * rowB;
    const c1 = c0 + rowB, c2 = c1 + rowB, c3 = c2 + rowB;
    let j = 0;
    for (; j < n8; j += 8) {
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb), b1 = v128.load(pb, 16);
        const ko = <usize>k * sK;
        const x0 = v128.load32_splat(a0 + ko), x1 = v128.load32_splat(a1 + ko);
        const x2 = v128.load32_splat(a2 + ko), x3 = v128.load32_splat(a3 + ko);
        s00 = f32x4.add(s00, f32x4.mul(x0, b0)); s01 = f32x4.add(s01, f32x4.mul(x0, b1));
        s10 = f32x4.add(s10, f32x4.mul(x1, b0)); s11 = f32x4.add(s11, f32x4.mul(x1, b1));
        s20 = f32x4.add(s20, f32x4.mul(x2, b0)); s21 = f32x4.add(s21, f32x4.mul(x2, b1));
        s30 = f32x4.add(s30, f32x4.mul(x3, b0)); s31 = f32x4.add(s31, f32x4.mul(x3, b1));
        pb += rowB;
      }
      const o = <usize>j << 2;
      out4(c0 + o, s00, va, vb, op, vt, oneSided, dq); out4(c0 + o + 16, s01, va, vb, op, vt, oneSided, dq);
      out4(c1 + o, s10, va, vb, op, vt, oneSided, dq); out4(c1 + o + 16, s11, va, vb, op, vt, oneSided, dq);
      out4(c2 + o, s20, va, vb, op, vt, oneSided, dq); out4(c2 + o + 16, s21, va, vb, op, vt, oneSided, dq);
      out4(c3 + o, s30, va, vb, op, vt, oneSided, dq); out4(c3 + o + 16, s31, va, vb, op, vt, oneSided, dq);
    }
    for (; j < n4; j += 4) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(pb);
        const ko = <usize>k * sK;
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + ko), b0));
        s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + ko), b0));
        s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + ko), b0));
        s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + ko), b0));
        pb += rowB;
      }
      const o = <usize>j << 2;
      out4(c0 + o, s0, va, vb, op, vt, oneSided, dq); out4(c1 + o, s1, va, vb, op, vt, oneSided, dq);
      out4(c2 + o, s2, va, vb, op, vt, oneSided, dq); out4(c3 + o, s3, va, vb, op, vt, oneSided, dq);
    }
    for (; j < N; j++) {
      for (let r = 0; r < 4; r++) {
        const s = scalarDot(a0 + <usize>r * sI, sK, b + (<usize>j << 2), rowB, K);
        out1(c0 + <usize>r * rowB + (<usize>j << 2), s, alpha, beta, op, theta, oneSided, dq);
      }
    }
  }
  for (; i < M; i++) {
    const ai = a + <usize>i * sI;
    const ci = c + <usize>i * rowB;
    let j = 0;
    for (; j < n4; j += 4) {
      let s = f32x4.splat(0);
      let pb = b + (<usize>j << 2);
      for (let k = 0; k < K; k++) {
        s = f32x4.add(s, f32x4.mul(v128.load32_splat(ai + <usize>k * sK), v128.load(pb)));
        pb += rowB;
      }
      out4(ci + (<usize>j << 2), s, va, vb, op, vt, oneSided, dq);
    }
    for (; j < N; j++) out1(ci + (<usize>j << 2), scalarDot(ai, sK, b + (<usize>j << 2), rowB, K), alpha, beta, op, theta, oneSided, dq);
  }
}

/** Stores the sums s of four entries at p: `store4` when op < 0, else `emit4` with prev at p + dq. */
@inline function out4(p: usize, s: v128, va: v128, vb: v128, op: i32, vt: v128, oneSided: bool, dq: usize): void {
  if (op < 0) store4(p, s, va, vb);
  else emit4(p, p + dq, s, op, va, vt, oneSided);
}

/** The scalar `out4`. */
@inline function out1(p: usize, s: f32, alpha: f32, beta: f32, op: i32, theta: f32, oneSided: bool, dq: usize): void {
  if (op < 0) store<f32>(p, alpha * s + (beta != 0 ? beta * load<f32>(p) : 0));
  else emit1(p, p + dq, s, op, alpha, theta, oneSided);
}

/** c[0..4) = alpha·s + beta·c (beta = 0 ignores c, so stale NaN never leaks). */
@inline function store4(p: usize, s: v128, va: v128, vb: v128): void {
  let r = f32x4.mul(va, s);
  if (f32x4.extract_lane(vb, 0) != 0) r = f32x4.add(r, f32x4.mul(vb, v128.load(p)));
  v128.store(p, r);
}

/** One entry's sum Σ_k a[k·sa]·b[k·sb] (byte strides). */
@inline function scalarDot(a: usize, sa: usize, b: usize, sb: usize, K: i32): f32 {
  let s: f32 = 0;
  for (let k = 0; k < K; k++) s += load<f32>(a + <usize>k * sa) * load<f32>(b + <usize>k * sb);
  return s;
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
 * What the inverse transforms (`dftInverse`, `irfftRows`) do with each result y at its output place p, with q
 * the same place in the rows `prev` (q = p when prev is the output): op 0 stores y; 1: p = q + α·y; 2: the
 * ISTA step p = S_θ(q + α·y); 3: the first step p = S_θ(α·y) (two-sided, or one-sided max(u − θ, 0));
 * 4: p = α·y. Fusing the update saves a pass over the signals.
 */
@inline function emit4(p: usize, q: usize, y: v128, op: i32, va: v128, vt: v128, oneSided: bool): void {
  if (op == 0) {
    v128.store(p, y);
    return;
  }
  let u = f32x4.mul(va, y);
  if (op != 3 && op != 4) u = f32x4.add(v128.load(q), u);
  if (op == 1 || op == 4) {
    v128.store(p, u);
    return;
  }
  const zero = f32x4.splat(0);
  let r = f32x4.max(f32x4.sub(u, vt), zero);
  if (!oneSided) r = f32x4.add(r, f32x4.min(f32x4.add(u, vt), zero));
  v128.store(p, r);
}

/** The scalar `emit4`. */
@inline function emit1(p: usize, q: usize, y: f32, op: i32, alpha: f32, theta: f32, oneSided: bool): void {
  if (op == 0) {
    store<f32>(p, y);
    return;
  }
  const u: f32 = (op >= 3 ? 0 : load<f32>(q)) + alpha * y;
  store<f32>(p, op == 1 || op == 4 ? u : u > theta ? u - theta : !oneSided && u < -theta ? u + theta : 0);
}

/**
 * Inverse of `rows` spectra re, im [rows, M] to real rows out [rows, N]: out_n = Σ_k c_k (Re_k cos − Im_k sin)(2πkn/N)
 * over the Hermitian extension, from two GEMMs with the [M, H] tables cosT = c_k cos, sinT = c'_k sin
 * (c = 1 at DC and Nyquist, else 2; c' = 0 there) into C, S [rows, H], then out_n = C_n − S_n, out_{N−n} = C_n + S_n,
 * written by `emit1` with op (alpha, theta, oneSided, prev).
 */
export function dftInverse(rows: i32, N: i32, M: i32, re: usize, im: usize, cosT: usize, sinT: usize, c: usize, s: usize, out: usize, op: i32, alpha: f32, theta: f32, oneSided: bool, prev: usize): void {
  const dq = prev - out;
  const H = (N >> 1) + 1;
  sgemm(rows, H, M, 1, re, cosT, 0, c);
  sgemm(rows, H, M, 1, im, sinT, 0, s);
  for (let r = 0; r < rows; r++) {
    const cr = c + ((<usize>r * H) << 2);
    const sr = s + ((<usize>r * H) << 2);
    const or = out + ((<usize>r * N) << 2);
    emit1(or, or + dq, load<f32>(cr), op, alpha, theta, oneSided);
    for (let n = 1; n < H; n++) {
      const cv = load<f32>(cr + (<usize>n << 2)), sv = load<f32>(sr + (<usize>n << 2));
      const pn = or + (<usize>n << 2), pm = or + (<usize>(N - n) << 2);
      emit1(pn, pn + dq, cv - sv, op, alpha, theta, oneSided);
      if (N - n != n) emit1(pm, pm + dq, cv + sv, op, alpha, theta, oneSided);
    }
  }
}

/** (re, im) of the complex vector pair multiplied by the splatted scalar complex (wr, wi). */
@inline function cmulRe(xR: v128, xI: v128, wr: v128, wi: v128): v128 {
  return f32x4.sub(f32x4.mul(xR, wr), f32x4.mul(xI, wi));
}
@inline function cmulIm(xR: v128, xI: v128, wr: v128, wi: v128): v128 {
  return f32x4.add(f32x4.mul(xR, wi), f32x4.mul(xI, wr));
}

/**
 * Stockham complex FFT of length n (a power of two) on four lanes (four rows at once): element j of the data is
 * the f32x4 at (ar, ai) + 16·j. Radix-4 stages, and one radix-2 stage when log₂n is odd. Twiddles
 * (twr, twi)[j] = e^{−2πij/n}, j < n (conjugated for the inverse, unnormalised). Ping-pongs with (br, bi);
 * returns true when the result ends in (br, bi).
 */
function cfft4(n: i32, ar: usize, ai: usize, br: usize, bi: usize, twr: usize, twi: usize, inverse: bool): bool {
  let xr = ar, xi = ai, yr = br, yi = bi;
  let inB = false;
  let s = 1;
  let len = n;
  for (; len >= 4; len >>= 2) {
    const m = len >> 2;
    const ss = <usize>s << 4;
    for (let p = 0; p < m; p++) {
      const t1 = <usize>(p * s) << 2, t2 = <usize>(2 * p * s) << 2, t3 = <usize>(3 * p * s) << 2;
      const w1r = f32x4.splat(load<f32>(twr + t1)), w2r = f32x4.splat(load<f32>(twr + t2)), w3r = f32x4.splat(load<f32>(twr + t3));
      const g1 = load<f32>(twi + t1), g2 = load<f32>(twi + t2), g3 = load<f32>(twi + t3);
      const w1i = f32x4.splat(inverse ? -g1 : g1), w2i = f32x4.splat(inverse ? -g2 : g2), w3i = f32x4.splat(inverse ? -g3 : g3);
      for (let q = 0; q < s; q++) {
        const ia = <usize>(q + s * p) << 4, ib = ia + (<usize>(s * m) << 4), ic = ib + (<usize>(s * m) << 4), id = ic + (<usize>(s * m) << 4);
        const aR = v128.load(xr + ia), aI = v128.load(xi + ia), bR = v128.load(xr + ib), bI = v128.load(xi + ib);
        const cR = v128.load(xr + ic), cI = v128.load(xi + ic), dR = v128.load(xr + id), dI = v128.load(xi + id);
        const apcR = f32x4.add(aR, cR), apcI = f32x4.add(aI, cI), amcR = f32x4.sub(aR, cR), amcI = f32x4.sub(aI, cI);
        const bpdR = f32x4.add(bR, dR), bpdI = f32x4.add(bI, dI);
        // j = i·(b − d), with the sign of i flipped for the inverse
        let jR = f32x4.sub(dI, bI), jI = f32x4.sub(bR, dR);
        if (inverse) { jR = f32x4.neg(jR); jI = f32x4.neg(jI); }
        const o0 = <usize>(q + 4 * s * p) << 4;
        v128.store(yr + o0, f32x4.add(apcR, bpdR));
        v128.store(yi + o0, f32x4.add(apcI, bpdI));
        const x1R = f32x4.sub(amcR, jR), x1I = f32x4.sub(amcI, jI);
        v128.store(yr + o0 + ss, cmulRe(x1R, x1I, w1r, w1i));
        v128.store(yi + o0 + ss, cmulIm(x1R, x1I, w1r, w1i));
        const x2R = f32x4.sub(apcR, bpdR), x2I = f32x4.sub(apcI, bpdI);
        v128.store(yr + o0 + 2 * ss, cmulRe(x2R, x2I, w2r, w2i));
        v128.store(yi + o0 + 2 * ss, cmulIm(x2R, x2I, w2r, w2i));
        const x3R = f32x4.add(amcR, jR), x3I = f32x4.add(amcI, jI);
        v128.store(yr + o0 + 3 * ss, cmulRe(x3R, x3I, w3r, w3i));
        v128.store(yi + o0 + 3 * ss, cmulIm(x3R, x3I, w3r, w3i));
      }
    }
    const tr = xr, ti = xi;
    xr = yr; xi = yi; yr = tr; yi = ti;
    inB = !inB;
    s <<= 2;
  }
  if (len == 2) {
    // last stage: twiddle 1
    for (let q = 0; q < s; q++) {
      const ia = <usize>q << 4, ib = <usize>(q + s) << 4;
      const aR = v128.load(xr + ia), aI = v128.load(xi + ia), bR = v128.load(xr + ib), bI = v128.load(xi + ib);
      v128.store(yr + ia, f32x4.add(aR, bR));
      v128.store(yi + ia, f32x4.add(aI, bI));
      v128.store(yr + ib, f32x4.sub(aR, bR));
      v128.store(yi + ib, f32x4.sub(aI, bI));
    }
    inB = !inB;
  }
  return inB;
}

/**
 * Real FFT of `rows` rows x [rows, N] (N a power of two ≥ 4), four rows per SIMD pass: even/odd samples packed
 * as one complex row of length h = N/2, `cfft4`, then the real split X_k = ½(Z_k + conj Z_{h−k}) − ½i·w_k(Z_k −
 * conj Z_{h−k}), w_k = e^{−2πik/N} = (wr, wi)[k], k ≤ h/2. Writes the first M modes × scale to re, im [rows, ld]
 * (ld ≥ M, a multiple of 4, ≤ h + 4; entries M … ld − 1 of each row zeroed). With mask ≠ 0 (byte offset of z [rows, N]) the rows are first
 * masked in place, x = x ⊙ [z ≠ 0], and Σ x·sign(z) is returned (else 0). Scratch `buf`: 6·h + 8 f32x4.
 */
export function rfftRows(rows: i32, N: i32, M: i32, ld: i32, scale: f32, x: usize, re: usize, im: usize, twr: usize, twi: usize, wr: usize, wi: usize, buf: usize, mask: usize): f64 {
  let acc = f32x4.splat(0);
  const h = N >> 1;
  const vb = <usize>h << 4;
  // staging (sr, si): h + 4 vectors each (modes up to ld − 1 ≤ h + 3)
  const ar = buf, ai = buf + vb, br = buf + 2 * vb, bi = buf + 3 * vb, sr = buf + 4 * vb, si = sr + vb + 64;
  for (let g = 0; g < rows; g += 4) {
    const nr = min(4, rows - g);
    // samples 2m … 2m + 3 of the four rows, transposed: (re, im) of complex elements m and m + 1
    const row = <usize>N << 2;
    const x0 = x + <usize>g * row;
    for (let m = 0; m < h; m += 2) {
      const o = <usize>(2 * m) << 2;
      const zero = f32x4.splat(0);
      let a0 = v128.load(x0 + o);
      let a1 = nr > 1 ? v128.load(x0 + row + o) : zero;
      let a2 = nr > 2 ? v128.load(x0 + 2 * row + o) : zero;
      let a3 = nr > 3 ? v128.load(x0 + 3 * row + o) : zero;
      if (mask) {
        const z0 = mask + <usize>g * row + o;
        a0 = masked(x0 + o, z0, a0, nr > 0); a1 = masked(x0 + row + o, z0 + row, a1, nr > 1);
        a2 = masked(x0 + 2 * row + o, z0 + 2 * row, a2, nr > 2); a3 = masked(x0 + 3 * row + o, z0 + 3 * row, a3, nr > 3);
        acc = f32x4.add(acc, f32x4.add(f32x4.add(signed(a0, z0, nr > 0), signed(a1, z0 + row, nr > 1)), f32x4.add(signed(a2, z0 + 2 * row, nr > 2), signed(a3, z0 + 3 * row, nr > 3))));
      }
      const l01 = i32x4.shuffle(a0, a1, 0, 4, 1, 5), h01 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
      const l23 = i32x4.shuffle(a2, a3, 0, 4, 1, 5), h23 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
      const mm = <usize>m << 4;
      v128.store(ar + mm, i32x4.shuffle(l01, l23, 0, 1, 4, 5));
      v128.store(ai + mm, i32x4.shuffle(l01, l23, 2, 3, 6, 7));
      v128.store(ar + mm + 16, i32x4.shuffle(h01, h23, 0, 1, 4, 5));
      v128.store(ai + mm + 16, i32x4.shuffle(h01, h23, 2, 3, 6, 7));
    }
    const inB = cfft4(h, ar, ai, br, bi, twr, twi, false);
    const zr = inB ? br : ar, zi = inB ? bi : ai;
    const hs = f32x4.splat(0.5 * scale);
    // modes as vectors over the group's rows into (sr, si), then 4×4 transposes into the rows of re, im
    const z0r = v128.load(zr), z0i = v128.load(zi), vs = f32x4.splat(scale), zero = f32x4.splat(0);
    v128.store(sr, f32x4.mul(f32x4.add(z0r, z0i), vs));
    v128.store(si, zero);
    if (M > h) {
      v128.store(sr + vb, f32x4.mul(f32x4.sub(z0r, z0i), vs));
      v128.store(si + vb, zero);
    }
    for (let k = M; k < ld; k++) {
      v128.store(sr + (<usize>k << 4), zero);
      v128.store(si + (<usize>k << 4), zero);
    }
    const top = min(M - 1, h >> 1);
    for (let k = 1; k <= top; k++) {
      const q = h - k;
      const kk = <usize>k << 4, qq = <usize>q << 4;
      const aR = v128.load(zr + kk), aI = v128.load(zi + kk), bR = v128.load(zr + qq), bI = f32x4.neg(v128.load(zi + qq));
      const sR = f32x4.add(aR, bR), sI = f32x4.add(aI, bI), dR = f32x4.sub(aR, bR), dI = f32x4.sub(aI, bI);
      const c = f32x4.splat(load<f32>(wr + (<usize>k << 2))), s = f32x4.splat(load<f32>(wi + (<usize>k << 2)));
      const tR = f32x4.add(f32x4.mul(c, dI), f32x4.mul(s, dR)), tI = f32x4.sub(f32x4.mul(s, dI), f32x4.mul(c, dR));
      v128.store(sr + kk, f32x4.mul(f32x4.add(sR, tR), hs));
      v128.store(si + kk, f32x4.mul(f32x4.add(sI, tI), hs));
      if (q < M) {
        v128.store(sr + qq, f32x4.mul(f32x4.sub(sR, tR), hs));
        v128.store(si + qq, f32x4.mul(f32x4.sub(tI, sI), hs));
      }
    }
    const o = (<usize>g * ld) << 2, stride = <usize>ld << 2;
    for (let k = 0; k < ld; k += 4) {
      const kk = <usize>k << 4, kb = <usize>k << 2;
      transpose4(v128.load(sr + kk), v128.load(sr + kk + 16), v128.load(sr + kk + 32), v128.load(sr + kk + 48), re + o + kb, stride, nr);
      transpose4(v128.load(si + kk), v128.load(si + kk + 16), v128.load(si + kk + 32), v128.load(si + kk + 48), im + o + kb, stride, nr);
    }
  }
  return <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
}

/** a ⊙ [z ≠ 0] with z at zp, stored back to xp (for a live row; a dead row's a is 0 and nothing is touched). */
@inline function masked(xp: usize, zp: usize, a: v128, live: bool): v128 {
  if (!live) return a;
  const g = v128.and(a, f32x4.ne(v128.load(zp), f32x4.splat(0)));
  v128.store(xp, g);
  return g;
}

/** g·sign(z) with z at zp (0 for a dead row). */
@inline function signed(g: v128, zp: usize, live: bool): v128 {
  if (!live) return f32x4.splat(0);
  return v128.bitselect(g, f32x4.neg(g), f32x4.gt(v128.load(zp), f32x4.splat(0)));
}

/**
 * The 4×4 transpose of the vectors v0…v3 (lane r of v_j → lane j of result r); stores the first n results at
 * p, p + stride, …
 */
@inline function transpose4(v0: v128, v1: v128, v2: v128, v3: v128, p: usize, stride: usize, n: i32): void {
  const t0 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), t1 = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(v2, v3, 0, 4, 1, 5), t3 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
  v128.store(p, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  if (n > 1) v128.store(p + stride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  if (n > 2) v128.store(p + 2 * stride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  if (n > 3) v128.store(p + 3 * stride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Inverse of `rfftRows` (unnormalised): out[rows, N] = Σ_k X_k e^{2πikn/N} over the Hermitian extension from the
 * first M modes re, im [rows, ld] (imaginary parts of k = 0 and Nyquist ignored): merge into a complex row of
 * length h, inverse `cfft4`, unpack even/odd samples, written by `emit4` with op (alpha, theta, oneSided, prev).
 * ld as in `rfftRows`. Scratch `buf`: 6·h + 8 f32x4.
 */
export function irfftRows(rows: i32, N: i32, M: i32, ld: i32, re: usize, im: usize, out: usize, twr: usize, twi: usize, wr: usize, wi: usize, buf: usize, op: i32, alpha: f32, theta: f32, oneSided: bool, prev: usize): void {
  const va = f32x4.splat(alpha), vt = f32x4.splat(theta), dq = prev - out;
  const h = N >> 1;
  const vb = <usize>h << 4;
  const ar = buf, ai = buf + vb, br = buf + 2 * vb, bi = buf + 3 * vb, sr = buf + 4 * vb, si = sr + vb + 64;
  for (let g = 0; g < rows; g += 4) {
    const nr = min(4, rows - g);
    // the group's rows of X as vectors over rows (4×4 transposes) into (sr, si), zero beyond the last row;
    // then merged pairwise, where pairs with k ≥ M (so h − k ≥ M too) are zero
    const o = (<usize>g * ld) << 2, stride = <usize>ld << 2;
    const zero = f32x4.splat(0);
    for (let k = 0; k < ld; k += 4) {
      const kb = <usize>k << 2, kk = <usize>k << 4;
      const pr = re + o + kb, pi = im + o + kb;
      transpose4(v128.load(pr), nr > 1 ? v128.load(pr + stride) : zero, nr > 2 ? v128.load(pr + 2 * stride) : zero, nr > 3 ? v128.load(pr + 3 * stride) : zero, sr + kk, 16, 4);
      transpose4(v128.load(pi), nr > 1 ? v128.load(pi + stride) : zero, nr > 2 ? v128.load(pi + 2 * stride) : zero, nr > 3 ? v128.load(pi + 3 * stride) : zero, si + kk, 16, 4);
    }
    const x0 = v128.load(sr), xh = M > h ? v128.load(sr + vb) : zero;
    v128.store(ar, f32x4.add(x0, xh));
    v128.store(ai, f32x4.sub(x0, xh));
    for (let k = 1, q = h - 1; k <= q; k++, q--) {
      const kk = <usize>k << 4, qq = <usize>q << 4;
      if (k >= M) {
        v128.store(ar + kk, zero);
        v128.store(ai + kk, zero);
        v128.store(ar + qq, zero);
        v128.store(ai + qq, zero);
        continue;
      }
      const aR = v128.load(sr + kk), aI = v128.load(si + kk);
      const bR = q < M ? v128.load(sr + qq) : zero, bI = q < M ? f32x4.neg(v128.load(si + qq)) : zero;
      const sR = f32x4.add(aR, bR), sI = f32x4.add(aI, bI), dR = f32x4.sub(aR, bR), dI = f32x4.sub(aI, bI);
      const c = f32x4.splat(load<f32>(wr + (<usize>k << 2))), s = f32x4.splat(load<f32>(wi + (<usize>k << 2)));
      const uR = f32x4.sub(f32x4.mul(dR, s), f32x4.mul(dI, c)), uI = f32x4.add(f32x4.mul(dR, c), f32x4.mul(dI, s));
      v128.store(ar + kk, f32x4.add(sR, uR));
      v128.store(ai + kk, f32x4.add(sI, uI));
      v128.store(ar + qq, f32x4.sub(sR, uR));
      v128.store(ai + qq, f32x4.sub(uI, sI));
    }
    const inB = cfft4(h, ar, ai, br, bi, twr, twi, true);
    const yr = inB ? br : ar, yi = inB ? bi : ai;
    // complex elements m, m + 1 → samples 2m … 2m + 3 of the four rows (transpose)
    const row = <usize>N << 2;
    const o0 = out + <usize>g * row;
    for (let m = 0; m < h; m += 2) {
      const mm = <usize>m << 4;
      const a0 = v128.load(yr + mm), a1 = v128.load(yi + mm), a2 = v128.load(yr + mm + 16), a3 = v128.load(yi + mm + 16);
      const l01 = i32x4.shuffle(a0, a1, 0, 4, 1, 5), h01 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
      const l23 = i32x4.shuffle(a2, a3, 0, 4, 1, 5), h23 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
      const p = o0 + (<usize>(2 * m) << 2);
      emit4(p, p + dq, i32x4.shuffle(l01, l23, 0, 1, 4, 5), op, va, vt, oneSided);
      if (nr > 1) emit4(p + row, p + row + dq, i32x4.shuffle(l01, l23, 2, 3, 6, 7), op, va, vt, oneSided);
      if (nr > 2) emit4(p + 2 * row, p + 2 * row + dq, i32x4.shuffle(h01, h23, 0, 1, 4, 5), op, va, vt, oneSided);
      if (nr > 3) emit4(p + 3 * row, p + 3 * row + dq, i32x4.shuffle(h01, h23, 2, 3, 6, 7), op, va, vt, oneSided);
    }
  }
}

/** gu = gz ⊙ [z ≠ 0] in place on gz (n floats); returns Σ gu·sign(z). */
export function maskGrad(gz: usize, z: usize, n: i32): f64 {
  return maskCore(gz, z, n, 0, 0);
}

/**
 * `maskGrad` fused with what the dense Gram backward does next to it: also gb += gu (n floats at gb), and a copy
 * of gu at stack when stack ≠ 0. One pass instead of three.
 */
export function maskAccumulate(gz: usize, z: usize, n: i32, gb: usize, stack: usize): f64 {
  return maskCore(gz, z, n, gb, stack);
}

/** The loop of `maskGrad` and `maskAccumulate` (gb, stack = 0: not written); θ sums in four f32 lanes, then f64. */
@inline function maskCore(gz: usize, z: usize, n: i32, gb: usize, stack: usize): f64 {
  const zero = f32x4.splat(0);
  let acc = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const zv = v128.load(z + o);
    const g = v128.and(v128.load(gz + o), f32x4.ne(zv, zero));
    v128.store(gz + o, g);
    if (gb) v128.store(gb + o, f32x4.add(v128.load(gb + o), g));
    if (stack) v128.store(stack + o, g);
    acc = f32x4.add(acc, v128.bitselect(g, f32x4.neg(g), f32x4.gt(zv, zero)));
  }
  let s: f64 = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) + <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const zv = load<f32>(z + o);
    const g: f32 = zv == 0 ? 0 : load<f32>(gz + o);
    store<f32>(gz + o, g);
    if (gb) store<f32>(gb + o, load<f32>(gb + o) + g);
    if (stack) store<f32>(stack + o, g);
    if (zv != 0) s += zv > 0 ? g : -g;
  }
  return s;
}

/** y += a·x on n floats. */
export function axpy(y: usize, x: usize, n: i32, a: f32): void {
  const va = f32x4.splat(a);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

/**
 * Complex mode mixing of nb samples, SIMD over the modes k (rows of ld floats, ld a multiple of 4, re and im in
 * separate arrays): Y[b, d] = Σ_s op(W)[d, s] ⊙ S[b, s] with op(W)[d, s] = W[d, s] (W: [dst, src, ld]) or, when
 * adjoint, conj(W[s, d]) (W: [src, dst, ld]); S: [nb, src, ld], Y: [nb, dst, ld]. With sub, Y = X − that
 * (X: [nb, dst, ld], not overlapping Y). Streams over k per pair of source channels.
 */
export function cmix(nb: i32, src: i32, dst: i32, ld: i32, wr: usize, wi: usize, adjoint: bool, sr: usize, si: usize, yr: usize, yi: usize, sub: bool, xr: usize, xi: usize): void {
  // one specialised copy of the loop per (adjoint, sub), so the inner loop branches only on constants
  if (adjoint) {
    if (sub) cmixLoop(nb, src, dst, ld, wr, wi, true, sr, si, yr, yi, true, xr, xi);
    else cmixLoop(nb, src, dst, ld, wr, wi, true, sr, si, yr, yi, false, xr, xi);
  } else if (sub) cmixLoop(nb, src, dst, ld, wr, wi, false, sr, si, yr, yi, true, xr, xi);
  else cmixLoop(nb, src, dst, ld, wr, wi, false, sr, si, yr, yi, false, xr, xi);
}

@inline function cmixLoop(nb: i32, src: i32, dst: i32, ld: i32, wr: usize, wi: usize, adjoint: bool, sr: usize, si: usize, yr: usize, yi: usize, sub: bool, xr: usize, xi: usize): void {
  const row = <usize>ld << 2;
  const wd = adjoint ? row : <usize>src * row, ws = adjoint ? <usize>dst * row : row;
  for (let b = 0; b < nb; b++) {
    const sb = <usize>b * src * row, yb = <usize>b * dst * row;
    for (let d = 0; d < dst; d++) {
      const pyr = yr + yb + <usize>d * row, pyi = yi + yb + <usize>d * row;
      const pxr = xr + yb + <usize>d * row, pxi = xi + yb + <usize>d * row;
      // source channels in pairs with register accumulators; each pair's sums go to Y (the first pair writes)
      for (let s = 0; s < src; s += 2) {
        const two = s + 1 < src;
        const w0r = wr + <usize>d * wd + <usize>s * ws, w0i = wi + <usize>d * wd + <usize>s * ws;
        const s0r = sr + sb + <usize>s * row, s0i = si + sb + <usize>s * row;
        for (let k: usize = 0; k < row; k += 16) {
          let cr = v128.load(w0r + k), ci = v128.load(w0i + k), zr = v128.load(s0r + k), zi = v128.load(s0i + k);
          let ar: v128, ai: v128;
          if (adjoint) {
            ar = f32x4.add(f32x4.mul(cr, zr), f32x4.mul(ci, zi));
            ai = f32x4.sub(f32x4.mul(cr, zi), f32x4.mul(ci, zr));
          } else {
            ar = f32x4.sub(f32x4.mul(cr, zr), f32x4.mul(ci, zi));
            ai = f32x4.add(f32x4.mul(cr, zi), f32x4.mul(ci, zr));
          }
          if (two) {
            cr = v128.load(w0r + ws + k); ci = v128.load(w0i + ws + k); zr = v128.load(s0r + row + k); zi = v128.load(s0i + row + k);
            if (adjoint) {
              ar = f32x4.add(ar, f32x4.add(f32x4.mul(cr, zr), f32x4.mul(ci, zi)));
              ai = f32x4.add(ai, f32x4.sub(f32x4.mul(cr, zi), f32x4.mul(ci, zr)));
            } else {
              ar = f32x4.add(ar, f32x4.sub(f32x4.mul(cr, zr), f32x4.mul(ci, zi)));
              ai = f32x4.add(ai, f32x4.add(f32x4.mul(cr, zi), f32x4.mul(ci, zr)));
            }
          }
          if (s > 0) {
            ar = f32x4.add(v128.load(pyr + k), ar);
            ai = f32x4.add(v128.load(pyi + k), ai);
          }
          if (sub && s + 2 >= src) {
            ar = f32x4.sub(v128.load(pxr + k), ar);
            ai = f32x4.sub(v128.load(pxi + k), ai);
          }
          v128.store(pyr + k, ar);
          v128.store(pyi + k, ai);
        }
      }
    }
  }
}

/**
 * Per-mode outer products summed over nb samples, SIMD over k: acc[j, a] += sign·Σ_b A[b, a] ⊙ conj(Bm[b, j])
 * with A: [nb, na, ld], Bm: [nb, nj, ld], acc: [nj, na, ld] (ld a multiple of 4).
 */
export function couter(nb: i32, na: i32, nj: i32, ld: i32, ar: usize, ai: usize, br: usize, bi: usize, accR: usize, accI: usize, negate: bool): void {
  const row = <usize>ld << 2;
  const sa = <usize>na * row, sbm = <usize>nj * row;
  for (let j = 0; j < nj; j++) {
    for (let a = 0; a < na; a++) {
      const o = (<usize>j * na + a) * row;
      for (let k: usize = 0; k < row; k += 16) {
        let sr = f32x4.splat(0), si = f32x4.splat(0);
        let ao = <usize>a * row + k, bo = <usize>j * row + k;
        for (let b = 0; b < nb; b++, ao += sa, bo += sbm) {
          const xr = v128.load(ar + ao), xi = v128.load(ai + ao), yr = v128.load(br + bo), yi = v128.load(bi + bo);
          sr = f32x4.add(sr, f32x4.add(f32x4.mul(xr, yr), f32x4.mul(xi, yi)));
          si = f32x4.add(si, f32x4.sub(f32x4.mul(xi, yr), f32x4.mul(xr, yi)));
        }
        const pr = v128.load(accR + o + k), pi = v128.load(accI + o + k);
        v128.store(accR + o + k, negate ? f32x4.sub(pr, sr) : f32x4.add(pr, sr));
        v128.store(accI + o + k, negate ? f32x4.sub(pi, si) : f32x4.add(pi, si));
      }
    }
  }
}
