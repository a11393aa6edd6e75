/**
 * Fused unrolled-ISTA kernels (SPEC §4): the whole encoder z^T = ISTA_T(D, x) and its exact backward on
 * typed arrays, with no intermediate tensors per iteration. Hand-written because the composed-op tape
 * costs an allocation and a pass over memory per op and iteration; here each iteration is one pass.
 *
 * Step t = 1…T: u^t = z^{t−1} + α·Dᵀ(x − D z^{t−1}) (z⁰ = 0), z^t = S_θ(u^t). Backward, with gu = gz^t ⊙ [z^t ≠ 0]:
 *   gz^{t−1} = gu − α·DᵀD gu,   gx += α·D gu,   gθ −= Σ gu·sign(z^t),
 *   gD += α·(∂_D⟨D gu, r^t⟩ − ∂_D⟨D z^{t−1}, D gu⟩)  with r^t = x − D z^{t−1}.
 * Dense D uses GEMMs over the batch; spectral (FNO) and circular-conv (CNN, all modes) D stay in the Fourier
 * domain between the FFT of z and the inverse FFT of Dᵀ(x − Dz), so no D z is ever formed in signal space.
 */
import type { FloatArray } from '../tensor.js';
import { getRealFFTPlan, type RealFFT } from './fft.js';
import { gemm } from './matmul.js';
import { mixModes, modeGradFactors } from './spectral.js';

/** Iteration count T ≥ 1, step α, threshold θ = α·λ ≥ 0, one- or two-sided shrinkage. */
export interface IstaSettings {
  T: number;
  alpha: number;
  theta: number;
  oneSided: boolean;
}

/** z = S_θ(u) for `n` entries: out[o..] from u[uo..]. */
function shrinkInto(u: ArrayLike<number>, uo: number, n: number, theta: number, oneSided: boolean, out: FloatArray, o: number): void {
  if (oneSided) {
    for (let i = 0; i < n; i++) {
      const v = u[uo + i];
      out[o + i] = v > theta ? v - theta : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = u[uo + i];
      out[o + i] = v > theta ? v - theta : v < -theta ? v + theta : 0;
    }
  }
}

/**
 * gu = gz ⊙ [z ≠ 0] in place on gz[go..go+n) (z at zo); returns Σ gu·sign(z) (−∂L/∂θ's share).
 */
function maskGrad(gz: FloatArray, go: number, z: ArrayLike<number>, zo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = z[zo + i];
    if (v === 0) gz[go + i] = 0;
    else s += v > 0 ? gz[go + i] : -gz[go + i];
  }
  return s;
}

/** Grows a buffer to at least `n` entries (same type), keeping nothing. */
function grow<A extends FloatArray>(a: A, n: number): A {
  if (a.length >= n) return a;
  return (a instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as A;
}

// ------------------------------------------------------------------------------------------------ dense

/**
 * Dense ISTA tape: x [B, m], D [m, p] → z^T [B, p]. When p ≤ 2m each step is one GEMM with the Gram
 * operator, u = z·(I − αDᵀD) + α·xD (as many FLOPs as D then Dᵀ, one pass); otherwise u = z + α·(x − zDᵀ)D.
 * Keeps every iterate (and, in the direct form, every residual) for the backward.
 */
export class DenseIsta {
  readonly gram: boolean;
  /** z^t for t = 1…T: [T, B, p] */
  zs: FloatArray;
  /** direct form: r^t = x − D z^{t−1} for t = 1…T, [T, B, m]; Gram form: I − αDᵀD [p, p] */
  aux: FloatArray;
  /** Gram form: α·xD [B, p] */
  bx: FloatArray;
  /** settings of the last forward (the backward uses the same) */
  s: IstaSettings = { T: 1, alpha: 1, theta: 0, oneSided: false };
  private u: FloatArray;
  private g: FloatArray;
  private h: FloatArray;

  constructor(readonly B: number, readonly m: number, readonly p: number, readonly T: number, make: (n: number) => FloatArray) {
    this.gram = p <= 2 * m;
    this.zs = make(T * B * p);
    this.aux = make(this.gram ? p * p : T * B * m);
    this.bx = make(this.gram ? B * p : 0);
    this.u = make(B * p);
    this.g = make(Math.max(B * p, B * m));
    this.h = make(B * p);
  }

  /** Runs the forward with settings `s` (s.T = the tape's T); returns the view of z^T in the tape. */
  forward(x: ArrayLike<number>, D: ArrayLike<number>, s: IstaSettings): FloatArray {
    this.s = s;
    const { B, m, p, zs, u } = this;
    const { T, alpha, theta, oneSided } = s;
    const bp = B * p;
    if (this.gram) {
      const G = this.aux;
      gemm(true, false, p, p, m, -alpha, D, D, 0, G);
      for (let i = 0; i < p; i++) G[i * p + i] += 1;
      gemm(false, false, B, p, m, alpha, x, D, 0, this.bx);
      shrinkInto(this.bx, 0, bp, theta, oneSided, zs, 0);
      for (let t = 2; t <= T; t++) {
        u.set(this.bx);
        gemm(false, false, B, p, p, 1, zs.subarray((t - 2) * bp, (t - 1) * bp), G, 1, u);
        shrinkInto(u, 0, bp, theta, oneSided, zs, (t - 1) * bp);
      }
    } else {
      const bm = B * m;
      for (let t = 1; t <= T; t++) {
        const r = this.aux.subarray((t - 1) * bm, t * bm);
        r.set(x as FloatArray);
        if (t > 1) gemm(false, true, B, m, p, -1, zs.subarray((t - 2) * bp, (t - 1) * bp), D, 1, r);
        if (t > 1) u.set(zs.subarray((t - 2) * bp, (t - 1) * bp));
        else u.fill(0);
        gemm(false, false, B, p, m, alpha, r, D, 1, u);
        shrinkInto(u, 0, bp, theta, oneSided, zs, (t - 1) * bp);
      }
    }
    return zs.subarray((T - 1) * bp, T * bp);
  }

  /**
   * Backward from gzT [B, p]: accumulates into gD [m, p] and gx [B, m] (each when non-null); returns ∂L/∂θ.
   */
  backward(gzT: ArrayLike<number>, x: ArrayLike<number>, D: ArrayLike<number>, gD: FloatArray | null, gx: FloatArray | null): number {
    const { B, m, p, s, zs } = this;
    const { T, alpha } = s;
    const bp = B * p;
    const gz = this.u;
    gz.set(gzT as FloatArray);
    let gTheta = 0;
    if (this.gram) {
      // gb = Σ_t gu^t; gM = Σ_{t≥2} z^{t−1}ᵀ gu^t; gz^{t−1} = gu^t·M (M symmetric)
      const G = this.aux;
      const gb = this.g.subarray(0, bp);
      gb.fill(0);
      const gM = gD ? new Float64Array(p * p) : null;
      for (let t = T; t >= 1; t--) {
        gTheta -= maskGrad(gz, 0, zs, (t - 1) * bp, bp);
        for (let i = 0; i < bp; i++) gb[i] += gz[i];
        if (t === 1) break;
        const zPrev = zs.subarray((t - 2) * bp, (t - 1) * bp);
        if (gM) gemm(true, false, p, p, B, 1, zPrev, gz, 1, gM);
        // gz ← gu·M
        gemm(false, false, B, p, p, 1, gz, G, 0, this.h);
        gz.set(this.h);
      }
      if (gD) {
        // M = I − αDᵀD ⇒ gD −= α·D(gM + gMᵀ); b = α·xD ⇒ gD += α·xᵀgb
        const sym = new Float64Array(p * p);
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) sym[i * p + j] = (gM as Float64Array)[i * p + j] + (gM as Float64Array)[j * p + i];
        gemm(false, false, m, p, p, -alpha, D, sym, 1, gD);
        gemm(true, false, m, p, B, alpha, x, gb, 1, gD);
      }
      if (gx) gemm(false, true, B, m, p, alpha, gb, D, 1, gx);
    } else {
      const bm = B * m;
      const q = this.g.subarray(0, bm);
      for (let t = T; t >= 1; t--) {
        gTheta -= maskGrad(gz, 0, zs, (t - 1) * bp, bp);
        // q = D gu (rows: gu·Dᵀ)
        gemm(false, true, B, m, p, 1, gz, D, 0, q);
        if (gx) for (let i = 0; i < bm; i++) gx[i] += alpha * q[i];
        if (gD) {
          gemm(true, false, m, p, B, alpha, this.aux.subarray((t - 1) * bm, t * bm), gz, 1, gD);
          if (t > 1) gemm(true, false, m, p, B, -alpha, q, zs.subarray((t - 2) * bp, (t - 1) * bp), 1, gD);
        }
        if (t === 1) break;
        gemm(false, false, B, p, m, -alpha, q, D, 1, gz);
      }
    }
    return gTheta;
  }
}

// --------------------------------------------------------------------------------------------- spectral

/**
 * Spectral ISTA tape for a Fourier-multiplier dictionary w [cout, C, M] (SAE-FNO; SAE-CNN with w = DFT of the
 * kernels and all ⌊N/2⌋+1 modes): x [B, cout, N] → z^T [B, C, N]. Per sample and step: one pruned real FFT of
 * z's C channels, the residual R = X − W·Z and G = Wᴴ·R on M modes, one inverse FFT of C channels. Keeps z^t,
 * the spectra Z^t and the residual spectra R^t of every step for the backward. Samples are independent, so
 * forward and backward take a range [b0, b1) (the unit of data-parallel work).
 */
export class SpectralIsta {
  /** z^t for t = 1…T: [T, B, C, N] */
  readonly zs: FloatArray;
  /** forward-normalised spectra of z^t, slot t = 0…T−1 (slot 0 unused: z⁰ = 0): [T, B, C, M] */
  private readonly Zr: Float64Array;
  private readonly Zi: Float64Array;
  /** residual spectra R^{t+1} = X − W·Z^t, slot t = 0…T−1 (slot 0 = X): [T, B, cout, M] */
  private readonly Rr: Float64Array;
  private readonly Ri: Float64Array;
  /** settings of the last forward (the backward uses the same) */
  s: IstaSettings = { T: 1, alpha: 1, theta: 0, oneSided: false };
  private readonly fft: RealFFT;
  private readonly fr: Float64Array;
  private readonly fi: Float64Array;
  // per-sample scratch: signals [C, N] and spectra [max(C, cout), M]
  private sig = new Float64Array(0);
  private sig2 = new Float64Array(0);
  private sr = new Float64Array(0);
  private si = new Float64Array(0);
  private qr = new Float64Array(0);
  private qi = new Float64Array(0);
  private gxr = new Float64Array(0);
  private gxi = new Float64Array(0);

  constructor(readonly B: number, readonly C: number, readonly cout: number, readonly N: number, readonly M: number, readonly T: number, make: (n: number) => FloatArray) {
    this.zs = make(T * B * C * N);
    this.Zr = new Float64Array(T * B * C * M);
    this.Zi = new Float64Array(T * B * C * M);
    this.Rr = new Float64Array(T * B * cout * M);
    this.Ri = new Float64Array(T * B * cout * M);
    this.fft = getRealFFTPlan(N);
    ({ re: this.fr, im: this.fi } = modeGradFactors(N, M));
  }

  private scratch(): void {
    const { C, cout, N, M } = this;
    const ch = Math.max(C, cout);
    this.sig = grow(this.sig, ch * N);
    this.sig2 = grow(this.sig2, C * N);
    this.sr = grow(this.sr, ch * M);
    this.si = grow(this.si, ch * M);
    this.qr = grow(this.qr, cout * M);
    this.qi = grow(this.qi, cout * M);
    this.gxr = grow(this.gxr, cout * M);
    this.gxi = grow(this.gxi, cout * M);
  }

  /** Zeroes the imaginary parts at k = 0 and Nyquist of `rows` spectra [rows, M] (a real signal's spectrum has none). */
  private realModes(im: Float64Array, o: number, rows: number): void {
    const { N, M } = this;
    const nyq = N % 2 === 0 && M - 1 === N / 2;
    for (let r = 0; r < rows; r++) {
      im[o + r * M] = 0;
      if (nyq) im[o + r * M + M - 1] = 0;
    }
  }

  /** Forward for samples [b0, b1) with settings `s` (s.T = the tape's T); z^T of sample b is `zs` at [(T−1)·B + b]·C·N. */
  forward(x: ArrayLike<number>, wRe: ArrayLike<number>, wIm: ArrayLike<number>, b0: number, b1: number, s: IstaSettings): void {
    this.s = s;
    this.scratch();
    const { B, C, cout, N, M, zs, fft, Zr, Zi, Rr, Ri } = this;
    const { T, alpha, theta, oneSided } = s;
    const CN = C * N, CM = C * M, OM = cout * M;
    const { sig, sr, si } = this;
    for (let b = b0; b < b1; b++) {
      fft.forwardRows(x, b * cout * N, cout, Rr, Ri, b * OM, M, 'forward');
      for (let t = 1; t <= T; t++) {
        const rOff = ((t - 1) * B + b) * OM;
        const zOff = ((t - 1) * B + b) * CN;
        if (t > 1) {
          const prev = ((t - 2) * B + b) * CN;
          const zsOff = ((t - 1) * B + b) * CM;
          fft.forwardRows(zs, prev, C, Zr, Zi, zsOff, M, 'forward');
          // R = X − W·Z (through the scratch: W·Z first)
          mixModes(Zr, Zi, zsOff, C, cout, wRe, wIm, M, false, sr, si, 0);
          this.realModes(si, 0, cout);
          for (let j = 0; j < OM; j++) { Rr[rOff + j] = Rr[b * OM + j] - sr[j]; Ri[rOff + j] = Ri[b * OM + j] - si[j]; }
        }
        mixModes(Rr, Ri, rOff, cout, C, wRe, wIm, M, true, sr, si, 0);
        fft.inverseRows(sr, si, 0, C, sig, 0, M, 'forward');
        if (t > 1) {
          const prev = ((t - 2) * B + b) * CN;
          for (let j = 0; j < CN; j++) sig[j] = zs[prev + j] + alpha * sig[j];
        } else for (let j = 0; j < CN; j++) sig[j] *= alpha;
        shrinkInto(sig, 0, CN, theta, oneSided, zs, zOff);
      }
    }
  }

  /**
   * Backward for samples [b0, b1) from gzT [B, C, N]: accumulates Σ over these samples of the weight-gradient
   * spectra into accRe/accIm [cout, C, M] (finish with `weightGrad`), α·D gu into gx [B, cout, N] when non-null;
   * returns this range's ∂L/∂θ.
   */
  backward(gzT: ArrayLike<number>, wRe: ArrayLike<number>, wIm: ArrayLike<number>, b0: number, b1: number, accRe: Float64Array, accIm: Float64Array, gx: FloatArray | null): number {
    this.scratch();
    const { B, C, cout, N, M, s, zs, fft, Zr, Zi, Rr, Ri } = this;
    const { T, alpha } = s;
    const CN = C * N, CM = C * M, OM = cout * M;
    const { sig: h, sig2: gz, sr, si, qr, qi, gxr, gxi } = this;
    let gTheta = 0;
    for (let b = b0; b < b1; b++) {
      for (let j = 0; j < CN; j++) gz[j] = gzT[b * CN + j];
      gxr.fill(0, 0, OM); gxi.fill(0, 0, OM);
      for (let t = T; t >= 1; t--) {
        gTheta -= maskGrad(gz, 0, zs, ((t - 1) * B + b) * CN, CN);
        // GU (into sr/si), Q = W·GU
        fft.forwardRows(gz, 0, C, sr, si, 0, M, 'forward');
        mixModes(sr, si, 0, C, cout, wRe, wIm, M, false, qr, qi, 0);
        this.realModes(qi, 0, cout);
        const rOff = ((t - 1) * B + b) * OM;
        const zsOff = ((t - 1) * B + b) * CM;
        for (let i = 0; i < cout; i++) {
          for (let c = 0; c < C; c++) {
            const a0 = (i * C + c) * M, u0 = c * M, r0 = rOff + i * M, q0 = i * M, z0 = zsOff + c * M;
            for (let k = 0; k < M; k++) {
              // GU ⊗ conj(R) − Z^{t−1} ⊗ conj(Q)
              const ur = sr[u0 + k], ui = si[u0 + k], rr = Rr[r0 + k], ri = Ri[r0 + k];
              let re = ur * rr + ui * ri, im = ui * rr - ur * ri;
              if (t > 1) {
                const zr = Zr[z0 + k], zi = Zi[z0 + k], vr = qr[q0 + k], vi = qi[q0 + k];
                re -= zr * vr + zi * vi;
                im -= zi * vr - zr * vi;
              }
              accRe[a0 + k] += re;
              accIm[a0 + k] += im;
            }
          }
        }
        for (let j = 0; j < OM; j++) { gxr[j] += qr[j]; gxi[j] += qi[j]; }
        if (t === 1) break;
        // gz^{t−1} = gu − α·Wᴴ Q (inverse FFT)
        mixModes(qr, qi, 0, cout, C, wRe, wIm, M, true, sr, si, 0);
        fft.inverseRows(sr, si, 0, C, h, 0, M, 'forward');
        for (let j = 0; j < CN; j++) gz[j] -= alpha * h[j];
      }
      if (gx) {
        fft.inverseRows(gxr, gxi, 0, cout, h, 0, M, 'forward');
        const o = b * cout * N;
        for (let j = 0; j < cout * N; j++) gx[o + j] += alpha * h[j];
      }
    }
    return gTheta;
  }

  /** gRe/gIm [cout, C, M] += the weight gradient from the accumulated spectra (α·N·s_k factors). */
  weightGrad(accRe: Float64Array, accIm: Float64Array, gRe: FloatArray, gIm: FloatArray): void {
    const { M, fr, fi } = this;
    const a = this.s.alpha;
    for (let j = 0; j < accRe.length; j++) {
      const k = j % M;
      gRe[j] += a * fr[k] * accRe[j];
      gIm[j] -= a * fi[k] * accIm[j];
    }
  }
}
