/**
 * Top eigenvalue of a small dense symmetric matrix (‖D‖² of a dense dictionary from its smaller Gram matrix):
 * Householder tridiagonalisation, then bisection on the tridiagonal's Sturm counts. Hand-written because the
 * core has no LAPACK; backward stable, so exact to round-off (≈ n·ε·λ_max) with no start vector, no iteration
 * count to tune and no state: the result is a pure function of the matrix (a resumed run sees the same value).
 */

/** Thrown on a bad size or length (names the function and the field). */
export class EigenError extends RangeError {
  override name = 'EigenError';
}

function checkSquare(where: string, a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new EigenError(`${where}: n must be a non-negative integer, got ${n}`);
  if (a.length < n * n) throw new EigenError(`${where}: a has ${a.length} entries, needs n² = ${n * n}`);
}

/**
 * Gram matrix of the smaller side of x [rows, cols] (row-major) in float64: x·xᵀ [rows, rows] when
 * rows ≤ cols, else xᵀ·x [cols, cols]. Its nonzero eigenvalues are the squared singular values of x.
 * @returns [n, n] with n = min(rows, cols), both triangles filled.
 */
export function smallGram(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) throw new EigenError(`smallGram: rows, cols must be non-negative integers, got ${rows}, ${cols}`);
  if (x.length < rows * cols) throw new EigenError(`smallGram: x has ${x.length} entries, needs rows·cols = ${rows * cols}`);
  const n = Math.min(rows, cols), k = Math.max(rows, cols);
  // y [n, k]: the rows whose pairwise dot products form the Gram (x itself, or xᵀ), in float64
  const y = new Float64Array(n * k);
  if (rows <= cols) for (let i = 0; i < n * k; i++) y[i] = x[i];
  else for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) y[c * k + r] = x[r * cols + c];
  const g = new Float64Array(n * n);
  // 2×2 blocks of dot products (each load feeds two multiply-adds); pairs (i, j ≤ i), the odd row and column alone
  for (let i = 0; i < n; i += 2) {
    const i1 = Math.min(i + 1, n - 1);
    for (let j = 0; j <= i; j += 2) {
      const j1 = Math.min(j + 1, n - 1);
      const a0 = i * k, a1 = i1 * k, b0 = j * k, b1 = j1 * k;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let t = 0; t < k; t++) {
        const x0 = y[a0 + t], x1 = y[a1 + t], z0 = y[b0 + t], z1 = y[b1 + t];
        s00 += x0 * z0;
        s01 += x0 * z1;
        s10 += x1 * z0;
        s11 += x1 * z1;
      }
      g[i * n + j] = g[j * n + i] = s00;
      g[i * n + j1] = g[j1 * n + i] = s01;
      g[i1 * n + j] = g[j * n + i1] = s10;
      g[i1 * n + j1] = g[j1 * n + i1] = s11;
    }
  }
  return g;
}

/**
 * Householder reduction of the symmetric a [n, n] (row-major, both triangles; overwritten) to a tridiagonal
 * with diagonal d [n] and off-diagonal e [n − 1] having the same eigenvalues. Reflection k zeroes row and
 * column k beyond the sub-diagonal: A₂₂ ← H A₂₂ H with H = I − β v vᵀ, as A₂₂ − v wᵀ − w vᵀ,
 * w = q − (β/2)(qᵀv)v, q = β A₂₂ v (only the lower triangle of A₂₂ is read and updated).
 */
function tridiagonalise(a: Float64Array, n: number, d: Float64Array, e: Float64Array, v: Float64Array, q: Float64Array): void {
  for (let k = 0; k + 2 < n; k++) {
    const r0 = k + 1, len = n - r0;
    // x = A[k+1.., k] (column k below the diagonal, read as row k by symmetry of the untouched part)
    let tail = 0;
    for (let i = 1; i < len; i++) tail += a[(r0 + i) * n + k] ** 2;
    const x0 = a[r0 * n + k];
    d[k] = a[k * n + k];
    if (tail === 0) {
      e[k] = x0;
      continue;
    }
    const norm = Math.sqrt(x0 * x0 + tail);
    const alpha = x0 > 0 ? -norm : norm; // H x = alpha·e₁; sign chosen so v₀ = x₀ − alpha does not cancel
    e[k] = alpha;
    v[0] = x0 - alpha;
    for (let i = 1; i < len; i++) v[i] = a[(r0 + i) * n + k];
    const beta = 1 / (v[0] * v[0] + tail) * 2;
    // q = β·A₂₂·v from the lower triangle: row i contributes A[i,j]·v_j to q_i and A[i,j]·v_i to q_j (j < i)
    q.fill(0, 0, len);
    for (let i = 0; i < len; i++) {
      const row = (r0 + i) * n + r0;
      const vi = v[i];
      let s = a[row + i] * vi;
      for (let j = 0; j < i; j++) {
        const aij = a[row + j];
        s += aij * v[j];
        q[j] += aij * vi;
      }
      q[i] += s;
    }
    let qv = 0;
    for (let i = 0; i < len; i++) {
      q[i] *= beta;
      qv += q[i] * v[i];
    }
    const half = 0.5 * beta * qv;
    for (let i = 0; i < len; i++) q[i] -= half * v[i]; // q is now w
    for (let i = 0; i < len; i++) {
      const row = (r0 + i) * n + r0;
      const vi = v[i], wi = q[i];
      for (let j = 0; j <= i; j++) a[row + j] -= vi * q[j] + wi * v[j];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = a[(n - 1) * n + n - 1];
}

/** Number of eigenvalues below x of the symmetric tridiagonal (d, e) (Sturm count of the LDLᵀ pivots of T − xI). */
function countBelow(d: Float64Array, e: Float64Array, n: number, x: number, pivmin: number): number {
  let count = 0;
  let piv = d[0] - x;
  for (let i = 0; ; ) {
    if (Math.abs(piv) < pivmin) piv = -pivmin; // exact singularity: perturb by the smallest safe pivot (LAPACK dstebz)
    if (piv < 0) count++;
    if (++i === n) return count;
    piv = d[i] - x - (e[i - 1] * e[i - 1]) / piv;
  }
}

/**
 * Largest eigenvalue of the symmetric matrix a [n, n] (row-major, both triangles; overwritten), to round-off:
 * tridiagonalisation (module header), then bisection between max(diag) and the Gershgorin bound until the
 * bracket is a few ulps wide. O(n³) (⅔n³ multiply-adds), no iteration limit to hit. n = 0 gives 0.
 */
export function maxEigenSymmetric(a: Float64Array, n: number): number {
  checkSquare('maxEigenSymmetric', a, n);
  if (n === 0) return 0;
  if (n === 1) return a[0];
  const d = new Float64Array(n), e = new Float64Array(n), v = new Float64Array(n), q = new Float64Array(n);
  tridiagonalise(a, n, d, e, v, q);
  let lo = -Infinity, hi = -Infinity, e2max = 0;
  for (let i = 0; i < n; i++) {
    const left = i > 0 ? Math.abs(e[i - 1]) : 0, right = i + 1 < n ? Math.abs(e[i]) : 0;
    lo = Math.max(lo, d[i]); // λ_max ≥ every diagonal entry (Rayleigh quotient of a unit vector)
    hi = Math.max(hi, d[i] + left + right); // Gershgorin
    if (i + 1 < n) e2max = Math.max(e2max, e[i] * e[i]);
  }
  const pivmin = Number.MIN_VALUE * 2 ** 60 * Math.max(1, e2max);
  // invariant: countBelow(lo) < n ≤ countBelow(hi), i.e. λ_max ∈ [lo, hi)
  hi += 2 * Number.EPSILON * Math.max(Math.abs(hi), Math.abs(lo)) + pivmin;
  if (countBelow(d, e, n, lo, pivmin) === n) return lo; // only by round-off in the reduction; lo is then exact to it
  while (hi - lo > 2 * Number.EPSILON * Math.max(Math.abs(lo), Math.abs(hi))) {
    const mid = 0.5 * (lo + hi);
    if (mid <= lo || mid >= hi) break;
    if (countBelow(d, e, n, mid, pivmin) === n) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

/** ‖x‖² (squared spectral norm) of x [rows, cols]: the top eigenvalue of its smaller Gram matrix (exact to round-off). */
export function spectralNormSqDense(x: ArrayLike<number>, rows: number, cols: number): number {
  return maxEigenSymmetric(smallGram(x, rows, cols), Math.min(rows, cols));
}
