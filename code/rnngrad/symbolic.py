"""SymPy derivations the book runs in its pages (chapters 4 and 6, the GRU chapter) and the tests re-run.

Every function returns SymPy objects (for display) together with a boolean that SymPy
decided; the page prints both, so a reader sees the derivation and its check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from ._checks import as_positive_int

__all__ = ["sigmoid", "activation_derivative_bound", "eq2_scalar", "eq2_matrix", "eq2_jacobian_function",
           "eq6_terms", "eq6_printed", "eq6_audit", "eq6_terms_function", "eq6_scalar_display",
           "audit_source_equations", "SymbolicCheck", "carousel_ode", "state_jacobian_blocks",
           "gru_step_jacobian", "gru_scalar_terms",
           "gru_jacobian_function", "gru_conventions"]


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}) as a SymPy expression.

    Used in :ref:`ch2-saturation` (chapter 2).
    """
    return 1 / (1 + sp.exp(-z))


_ACT = {"sigmoid": sigmoid, "tanh": sp.tanh}


def _activation(name: str, argument: str = "activation"):
    """The SymPy activation called ``name`` (ValueError naming ``argument`` if there is none)."""
    if name not in _ACT:
        raise ValueError(f"{argument} must be 'sigmoid' or 'tanh', got {name!r}")
    return _ACT[name]


@dataclass(frozen=True)
class SymbolicCheck:
    """A derived expression, the expression it is compared with, and SymPy's verdict."""

    derived: sp.Basic
    claimed: sp.Basic
    holds: bool


def _zero(expr) -> bool:
    """True when SymPy proves ``expr`` (a scalar or a matrix) is identically zero.

    A nonzero value at a random rational point (evaluated to 30 digits) disproves it quickly;
    otherwise ``simplify`` must reduce it to 0: a True is always a symbolic proof.
    """
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    symbols = sorted(set().union(*(sp.sympify(e).free_symbols for e in entries)), key=str)
    rng = random.Random(12345)
    for _ in range(2):
        point = {s: sp.Rational(rng.randint(-9, 9), rng.randint(1, 7)) for s in symbols}
        for e in entries:
            if abs(sp.N(sp.sympify(e).subs(point), 30)) > 1e-20:
                return False
    return all(sp.simplify(sp.expand(sp.simplify(e))) == 0 for e in entries)


def activation_derivative_bound(name: str = "sigmoid") -> tuple[sp.Basic, sp.Basic, sp.Basic]:
    """(act'(z), argmax, max) of the derivative of 'sigmoid' or 'tanh', solved by SymPy.

    The maximum is γ of chapter 4: 1/4 for the sigmoid (at z = 0), 1 for tanh (at z = 0).

    Derived in :ref:`ch1-sigma-bound` (chapter 1), where the bound is proved by completing the
    square; the chapters that use γ refer to that proof.
    """
    act = _activation(name, "name")
    z = sp.Symbol("z", real=True)
    d = sp.simplify(sp.diff(act(z), z))
    crit = [s for s in sp.solve(sp.diff(d, z), z) if s.is_real]
    # act' is positive, tends to 0 at ±∞ and has one critical point: that point is the max.
    if len(crit) != 1:
        raise RuntimeError(f"expected one critical point of {name}', found {crit}")
    z0 = crit[0]
    return d, z0, sp.nsimplify(sp.simplify(d.subs(z, z0)))


def eq2_scalar(activation: str = "sigmoid") -> SymbolicCheck:
    """The source's eq. (2) for one unit: d/dc_{t-1} act(w_rec c_{t-1} + w_in x_t).

    Claimed (as printed): act'(w_rec c_{t-1} + w_in x_t) · w_rec.

    Derived in :ref:`ch4-eq2` (chapter 4).
    """
    act = _activation(activation)
    c, x, w_rec, w_in = sp.symbols("c_{t-1} x_t w_rec w_in", real=True)
    zz = sp.Symbol("z", real=True)
    z = w_rec * c + w_in * x
    derived = sp.diff(act(z), c)
    act_prime = sp.diff(act(zz), zz).subs(zz, z)
    claimed = act_prime * w_rec
    return SymbolicCheck(derived, claimed, _zero(derived - claimed))


def _rnn_symbols(n: int, m: int):
    W_rec = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
    W_in = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"u_{i + 1}{j + 1}", real=True))
    c = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"c_{i + 1}", real=True))
    x = sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"x_{i + 1}", real=True))
    return W_rec, W_in, c, x


def eq2_matrix(n: int = 2, m: int = 1, activation: str = "sigmoid") -> dict[str, SymbolicCheck]:
    """The Jacobian ∂c_t/∂c_{t-1} of c_t = act(W_rec c_{t-1} + W_in x_t) on symbolic matrices.

    Returns checks of two candidate matrix readings of eq. (2):
    ``"diag(act') W_rec"`` (rows of W_rec scaled: the true Jacobian) and
    ``"W_rec diag(act')"`` (columns scaled: the wrong order).

    Derived in :ref:`ch4-matrix-form` (chapter 4).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    act = _activation(activation)
    W_rec, W_in, c, x = _rnn_symbols(n, m)
    z = W_rec * c + W_in * x
    zz = sp.Symbol("z", real=True)
    act_prime = sp.Lambda(zz, sp.diff(act(zz), zz))
    c_next = z.applyfunc(act)
    J = c_next.jacobian(c)
    D = sp.diag(*[act_prime(zi) for zi in z])
    return {
        "diag(act') W_rec": SymbolicCheck(J, D * W_rec, _zero(J - D * W_rec)),
        "W_rec diag(act')": SymbolicCheck(J, W_rec * D, _zero(J - W_rec * D)),
    }


def eq2_jacobian_function(n: int, m: int, activation: str = "sigmoid"):
    """A NumPy function J(W_rec, W_in, c_prev, x) made by SymPy from the symbolic Jacobian of
    c_t = act(W_rec c_{t-1} + W_in x_t) (no bias): an independent check of ``rnn.step_jacobian``.

    Used in :ref:`ch4-matrix-form` (chapter 4).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    act = _activation(activation)
    W_rec, W_in, c, x = _rnn_symbols(n, m)
    J = (W_rec * c + W_in * x).applyfunc(act).jacobian(c)
    f = sp.lambdify([list(W_rec), list(W_in), list(c), list(x)], J, modules="numpy")

    def jacobian(W_rec_, W_in_, c_prev_, x_):
        import numpy as np

        return np.asarray(f(np.ravel(W_rec_), np.ravel(W_in_), np.ravel(c_prev_), np.ravel(x_)),
                          dtype=float)

    return jacobian


_TERMS = ("A", "B", "C", "D")


def _lstm_cell_symbols(n: int, m: int):
    """Symbolic LSTM pieces for eq. (6): gate weights split into h-blocks U_g and x-blocks V_g."""
    def mat(name, rows, cols):
        return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))

    def vec(name, size):
        return sp.Matrix(size, 1, lambda i, _: sp.Symbol(f"{name}_{i + 1}", real=True))

    U = {g: mat(f"u^{g}", n, n) for g in "fic"}
    V = {g: mat(f"v^{g}", n, m) for g in "fic"}
    b = {g: vec(f"b^{g}", n) for g in "fic"}
    return U, V, b, vec("c", n), vec("o", n), vec("x", m)


def eq6_terms(n: int = 1, m: int = 1) -> dict:
    """The four terms of eq. (6), derived by SymPy, for the LSTM cell state

        c_t = σ(z_f) ⊙ c_{t-1} + σ(z_i) ⊙ tanh(z_c),  z_g = U_g h_{t-1} + V_g x_t + b_g,
        h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1})   (o_{t-1} held fixed).

    c_{t-1} is replaced by four independent copies, one where it enters through f (A), as the
    carried state (B), through i (C) and through c̃ (D); each term is the Jacobian with respect
    to its copy, all copies set back equal. Returns a dict with the symbols, the total
    Jacobian ``"total"``, the terms ``"A"``…``"D"`` and ``"sum_holds"`` (A+B+C+D = total).

    Derived in :ref:`ch6-sympy` (chapter 6).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    U, V, b, c, o, x = _lstm_cell_symbols(n, m)
    copies = {k: sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"c{k}_{i + 1}", real=True)) for k in _TERMS}

    def h_of(cc):
        return o.multiply_elementwise(cc.applyfunc(sp.tanh))

    z = {"f": U["f"] * h_of(copies["A"]) + V["f"] * x + b["f"],
         "i": U["i"] * h_of(copies["C"]) + V["i"] * x + b["i"],
         "c": U["c"] * h_of(copies["D"]) + V["c"] * x + b["c"]}
    f = z["f"].applyfunc(sigmoid)
    i = z["i"].applyfunc(sigmoid)
    ct = z["c"].applyfunc(sp.tanh)
    c_next = f.multiply_elementwise(copies["B"]) + i.multiply_elementwise(ct)
    back = {copies[k][j]: c[j] for k in _TERMS for j in range(n)}
    terms = {k: c_next.jacobian(copies[k]).subs(back) for k in _TERMS}
    total = c_next.subs(back).jacobian(c)
    out = {"U": U, "V": V, "b": b, "c": c, "o": o, "x": x,
           "z": {g: zz.subs(back) for g, zz in z.items()},
           "total": total, **terms}
    out["sum_holds"] = _zero(total - (terms["A"] + terms["B"] + terms["C"] + terms["D"]))
    return out


def eq6_printed(n: int = 1, m: int = 1, *, corrected: bool = False) -> dict:
    """The terms A_t … D_t as the source prints them (``corrected=False``), or corrected.

    Printed, factors in the printed order (σ'(·), tanh'(·) and the vectors c_{t-1}, c̃_t, i_t
    read as diagonal matrices, ∂h_{t-1}/∂c_{t-1} = diag(o_{t-1} ⊙ tanh'(c_{t-1}))):

        A = σ'(z_f) W_f ∂h · c_{t-1},   B = f_t,   C = σ'(z_i) W_i ∂h · c̃_t,   D = σ'(z_c) W_c ∂h · i_t

    W_g multiplies the derivative of the whole input [h_{t-1}, x_t]; its x-part does not depend
    on c_{t-1}, so only the h-block U_g survives (the source writes W_g). Corrected: the
    diagonal factor diag(c_{t-1}) (resp. diag(c̃_t), diag(i_t)) stands on the *left*, since it
    scales the rows (unit k of c_t is multiplied by unit k of c_{t-1}); and D uses tanh'(z_c),
    the derivative of the candidate's own activation, not σ'(z_c). For one unit (n = 1) the
    order does not matter and only D's σ' is wrong.

    Used in :ref:`ch6-audit` (chapter 6).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    U, V, b, c, o, x = _lstm_cell_symbols(n, m)
    zz = sp.Symbol("z", real=True)
    dsig = sp.Lambda(zz, sp.diff(sigmoid(zz), zz))
    dtanh = sp.Lambda(zz, sp.diff(sp.tanh(zz), zz))
    h = o.multiply_elementwise(c.applyfunc(sp.tanh))
    z = {g: U[g] * h + V[g] * x + b[g] for g in "fic"}
    dh = sp.diag(*[o[j] * dtanh(c[j]) for j in range(n)])          # ∂h_{t-1}/∂c_{t-1}
    f, i, ct = z["f"].applyfunc(sigmoid), z["i"].applyfunc(sigmoid), z["c"].applyfunc(sp.tanh)

    def d(fn, zvec):
        return sp.diag(*[fn(e) for e in zvec])

    def diag(v):
        return sp.diag(*list(v))

    def term(scale, dact, gate):
        inner = d(dact, z[gate]) * U[gate] * dh
        return diag(scale) * inner if corrected else inner * diag(scale)

    return {
        "A": term(c, dsig, "f"),
        "B": diag(f),
        "C": term(ct, dsig, "i"),
        "D": term(i, dtanh if corrected else dsig, "c"),
    }


def eq6_scalar_display() -> dict:
    """The one-unit terms of eq. (6) (derived, and the source's printed D) written with the
    pre-activations z_f, z_i, z_c as symbols, for display in chapter 6.

    Returns {"A", "B", "C", "D", "D_printed", "D_ratio"}; D_ratio = D_printed / D simplifies to
    σ'(z_c) / tanh'(z_c).

    Used in :ref:`ch6-sympy` (chapter 6).
    """
    derived = eq6_terms(1, 1)
    printed = eq6_printed(1, 1)
    zs = {g: sp.Symbol(f"z_{g}", real=True) for g in "fic"}

    def named(expr):
        for g in "fic":
            expr = expr.subs(derived["z"][g][0], zs[g])
        return sp.simplify(expr)

    out = {k: named(derived[k][0, 0]) for k in _TERMS}
    out["D_printed"] = named(printed["D"][0, 0])
    out["D_ratio"] = sp.simplify(out["D_printed"] / out["D"])
    return out


def eq6_terms_function(n: int, m: int):
    """A NumPy function ``terms(params, c_prev, o_prev, x) -> {"A": …, "D": …}`` made by SymPy
    from :func:`eq6_terms`: an independent check of ``lstm.cell_jacobian_terms`` (chapter 6).
    ``params`` is an ``LSTMParams`` with n units and m inputs.

    Used in :ref:`ch6-sympy` (chapter 6).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    d = eq6_terms(n, m)
    args = [list(d["U"][g]) + list(d["V"][g]) + list(d["b"][g]) for g in "fic"]
    args += [list(d["c"]), list(d["o"]), list(d["x"])]
    fns = {k: sp.lambdify(args, d[k], modules="numpy") for k in _TERMS}

    def terms(params, c_prev, o_prev, x):
        import numpy as np

        if (params.n, params.m) != (n, m):
            raise ValueError(f"params must have n={n}, m={m}, got n={params.n}, m={params.m}")
        vals = [np.concatenate([params.U(g).ravel(), getattr(params, f"W_{g}")[:, n:].ravel(),
                                getattr(params, f"b_{g}")]) for g in "fic"]
        vals += [np.ravel(c_prev), np.ravel(o_prev), np.ravel(x)]
        return {k: np.asarray(fn(*vals), dtype=float) for k, fn in fns.items()}

    return terms


def eq6_audit(n: int = 1, m: int = 1, *, corrected: bool = False) -> dict[str, bool]:
    """For each of A … D, whether the printed (or corrected) term equals SymPy's derivation
    (:func:`eq6_terms`), for n units and m inputs.

    Used in :ref:`ch6-audit` (chapter 6).
    """
    derived = eq6_terms(n, m)
    claimed = eq6_printed(n, m, corrected=corrected)
    return {k: _zero(derived[k] - claimed[k]) for k in _TERMS}


def audit_source_equations() -> dict[str, bool]:
    """For each audited equation of the source article, whether the printed form is right.

    "eq2": the printed σ'(W_rec c_{t-1} + W_in x_t) · W_rec, read in the one case where it is
    unambiguous (one unit), equals the derivative. (Its matrix reading needs diag(σ'), in
    that order: see :func:`eq2_matrix` and the errata page.)
    "eq6.A" … "eq6.D": the printed terms of eq. (6), read for one unit likewise (W_g as its
    h-block; see :func:`eq6_printed`). For n > 1 the printed factor order is also wrong for
    A, C and D: ``eq6_audit(2, 1)``.

    Used in :ref:`ch6-audit` (chapter 6).
    """
    out = {"eq2": eq2_scalar("sigmoid").holds}
    out.update({f"eq6.{k}": v for k, v in eq6_audit(1, 1).items()})
    return out


# --------------------------------------------------------------------------- the carousel


def carousel_ode() -> dict:
    """The constant error carousel of Hochreiter & Schmidhuber (1997), solved by SymPy.

    One unit c_t = φ(z_t), z_t = w c_{t-1}: going back one step scales the error by φ'(z)·w.
    Constant flow for every z on the trajectory needs the ODE φ'(z)·w = 1; ``sp.dsolve``
    integrates it to φ(z) = z/w + C₁, and ``checkodesol`` substitutes it back. Returns
    {"z", "w", "ode", "solution" (the Eq φ(z) = …), "holds" (the solution solves the ODE),
    "factor" (φ'(z)·w of the solution, simplified), "identity" (with w = 1 and C₁ = 0 the
    solution is φ(z) = z)}.

    Derived in :ref:`ch5-carousel` (chapter 5).
    """
    z = sp.Symbol("z", real=True)
    w = sp.Symbol("w", nonzero=True, real=True)
    phi = sp.Function("phi")
    ode = sp.Eq(w * phi(z).diff(z), 1)
    solution = sp.dsolve(ode, phi(z))
    holds = bool(sp.checkodesol(ode, solution)[0])
    factor = sp.simplify(w * solution.rhs.diff(z))
    constants = solution.rhs.free_symbols - {z, w}
    identity = sp.simplify(solution.rhs.subs({w: 1, **{k: 0 for k in constants}}) - z) == 0
    return {"z": z, "w": w, "ode": ode, "solution": solution, "holds": holds,
            "factor": factor, "identity": bool(identity)}


# --------------------------------------------------------------------------- the (h, c) step


def state_jacobian_blocks(n: int = 2, m: int = 1) -> dict[str, SymbolicCheck]:
    """The four blocks of the LSTM's step Jacobian ∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}), derived
    by SymPy on a symbolic cell with n units and m inputs, against the forms derived by hand:

        ∂c_t/∂c_{t-1} = diag(f_t)
        ∂c_t/∂h_{t-1} = K_t = diag(c_{t-1} ⊙ σ'(z_f)) U_f + diag(c̃_t ⊙ σ'(z_i)) U_i
                                + diag(i_t ⊙ tanh'(z_c)) U_c
        ∂h_t/∂c_{t-1} = diag(o_t ⊙ tanh'(c_t)) diag(f_t)
        ∂h_t/∂h_{t-1} = diag(tanh(c_t) ⊙ σ'(z_o)) U_o + diag(o_t ⊙ tanh'(c_t)) K_t

    with z_g = U_g h_{t-1} + V_g x_t + b_g and h_{t-1}, c_{t-1} independent variables.
    Returns {"hh", "hc", "ch", "cc"}: each a SymbolicCheck (SymPy's block, the hand form,
    whether they are equal).

    Derived in :ref:`ch6-hc-step` (chapter 6).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    U, V, b, c, _, x = _lstm_cell_symbols(n, m)
    U["o"] = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"u^o_{i + 1}{j + 1}", real=True))
    V["o"] = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"v^o_{i + 1}{j + 1}", real=True))
    b["o"] = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"b^o_{i + 1}", real=True))
    h = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"h_{i + 1}", real=True))
    z = {g: U[g] * h + V[g] * x + b[g] for g in "fico"}
    f, i, o = (z[g].applyfunc(sigmoid) for g in "fio")
    ct = z["c"].applyfunc(sp.tanh)
    c_next = f.multiply_elementwise(c) + i.multiply_elementwise(ct)
    h_next = o.multiply_elementwise(c_next.applyfunc(sp.tanh))

    zz = sp.Symbol("z", real=True)
    dsig = sp.Lambda(zz, sp.diff(sigmoid(zz), zz))
    dtanh = sp.Lambda(zz, sp.diff(sp.tanh(zz), zz))

    def diag(v):
        return sp.diag(*list(v))

    def act(fn, v):
        return v.applyfunc(fn)

    K = (diag(c.multiply_elementwise(act(dsig, z["f"]))) * U["f"]
         + diag(ct.multiply_elementwise(act(dsig, z["i"]))) * U["i"]
         + diag(i.multiply_elementwise(act(dtanh, z["c"]))) * U["c"])
    out_scale = diag(o.multiply_elementwise(act(dtanh, c_next)))      # ∂h_t/∂c_t
    claimed = {
        "cc": diag(f),
        "ch": K,
        "hc": out_scale * diag(f),
        "hh": diag(c_next.applyfunc(sp.tanh).multiply_elementwise(act(dsig, z["o"]))) * U["o"]
        + out_scale * K,
    }
    derived = {"cc": c_next.jacobian(c), "ch": c_next.jacobian(h),
               "hc": h_next.jacobian(c), "hh": h_next.jacobian(h)}
    return {k: SymbolicCheck(derived[k], claimed[k], _zero(derived[k] - claimed[k]))
            for k in ("hh", "hc", "ch", "cc")}


# --------------------------------------------------------------------------- the GRU

#: The four places h_{t-1} enters a GRU step, and the term of ∂h_t/∂h_{t-1} each one gives:
#: the state kept (z_t ⊙ h_{t-1}: "direct"), the update gate ("update"), the candidate's
#: product U_n h_{t-1} ("candidate") and the reset gate ("reset"), as in gru.JacobianTerms.
_GRU_TERMS = {"direct": "keep", "update": "z", "candidate": "n", "reset": "r"}


def _gru_symbols(n: int, m: int):
    """Symbolic GRU pieces: U_g (n × n) and V_g (n × m) for g = z, r, n; the biases b_z, b_r,
    b_n, b_hn; h_{t-1} (n) and x_t (m)."""
    def mat(name, rows, cols):
        return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))

    def vec(name, size):
        return sp.Matrix(size, 1, lambda i, _: sp.Symbol(f"{name}_{i + 1}", real=True))

    U = {g: mat(f"u^{g}", n, n) for g in "zrn"}
    V = {g: mat(f"v^{g}", n, m) for g in "zrn"}
    b = {g: vec(f"b^{g}", n) for g in ("z", "r", "n", "hn")}
    return U, V, b, vec("h", n), vec("x", m)


def _gru_step(U, V, b, hs: dict, x, *, reset: str = "after", keep: str = "z"):
    """h_t of one GRU step, with h_{t-1} given separately for each place it enters
    (``hs`` keyed 'keep', 'z', 'r', 'n'). ``reset='after'``: r ⊙ (U_n h + b_hn) (PyTorch,
    Keras reset_after=True); 'before': U_n (r ⊙ h) + b_hn (Cho et al. 2014). ``keep='z'``:
    h_t = (1 - z) ⊙ h̃ + z ⊙ h_{t-1}; '1-z': the roles of z and 1 - z swapped (Chung et al. 2014).
    Returns (h_t, pre-activations {'z', 'r', 'n'})."""
    a_z = U["z"] * hs["z"] + V["z"] * x + b["z"]
    a_r = U["r"] * hs["r"] + V["r"] * x + b["r"]
    z, r = a_z.applyfunc(sigmoid), a_r.applyfunc(sigmoid)
    if reset == "after":
        rec = r.multiply_elementwise(U["n"] * hs["n"] + b["hn"])
    else:
        rec = U["n"] * r.multiply_elementwise(hs["n"]) + b["hn"]
    a_n = V["n"] * x + b["n"] + rec
    h_tilde = a_n.applyfunc(sp.tanh)
    one = sp.ones(*z.shape)
    kept, written = (z, one - z) if keep == "z" else (one - z, z)
    h = written.multiply_elementwise(h_tilde) + kept.multiply_elementwise(hs["keep"])
    return h, {"z": a_z, "r": a_r, "n": a_n}


def gru_step_jacobian(n: int = 2, m: int = 1) -> dict[str, SymbolicCheck]:
    """∂h_t/∂h_{t-1} of the GRU (PyTorch's convention, ``gru.py``) derived by SymPy on symbolic
    matrices and compared with the hand-derived terms (the GRU chapter):

        direct    = diag(z_t)
        update    = diag((h_{t-1} - h̃_t) ⊙ σ'(a_z)) U_z
        candidate = diag((1 - z_t) ⊙ tanh'(a_n) ⊙ r_t) U_n
        reset     = diag((1 - z_t) ⊙ tanh'(a_n) ⊙ (U_n h_{t-1} + b_hn) ⊙ σ'(a_r)) U_r

    with a_z, a_r, a_n the pre-activations of z_t, r_t, h̃_t. As for eq. (6), h_{t-1} is replaced
    by four independent copies, one per place it enters; SymPy differentiates with respect to
    each and sets them equal again. Returns a check per term and ``"total"``: SymPy's Jacobian
    of h_t with respect to h_{t-1} against the sum of the four hand-derived terms.

    Used in :ref:`gru-sympy` (the GRU chapter).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    U, V, b, h, x = _gru_symbols(n, m)
    copies = {p: sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"h{p}_{i + 1}", real=True))
              for p in _GRU_TERMS.values()}
    h_next, _ = _gru_step(U, V, b, copies, x)
    back = {copies[p][j]: h[j] for p in copies for j in range(n)}
    derived = {k: h_next.jacobian(copies[p]).subs(back) for k, p in _GRU_TERMS.items()}
    total = _gru_step(U, V, b, {p: h for p in copies}, x)[0].jacobian(h)

    _, a = _gru_step(U, V, b, {p: h for p in copies}, x)
    zz = sp.Symbol("z", real=True)
    dsig = sp.Lambda(zz, sp.diff(sigmoid(zz), zz))
    dtanh = sp.Lambda(zz, sp.diff(sp.tanh(zz), zz))
    z, r, h_tilde = a["z"].applyfunc(sigmoid), a["r"].applyfunc(sigmoid), a["n"].applyfunc(sp.tanh)
    rec = U["n"] * h + b["hn"]
    write = [(1 - z[j]) * dtanh(a["n"][j]) for j in range(n)]
    hand = {
        "direct": sp.diag(*z),
        "update": sp.diag(*[(h[j] - h_tilde[j]) * dsig(a["z"][j]) for j in range(n)]) * U["z"],
        "candidate": sp.diag(*[write[j] * r[j] for j in range(n)]) * U["n"],
        "reset": sp.diag(*[write[j] * rec[j] * dsig(a["r"][j]) for j in range(n)]) * U["r"],
    }
    out = {k: SymbolicCheck(derived[k], hand[k], _zero(derived[k] - hand[k])) for k in _GRU_TERMS}
    claimed = sum(hand.values(), sp.zeros(n, n))
    out["total"] = SymbolicCheck(total, claimed, _zero(total - claimed))
    return out


def gru_scalar_terms() -> dict:
    """The four terms of ∂h_t/∂h_{t-1} for one unit (n = m = 1), as SymPy derives them, written
    with the pre-activations a_z, a_r, a_n as symbols.

    Shown in :ref:`gru-sympy` (the GRU chapter).
    """
    U, V, b, h, x = _gru_symbols(1, 1)
    checks = gru_step_jacobian(1, 1)
    _, a = _gru_step(U, V, b, {p: h for p in _GRU_TERMS.values()}, x)
    names = {g: sp.Symbol(f"a_{g}", real=True) for g in "zrn"}

    def named(expr):
        for g in "nrz":                     # a_n contains σ(a_r): replace it first
            expr = expr.subs(a[g][0], names[g])
        return sp.simplify(expr)

    return {k: named(checks[k].derived[0, 0]) for k in _GRU_TERMS}


def gru_jacobian_function(n: int, m: int):
    """A NumPy function ``J(params, h_prev, x)`` made by SymPy from the symbolic Jacobian of one
    GRU step (:func:`gru_step_jacobian`'s total): an independent check of ``gru.step_jacobian``.
    ``params`` is a ``gru.GRUParams`` with n units and m inputs.

    Used in :ref:`gru-sympy` (the GRU chapter).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    U, V, b, h, x = _gru_symbols(n, m)
    J = _gru_step(U, V, b, {p: h for p in _GRU_TERMS.values()}, x)[0].jacobian(h)
    args = [list(U[g]) + list(V[g]) for g in "zrn"]
    args += [list(b[g]) for g in ("z", "r", "n", "hn")] + [list(h), list(x)]
    f = sp.lambdify(args, J, modules="numpy")

    def jacobian(params, h_prev, x_):
        import numpy as np

        if (params.n, params.m) != (n, m):
            raise ValueError(f"params must have n={n}, m={m}, got n={params.n}, m={params.m}")
        vals = [np.concatenate([params.U(g).ravel(), params.V(g).ravel()]) for g in "zrn"]
        vals += [getattr(params, f"b_{g}") for g in ("z", "r", "n", "hn")]
        vals += [np.ravel(h_prev), np.ravel(x_)]
        return np.asarray(f(*vals), dtype=float)

    return jacobian


def gru_conventions(n: int = 2, m: int = 1) -> dict[str, SymbolicCheck]:
    """Are two ways of writing the GRU the same model? SymPy compares h_t of one step.

    ``"z ↔ 1 - z"``: PyTorch's h_t = (1 - z) ⊙ h̃ + z ⊙ h_{t-1} with (W_z, b_z) against the
    swapped form h_t = z ⊙ h̃ + (1 - z) ⊙ h_{t-1} (Chung et al. 2014) with (-W_z, -b_z): since
    σ(-a) = 1 - σ(a), the same function: a relabelling. ``"reset after = before"``: the reset
    gate after the product, r ⊙ (U_n h + b_hn) (PyTorch), against before it, U_n (r ⊙ h) + b_hn
    (Cho et al. 2014), with the same parameters. ``"reset after = before, b_hn = 0"``: the same
    with b_hn = 0; for n = 1 both then hold, for n > 1 they differ whenever U_n mixes units.

    Used in :ref:`gru-conventions` (the GRU chapter).
    """
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    U, V, b, h, x = _gru_symbols(n, m)
    hs = {p: h for p in _GRU_TERMS.values()}
    torch_form = _gru_step(U, V, b, hs, x)[0]
    flipped = ({**U, "z": -U["z"]}, {**V, "z": -V["z"]}, {**b, "z": -b["z"]})
    chung = _gru_step(*flipped, hs, x, keep="1-z")[0]
    before = _gru_step(U, V, b, hs, x, reset="before")[0]
    no_bias = {b["hn"][j]: 0 for j in range(n)}
    return {
        "z ↔ 1 - z": SymbolicCheck(torch_form, chung, _zero(torch_form - chung)),
        "reset after = before": SymbolicCheck(torch_form, before, _zero(torch_form - before)),
        "reset after = before, b_hn = 0": SymbolicCheck(
            torch_form.subs(no_bias), before.subs(no_bias),
            _zero((torch_form - before).subs(no_bias))),
    }
