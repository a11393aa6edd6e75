"""PyTorch peer of saeno's training-step benchmark (issue 7): the same six models and the
same step as SPEC section 4, written as a competent PyTorch user would, to time against.

One unrolled-ISTA encoder around a dictionary operator (dense, or a Fourier multiplier for
circular conv and FNO), optional pointwise lifting, `full` (or `decoder`) gradients, Adam,
atom renormalisation. Prints one JSON line per case; `--selftest` checks the maths in float64.
"""
import argparse
import json
import math
import os
import statistics
import sys
import time

# Debian's torch calls whatever libblas.so.3 the loader finds (reference BLAS by default,
# ~8 GFLOP/s single-threaded; OpenBLAS ~10x faster on S1). The choice is made per process
# by re-executing with LD_LIBRARY_PATH, before torch loads, and recorded in every record.
LIB = "/usr/lib/x86_64-linux-gnu"
BLAS_DIRS = {"openblas": [f"{LIB}/openblas-openmp"],
             "reference": [f"{LIB}/blas", f"{LIB}/lapack"]}


def select_blas(argv):
    """Re-executes this script with the BLAS named by `--blas` (default openblas) first on
    the library path; `--blas system` keeps the system's alternative."""
    choice = "openblas"
    for i, a in enumerate(argv):
        if a == "--blas" and i + 1 < len(argv):
            choice = argv[i + 1]
        elif a.startswith("--blas="):
            choice = a.split("=", 1)[1]
    if choice not in BLAS_DIRS or os.environ.get("SAENO_PEER_BLAS") == choice:
        return
    dirs = BLAS_DIRS[choice]
    if not os.path.exists(os.path.join(dirs[0], "libblas.so.3")):
        sys.exit(f"torch_peer: --blas {choice}: {dirs[0]}/libblas.so.3 not found; "
                 f"run bench/peer/ensure-peer.sh (it installs libopenblas0-openmp)")
    env = dict(os.environ, SAENO_PEER_BLAS=choice,
               LD_LIBRARY_PATH=":".join(dirs + [p for p in [os.environ.get("LD_LIBRARY_PATH")] if p]))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


if __name__ == "__main__":
    select_blas(sys.argv[1:])

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def loaded_blas():
    """Which BLAS this process mapped (after a matmul): "openblas", "reference" or "unknown"."""
    torch.ones(2, 2) @ torch.ones(2, 2)
    with open("/proc/self/maps") as f:
        libs = " ".join(os.path.realpath(line.split()[-1]) for line in f if "blas" in line)
    return "openblas" if "openblas" in libs else "reference" if "/blas/libblas" in libs else "unknown"


# The benchmark cases of issue 5 ("Speed"); lambda = 0.1 everywhere.
CASES = {
    "S1": dict(model="sae", m=64, p=128, B=128, T=20),
    "S2": dict(model="sae-cnn", C=5, K=32, N=256, B=64, T=20),
    "S3": dict(model="sae-fno", C=5, M=16, N=256, B=64, T=20),
    "S4": dict(model="l-sae-fno", h=16, C=5, M=16, N=256, B=64, T=20, lift="learned"),
    "S5": dict(model="sae-fno", C=64, M=32, N=1024, B=32, T=10),
}
DEFAULTS = dict(m=64, p=128, h=16, cin=1, C=5, K=32, M=16, N=256, B=64, T=20,
                lam=0.1, lift="learned", grad="full", threshold="two", lr=1e-3)
MODELS = ("sae", "l-sae", "sae-cnn", "l-sae-cnn", "sae-fno", "l-sae-fno")


def chan_mix(W, x):
    """Mixes axis 1 of x ([B, c] or [B, c, N...]) with W [o, c] -> [B, o] or [B, o, N...]."""
    return x @ W.t() if x.dim() == 2 else torch.matmul(W.to(x.dtype), x)


def gram_norm_sq(W):
    """Largest squared singular value of each matrix W[..., o, c] (real or complex) -> [...]:
    the closed form sum of |w|^2 when o == 1 (or c == 1), else the top eigenvalue of the
    smaller Gram matrix."""
    o, c = W.shape[-2], W.shape[-1]
    if o == 1 or c == 1:
        return (W.real ** 2 + W.imag ** 2 if W.is_complex() else W ** 2).sum((-2, -1))
    G = W.mH @ W if c <= o else W @ W.mH
    return torch.linalg.eigvalsh(G)[..., -1]


class Dense:
    """SAE dictionary D [out, p] on vectors z [B, p] -> [B, out] (out = m, or h when lifted)."""

    def __init__(self, out, p, dtype, gen):
        self.D = torch.randn(out, p, dtype=dtype, generator=gen).requires_grad_()
        self.params = [self.D]

    def norm_sq(self, N=None):
        """||D||_2^2 (top eigenvalue of the smaller Gram matrix); N unused."""
        return gram_norm_sq(self.D)

    def prepare(self, x_enc, a):
        """Per-step context for ISTA step a on data x_enc [B, out]. When p <= 2 out the step is
        z (I - a D^T D) + a D^T x: one addmm per iteration and no more FLOPs than D, D^T."""
        ctx = {"x": x_enc, "a": a, "gram": self.D.shape[1] <= 2 * self.D.shape[0]}
        if ctx["gram"]:
            eye = torch.eye(self.D.shape[1], dtype=self.D.dtype)
            ctx["M"] = torch.addmm(eye, self.D.t(), self.D, alpha=-a)
            ctx["b"] = (a * x_enc) @ self.D
        return ctx

    def first(self, ctx):
        """a D^T x_enc (the ISTA update from z = 0) [B, p]."""
        return ctx["b"] if ctx["gram"] else (ctx["a"] * ctx["x"]) @ self.D

    def step(self, z, ctx):
        """z + a D^T (x_enc - D z) [B, p]."""
        if ctx["gram"]:
            return torch.addmm(ctx["b"], z, ctx["M"])
        return torch.add(z, (ctx["x"] - z @ self.D.t()) @ self.D, alpha=ctx["a"])

    def apply(self, z, ctx=None):
        """D z [B, out]."""
        return z @ self.D.t()

    def adjoint(self, r, ctx=None):
        """D^T r [B, p]."""
        return r @ self.D

    def decode(self, z, ctx, P=None):
        """P D z (P [m, h] or None) -> [B, m]."""
        y = self.apply(z)
        return y if P is None else chan_mix(P, y)

    def atom_norms(self, P=None):
        """Euclidean norms of the effective atoms (columns of P D) [p]."""
        E = self.D if P is None else P @ self.D
        return E.norm(dim=0)

    def scale_atoms(self, s):
        """Multiplies atom j by s[j] in place (call under no_grad)."""
        self.D.mul_(s)


class FourierMultiplier:
    """Channel-mixing circular operator diagonal in the Fourier basis, z [B, C, N] ->
    [B, c_out, N]: per mode k, Y_k = W_k Z_k with W_k [c_out, C] complex. D^T is the same
    with conj(W_k)^T (a real circulant's transpose has the conjugate eigenvalues), so
    residual D^T(x - Dz) never leaves the spectral domain. Subclasses define the multiplier,
    the number of kept modes and the DFT normalisation (conv: all modes, unnormalised;
    FNO: first M modes, forward-normalised Z = rfft(z)/N with unnormalised inverse)."""

    fft_norm = "backward"

    def spec(self, u, ctx):
        """Kept rfft modes of u [B, c, N] -> [B, c, F] complex."""
        return torch.fft.rfft(u, norm=self.fft_norm)[..., : ctx["W"].shape[-1]]

    def inv(self, U, ctx):
        """Real signal [B, c, N] from kept modes U [B, c, F] (missing modes zero)."""
        return torch.fft.irfft(U, n=ctx["N"], norm=self.fft_norm)

    @staticmethod
    def mac(W, Z):
        """Y[b,i,k] = sum_c W[i,c,k] Z[b,c,k]."""
        return (W * Z.unsqueeze(1)).sum(2)

    @staticmethod
    def mac_t(W, R):
        """U[b,c,k] = sum_i conj(W[i,c,k]) R[b,i,k]."""
        return (W.conj() * R.unsqueeze(2)).sum(1)

    def prepare(self, x_enc, a):
        """Per-step context: ISTA step a, multiplier W [c_out, C, F] (with grad) and the data
        spectrum X."""
        ctx = {"N": x_enc.shape[-1], "a": a}
        ctx["W"] = self.multiplier(ctx["N"])
        ctx["X"] = self.spec(x_enc, ctx)
        return ctx

    def norm_sq(self, N):
        """||D||_2^2 = max_k sigma_max(W_k)^2 (exact: the operator is unitarily block-diagonal)."""
        W = self.multiplier(N).permute(2, 0, 1)
        return gram_norm_sq(W).max()

    def first(self, ctx):
        """a D^T x (the ISTA update from z = 0)."""
        return ctx["a"] * self.inv(self.mac_t(ctx["W"], ctx["X"]), ctx)

    def step(self, z, ctx):
        """z + a D^T(x - D z), the residual formed on the kept modes."""
        W = ctx["W"]
        r = self.inv(self.mac_t(W, ctx["X"] - self.mac(W, self.spec(z, ctx))), ctx)
        return torch.add(z, r, alpha=ctx["a"])

    def apply(self, z, ctx):
        return self.inv(self.mac(ctx["W"], self.spec(z, ctx)), ctx)

    def adjoint(self, r, ctx):
        return self.inv(self.mac_t(ctx["W"], self.spec(r, ctx)), ctx)

    def decode(self, z, ctx, P=None):
        """P D z [B, c_in, N]; the pointwise P commutes with the DFT, so it is applied to the
        kept modes and only c_in channels are transformed back."""
        Y = self.mac(ctx["W"], self.spec(z, ctx))
        return self.inv(Y if P is None else chan_mix(P, Y), ctx)


class Conv(FourierMultiplier):
    """SAE-CNN: (Dz)[b,i,n] = sum_c sum_j d[i,c,j] z[b,c,(n-j) mod N], kernels d [c_out, C, K].
    Computed by FFT (the conv theorem, multiplier rfft(d zero-padded to N)); measured faster
    than circular-pad + conv1d on this CPU for S2 (see README)."""

    def __init__(self, c_out, C, K, dtype, gen):
        self.d = torch.randn(c_out, C, K, dtype=dtype, generator=gen).requires_grad_()
        self.params = [self.d]

    def multiplier(self, N):
        if self.d.shape[-1] > N:
            raise ValueError(f"Conv: kernel size K={self.d.shape[-1]} exceeds N={N}")
        return torch.fft.rfft(self.d, n=N)

    def atom_norms(self, P=None):
        """Norm of each concept's effective kernel (P d)[:, c, :] over (c_in, K) [C]."""
        E = self.d if P is None else torch.einsum("ih,hck->ick", P, self.d)
        return E.norm(dim=(0, 2))

    def scale_atoms(self, s):
        self.d.mul_(s.view(1, -1, 1))


class Spectral(FourierMultiplier):
    """SAE-FNO: weights w [c_out, C, M] complex stored as (re, im); (Dz)[n] =
    sum_c sum_{|k|<M} w_{c,k} Z_{c,k} e^{2 pi i k n/N}, Z = rfft(z)/N, w_{-k} = conj(w_k);
    Im w at k = 0 is masked (the irfft would ignore it anyway). Needs N >= 2M-1."""

    fft_norm = "forward"

    def __init__(self, c_out, C, M, dtype, gen):
        self.re = torch.randn(c_out, C, M, dtype=dtype, generator=gen)
        self.im = torch.randn(c_out, C, M, dtype=dtype, generator=gen)
        self.im[..., 0] = 0
        self.re.requires_grad_()
        self.im.requires_grad_()
        self.params = [self.re, self.im]
        self.mask = torch.ones(M, dtype=dtype)
        self.mask[0] = 0

    def multiplier(self, N):
        M = self.re.shape[-1]
        if N < 2 * M - 1:
            raise ValueError(f"Spectral: N={N} is below 2M-1={2 * M - 1} for M={M} modes")
        return torch.complex(self.re, self.im * self.mask)

    def atom_norms(self, P=None):
        """L2[0,1) norm of each concept's kernel kappa_c (Parseval: sum over |k| < M, so
        modes k >= 1 count twice), of the effective weights P w when lifted [C]."""
        W = torch.complex(self.re, self.im * self.mask)
        if P is not None:
            W = torch.einsum("ih,hck->ick", P.to(W.dtype), W)
        a2 = W.real ** 2 + W.imag ** 2
        return (2 * a2.sum((0, 2)) - a2[..., 0].sum(0)).sqrt()

    def scale_atoms(self, s):
        self.re.mul_(s.view(1, -1, 1))
        self.im.mul_(s.view(1, -1, 1))


class Model:
    """Unrolled-ISTA sparse autoencoder: z0 = 0, z <- S_{alpha lam}(z + alpha D^T(x_enc - D z)),
    T times; x_hat = P D z^T; loss 1/2 mean_batch ||x - x_hat||^2. Lifted: x_enc = L x with
    pointwise L [h, c_in] (or [h, m]), P [c_in, h]; L, P learned or fixed."""

    def __init__(self, cfg, dtype=torch.float32, seed=0):
        gen = torch.Generator().manual_seed(seed)
        kind = cfg["model"]
        if kind not in MODELS:
            raise ValueError(f"Model: unknown model {kind!r}; expected one of {MODELS}")
        bad = [k for k in ("m", "p", "h", "cin", "C", "K", "M", "N", "B", "T") if cfg[k] < 1]
        if bad:
            raise ValueError(f"Model: sizes must be >= 1, got {', '.join(f'{k}={cfg[k]}' for k in bad)}")
        self.cfg, self.dtype = cfg, dtype
        self.lifted = kind.startswith("l-")
        c_in = cfg["m"] if kind in ("sae", "l-sae") else cfg["cin"]
        c_op = cfg["h"] if self.lifted else c_in
        base = kind[2:] if self.lifted else kind
        if base == "sae":
            self.op = Dense(c_op, cfg["p"], dtype, gen)
        elif base == "sae-cnn":
            self.op = Conv(c_op, cfg["C"], cfg["K"], dtype, gen)
        else:
            self.op = Spectral(c_op, cfg["C"], cfg["M"], dtype, gen)
        self.params = list(self.op.params)
        self.L = self.P = None
        if self.lifted:
            # orthonormal lifting, P = L^T (L^T L = I when h >= c_in)
            A = torch.randn(max(c_op, c_in), min(c_op, c_in), dtype=dtype, generator=gen)
            Q = torch.linalg.qr(A).Q
            L = Q if c_op >= c_in else Q.t()
            learned = cfg["lift"] == "learned"
            # two independent leaves (P must not be a function of L), contiguous for .view
            self.L = L.clone(memory_format=torch.contiguous_format).requires_grad_(learned)
            self.P = L.t().clone(memory_format=torch.contiguous_format).requires_grad_(learned)
            if cfg["lift"] == "learned":
                self.params += [self.L, self.P]
        self.x_shape = (cfg["B"], c_in) if base == "sae" else (cfg["B"], c_in, cfg["N"])
        with torch.no_grad():
            self.renormalise()

    def renormalise(self):
        """Each concept's effective atom (of P D_L when lifted) to unit norm (under no_grad)."""
        self.op.scale_atoms(1.0 / self.op.atom_norms(self.P))

    def alpha(self, N):
        """0.95 / ||D_L||^2 from the current weights, a constant for gradients."""
        with torch.no_grad():
            nsq = self.op.norm_sq(N)
        return 0.95 / float(nsq)

    def encode(self, x, alpha):
        """Codes z^T after T unrolled ISTA steps with step alpha, and the operator context."""
        cfg = self.cfg
        theta = alpha * cfg["lam"]
        shrink = ((lambda u: F.softshrink(u, theta)) if cfg["threshold"] == "two"
                  else (lambda u: F.relu(u - theta)))
        ctx = self.op.prepare(chan_mix(self.L, x) if self.lifted else x, alpha)
        z = shrink(self.op.first(ctx))  # z1 = S(z0 + a D^T(x - D z0)) with z0 = 0
        for _ in range(cfg["T"] - 1):
            z = shrink(self.op.step(z, ctx))
        return z, ctx

    def recon_loss(self, x, z, ctx):
        """1/2 mean_batch ||x - P D z||^2."""
        return 0.5 * (x - self.op.decode(z, ctx, self.P)).pow(2).sum() / x.shape[0]

    def loss(self, x, alpha=None):
        """Training loss for x of shape x_shape; alpha = 0.95/||D_L||^2 unless given."""
        a = self.alpha(x.shape[-1]) if alpha is None else alpha
        z, ctx = self.encode(x, a)
        return self.recon_loss(x, z.detach() if self.cfg["grad"] == "decoder" else z, ctx)


def flops(cfg):
    """Analytic forward FLOPs of one step as in README ("canonical" algorithm: every one of
    the T iterations applies D and D^T, plus the decoder); a training step counts 3x."""
    B, T, C = cfg["B"], cfg["T"], cfg["C"]
    kind = cfg["model"]
    lifted = kind.startswith("l-")
    base = kind[2:] if lifted else kind
    c_in = cfg["m"] if base == "sae" else cfg["cin"]
    c_op = cfg["h"] if lifted else c_in
    if base == "sae":
        mat = 2 * B * c_op * cfg["p"]  # one D or D^T
        lift = 2 * B * c_op * c_in
        return (2 * T + 1) * mat + (2 * lift if lifted else 0)
    N = cfg["N"]
    lift = 2 * B * c_op * c_in * N
    if base == "sae-cnn":
        op = 2 * B * c_op * C * cfg["K"] * N  # direct circular conv
        return (2 * T + 1) * op + (2 * lift if lifted else 0)
    fft = 2.5 * N * math.log2(N)  # one real FFT or inverse of length N
    mac = 8 * B * c_op * C * cfg["M"]  # complex multiply-adds on the kept modes
    op = B * (C + c_op) * fft + mac  # transform in, mix, transform out
    return (2 * T + 1) * op + (2 * lift if lifted else 0)


def bench(cfg, steps, warmup, warmup_s=0.0, seed=0):
    """Median ms per training step (forward, backward, Adam, renormalisation), timed after a warm-up of at
    least `warmup` steps and `warmup_s` seconds (the same rule as saeno's bench/train.ts)."""
    model = Model(cfg, torch.float32, seed)
    x = torch.randn(model.x_shape, generator=torch.Generator().manual_seed(seed + 1))
    opt = torch.optim.Adam(model.params, lr=cfg["lr"])

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model.loss(x)
        loss.backward()
        opt.step()
        with torch.no_grad():
            model.renormalise()
        return loss

    warm_until = time.perf_counter() + warmup_s
    i = 0
    while i < warmup or time.perf_counter() < warm_until:
        step()
        i += 1
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        loss = step()
        times.append((time.perf_counter() - t0) * 1e3)
    if not math.isfinite(loss.item()):
        raise RuntimeError(f"bench: non-finite loss for {cfg['model']}")
    return statistics.median(times), min(times)


# ----------------------------------------------------------------------------- self-test

def dense_matrix(op, ctx, shape):
    """Explicit matrix of op.apply (columns = images of unit vectors), float64."""
    n = math.prod(shape)
    E = torch.eye(n, dtype=torch.float64).reshape(n, *shape)
    return op.apply(E, ctx).reshape(n, -1).t()


def selftest():
    """Float64 checks; returns a list of failure messages (empty when all pass)."""
    torch.manual_seed(0)
    fails = []

    def check(name, err, tol):
        ok = err <= tol
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {err:.2e} (tol {tol:.0e})", file=sys.stderr)
        if not ok:
            fails.append(name)

    f64 = torch.float64
    gen = torch.Generator().manual_seed(3)
    B, N = 3, 12
    ops = {
        "dense gram form": (Dense(5, 7, f64, gen), (B, 5), (B, 7)),
        "dense direct form": (Dense(3, 8, f64, gen), (B, 3), (B, 8)),
        "conv cin=1": (Conv(1, 3, 4, f64, gen), (B, 1, N), (B, 3, N)),
        "conv cout=2": (Conv(2, 3, 5, f64, gen), (B, 2, N), (B, 3, N)),
        "spectral cin=1": (Spectral(1, 3, 4, f64, gen), (B, 1, N), (B, 3, N)),
        "spectral cout=3 N=2M-1": (Spectral(3, 2, 4, f64, gen), (B, 3, 7), (B, 2, 7)),
    }
    # Round-off tolerances: float64 sums of O(100) terms of O(1) give errors ~1e-14;
    # 1e-11 leaves margin yet catches any wrong sign, flip, conj or factor (errors O(1)).
    for name, (op, xs, zs) in ops.items():
        x, z, r = torch.randn(xs, dtype=f64), torch.randn(zs, dtype=f64), torch.randn(xs, dtype=f64)
        with torch.no_grad():
            a = 0.3  # any step size: the identities below are linear in it
            ctx = op.prepare(x, a)
            lhs, rhs = (op.apply(z, ctx) * r).sum(), (z * op.adjoint(r, ctx)).sum()
            check(f"{name} adjoint <Dz,r>=<z,D^T r>", abs(lhs - rhs).item() / abs(lhs).item(), 1e-11)
            res = op.step(z, ctx)
            ref = z + a * op.adjoint(x - op.apply(z, ctx), ctx)
            check(f"{name} step = z + a D^T(x-Dz)", ((res - ref).norm() / ref.norm()).item(), 1e-11)
            first = op.first(ctx)
            ref = a * op.adjoint(x, ctx)
            check(f"{name} first = a D^T x", ((first - ref).norm() / ref.norm()).item(), 1e-11)
            A = dense_matrix(op, ctx, zs[1:])
            nsq = op.norm_sq(xs[-1])
            svd = torch.linalg.matrix_norm(A, 2) ** 2
            check(f"{name} ||D||^2 closed form = SVD", abs(nsq - svd).item() / svd.item(), 1e-10)
            if not isinstance(op, Dense):
                Nn = xs[-1]
                ref_apply = definition_apply(op, z, Nn)
                check(f"{name} apply = definition", ((op.apply(z, ctx) - ref_apply).norm()
                                                     / ref_apply.norm()).item(), 1e-11)
                # atom norm: Euclidean norm of the unit-impulse response (conv) or
                # sqrt(N) x it (spectral kernel L2[0,1) norm = sqrt(N) * ||D e_0||).
                e0 = torch.zeros((1,) + zs[1:], dtype=f64)
                cols = []
                for c in range(zs[1]):
                    e = e0.clone()
                    e[0, c, 0] = 1
                    cols.append(op.apply(e, ctx).norm())
                atom = torch.stack(cols) * (math.sqrt(Nn) if isinstance(op, Spectral) else 1)
                check(f"{name} atom norms", ((op.atom_norms() - atom).norm() / atom.norm()).item(), 1e-11)

    # Whole-model gradients vs central differences (alpha frozen, as in training). With
    # h = 1e-6 the truncation error is O(h^2 * f''') ~ 1e-12 and round-off ~ 1e-16/h ~ 1e-10
    # relative; 1e-6 leaves margin, while a wrong backward is off by O(1).
    small = dict(DEFAULTS, m=6, p=9, h=4, C=3, K=5, M=4, N=16, B=3, T=6, cin=2)
    variants = [(kind, grad, "two") for kind in MODELS for grad in ("full", "decoder")]
    variants += [("sae", "full", "one"), ("l-sae-cnn", "full", "one")]
    for kind, grad, threshold in variants:
        cfg = dict(small, model=kind, grad=grad, threshold=threshold)
        model = Model(cfg, f64, seed=5)
        x = torch.randn(model.x_shape, dtype=f64, generator=torch.Generator().manual_seed(9)) * 2
        a = model.alpha(x.shape[-1])
        if grad == "full":
            f = lambda: model.loss(x, a)  # noqa: E731
        else:  # `decoder` is the gradient of the loss with z^T held at its current value
            zT = model.encode(x, a)[0].detach()
            f = lambda: model.recon_loss(x, zT, model.op.prepare(  # noqa: E731
                chan_mix(model.L, x) if model.lifted else x, a))
        loss = f()
        grads = torch.autograd.grad(loss, model.params, allow_unused=grad == "decoder")
        worst = 0.0
        for P_, G_ in zip(model.params, grads):
            flat = P_.data.view(-1)
            gflat = torch.zeros_like(flat) if G_ is None else G_.reshape(-1)
            for idx in torch.randperm(flat.numel(), generator=torch.Generator().manual_seed(1))[:4]:
                if isinstance(model.op, Spectral) and P_ is model.op.im and idx % cfg["M"] == 0:
                    continue
                old, hh = flat[idx].item(), 1e-6
                with torch.no_grad():
                    flat[idx] = old + hh
                    lp = f().item()
                    flat[idx] = old - hh
                    lm = f().item()
                    flat[idx] = old
                fd = (lp - lm) / (2 * hh)
                worst = max(worst, abs(fd - gflat[idx].item()) / (abs(fd) + 1e-3 * abs(loss.item()) + 1e-12))
        check(f"{kind} {grad} {threshold}-sided gradient vs finite differences", worst, 1e-6)

    # One training step leaves the effective atoms at unit norm.
    for kind in MODELS:
        model = Model(dict(small, model=kind), f64, seed=7)
        x = torch.randn(model.x_shape, dtype=f64)
        opt = torch.optim.Adam(model.params, lr=1e-2)
        model.loss(x).backward()
        opt.step()
        with torch.no_grad():
            model.renormalise()
            n = model.op.atom_norms(model.P)
        check(f"{kind} atoms unit after step", (n - 1).abs().max().item(), 1e-12)
    return fails


def definition_apply(op, z, N):
    """(D z) straight from the SPEC's formulas (loops over taps / modes), float64."""
    n = torch.arange(N, dtype=torch.float64)
    if isinstance(op, Conv):
        d = op.d.detach()
        out = torch.zeros(z.shape[0], d.shape[0], N, dtype=torch.float64)
        for j in range(d.shape[-1]):
            out += torch.einsum("ic,bcn->bin", d[:, :, j], torch.roll(z, j, dims=-1))
        return out
    W = torch.complex(op.re.detach(), op.im.detach() * op.mask)
    Z = torch.fft.fft(z.to(torch.complex128)) / N
    out = torch.zeros(z.shape[0], W.shape[0], N, dtype=torch.complex128)
    for k in range(-W.shape[-1] + 1, W.shape[-1]):
        wk = W[..., k] if k >= 0 else W[..., -k].conj()
        out += torch.einsum("ic,bc->bi", wk, Z[..., k % N]).unsqueeze(-1) * torch.exp(2j * math.pi * k * n / N)
    return out.real


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", choices=sorted(CASES), help="a standard case (sizes of issue 5)")
    ap.add_argument("--all", action="store_true", help="run S1-S5")
    ap.add_argument("--selftest", action="store_true", help="float64 adjoint and gradient checks")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20, help="timed steps (median reported)")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up steps (at least)")
    ap.add_argument("--warmup-s", type=float, default=2.0, help="warm-up seconds (at least)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--blas", choices=("openblas", "reference", "system"), default="openblas",
                    help="BLAS under torch's matmul (see README)")
    ap.add_argument("--model", choices=MODELS, help="generic sizes: model kind")
    for key in ("m", "p", "h", "cin", "C", "K", "M", "N", "B", "T"):
        ap.add_argument(f"--{key}", type=int)
    ap.add_argument("--lam", type=float)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--lift", choices=("learned", "fixed"))
    ap.add_argument("--grad", choices=("full", "decoder"))
    ap.add_argument("--threshold", choices=("two", "one"))
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    if args.selftest:
        fails = selftest()
        if fails:
            print(f"torch_peer selftest: {len(fails)} failed: {', '.join(fails)}", file=sys.stderr)
            return 1
        print("torch_peer selftest: all passed", file=sys.stderr)
        return 0
    overrides = {k: v for k, v in vars(args).items()
                 if (k in DEFAULTS or k == "model") and v is not None}
    if args.all:
        names = sorted(CASES)
    elif args.case:
        names = [args.case]
    elif args.model:
        names = [None]
    else:
        ap.error("give --case, --all, --model (generic sizes) or --selftest")
    blas = loaded_blas()
    for name in names:
        cfg = {**DEFAULTS, **(CASES[name] if name else {}), **overrides}
        try:
            ms, ms_min = bench(cfg, args.steps, args.warmup, args.warmup_s, args.seed)
        except (ValueError, RuntimeError) as e:
            print(f"torch_peer: {e}", file=sys.stderr)
            return 2
        keys = ("model", "m", "p", "h", "B", "T") if cfg["model"] in ("sae", "l-sae") else \
            ("model", "cin", "h", "C", "K" if "cnn" in cfg["model"] else "M", "N", "B", "T")
        params = {k: cfg[k] for k in keys if k != "h" or cfg["model"].startswith("l-")}
        params.update(lam=cfg["lam"], grad=cfg["grad"], dtype="float32",
                      flops=3 * flops(cfg), steps=args.steps, warmup=args.warmup,
                      warmup_s=args.warmup_s)
        if cfg["model"].startswith("l-"):
            params["lift"] = cfg["lift"]
        print(json.dumps({"case": name or "custom", "impl": "pytorch", "ms": round(ms, 3),
                          "ms_min": round(ms_min, 3), "params": params,
                          "threads": args.threads, "torch": torch.__version__, "blas": blas}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
