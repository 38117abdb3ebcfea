"""SymPy claims of the book (chapter 4), re-run as tests, and checked against numbers."""

import numpy as np
import pytest
import sympy as sp

from rnngrad import activations, rnn, symbolic


@pytest.mark.parametrize("name, gamma", [("sigmoid", sp.Rational(1, 4)), ("tanh", sp.Integer(1))])
def test_activation_derivative_bound(name, gamma):
    d, z0, gmax = symbolic.activation_derivative_bound(name)
    assert z0 == 0
    assert gmax == gamma
    assert float(gmax) == activations.GAMMA[name]
    # The symbolic derivative agrees with the package's derivative-from-output numerically.
    z = sp.Symbol("z", real=True)
    f = sp.lambdify(z, d, "numpy")
    zs = np.linspace(-6, 6, 101)
    a = activations.activation(name)(zs)
    np.testing.assert_allclose(f(zs), activations.derivative_from_output(name, a), rtol=1e-10)


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_eq2_scalar_holds(act):
    chk = symbolic.eq2_scalar(act)
    assert chk.holds is True


def test_eq2_scalar_check_can_fail():
    """The verdict is SymPy's, not a constant: a wrong claim is rejected."""
    chk = symbolic.eq2_scalar("sigmoid")
    c = sp.Symbol("c_{t-1}", real=True)
    assert symbolic._zero(chk.derived - 2 * chk.claimed) is False
    assert symbolic._zero(chk.derived.subs(c, 0) - chk.claimed.subs(c, 0)) is True


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_eq2_matrix_left_diagonal_only(act):
    checks = symbolic.eq2_matrix(n=2, m=1, activation=act)
    assert checks["diag(act') W_rec"].holds is True
    assert checks["W_rec diag(act')"].holds is False


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_sympy_jacobian_matches_step_jacobian(act):
    rng = np.random.default_rng(3)
    params = rnn.init(3, 2, rng=rng, scale=1.7, activation=act)
    xs = rng.standard_normal((5, 2))
    trace = rnn.forward(params, xs)
    J_fn = symbolic.eq2_jacobian_function(3, 2, act)
    for t in range(1, 5):
        np.testing.assert_allclose(J_fn(params.W_rec, params.W_in, trace.c[t - 1], xs[t]),
                                   rnn.step_jacobian(params, trace, t), atol=1e-14)


def test_audit_source_equations():
    audit = symbolic.audit_source_equations()
    assert audit["eq2"] is True
    assert all(isinstance(v, bool) for v in audit.values())


@pytest.mark.parametrize("call", [
    lambda: symbolic.activation_derivative_bound("relu"),
    lambda: symbolic.eq2_scalar("relu"),
    lambda: symbolic.eq2_matrix(n=0),
    lambda: symbolic.eq2_matrix(activation="relu"),
    lambda: symbolic.eq2_jacobian_function(2, 0),
])
def test_bad_input(call):
    with pytest.raises(ValueError):
        call()


# ----------------------------------------------------------------------------- eq. (6)

from rnngrad import lstm  # noqa: E402


@pytest.mark.parametrize("n", [1, 2])
def test_eq6_terms_sum_to_the_total_derivative(n):
    assert symbolic.eq6_terms(n, 1)["sum_holds"] is True


def test_eq6_audit_scalar_only_D_is_wrong():
    assert symbolic.eq6_audit(1, 1) == {"A": True, "B": True, "C": True, "D": False}
    assert symbolic.eq6_audit(1, 1, corrected=True) == dict.fromkeys("ABCD", True)


def test_eq6_audit_matrix_order_matters():
    """With two units the printed right-hand position of c_{t-1}, c̃_t, i_t is wrong too."""
    assert symbolic.eq6_audit(2, 1) == {"A": False, "B": True, "C": False, "D": False}
    assert symbolic.eq6_audit(2, 1, corrected=True) == dict.fromkeys("ABCD", True)


def test_audit_source_equations_keys():
    audit = symbolic.audit_source_equations()
    assert set(audit) == {"eq2", "eq6.A", "eq6.B", "eq6.C", "eq6.D"}
    assert audit["eq6.D"] is False and audit["eq6.A"] is True


@pytest.mark.parametrize("n, m", [(1, 1), (2, 1), (2, 2)])
def test_sympy_eq6_terms_match_cell_jacobian_terms(n, m):
    rng = np.random.default_rng(n + 10 * m)
    params = lstm.init(n, m, rng=rng, forget_bias=0.5, weight_scale=1.5)
    xs = rng.standard_normal((4, m))
    trace = lstm.forward(params, xs)
    fn = symbolic.eq6_terms_function(n, m)
    for t in (1, 3):
        sym = fn(params, trace.c[t - 1], trace.o[t - 1], xs[t])
        for name, num in zip("ABCD", lstm.cell_jacobian_terms(params, trace, t)):
            np.testing.assert_allclose(sym[name], num, atol=1e-14, rtol=1e-12)


def test_zero_disproves_fast_and_proves_symbolically():
    x = sp.Symbol("x", real=True)
    assert symbolic._zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1) is True
    assert symbolic._zero(sp.sin(x) ** 2 - sp.cos(x) ** 2) is False
    assert symbolic._zero(sp.Matrix([[0, sp.exp(x) * sp.exp(-x) - 1]])) is True


# ----------------------------------------------------------------------------- the GRU

from reference import random_gru  # noqa: E402
from rnngrad import gru  # noqa: E402


@pytest.fixture(scope="module", params=[1, 2], ids=["n=1", "n=2"])
def gru_checks(request):
    return request.param, symbolic.gru_step_jacobian(request.param, 1)


def test_gru_hand_derived_terms_hold(gru_checks):
    n, checks = gru_checks
    assert set(checks) == {"direct", "update", "candidate", "reset", "total"}
    for name, chk in checks.items():
        assert chk.holds is True, name
        assert chk.derived.shape == chk.claimed.shape == (n, n)


def test_gru_jacobian_check_can_fail(gru_checks):
    """The verdicts are SymPy's: the other convention's direct term diag(1 - z) is rejected, and
    so is the candidate term with its diagonal factor on the right (columns scaled)."""
    n, checks = gru_checks
    direct = checks["direct"]
    assert symbolic._zero(direct.derived - (sp.eye(n) - direct.claimed)) is False
    cand = checks["candidate"].claimed
    if n > 1:
        U, _, _, _, _ = symbolic._gru_symbols(n, 1)
        row_scale = sp.diag(*[cand[i, 0] / U["n"][i, 0] for i in range(n)])
        assert symbolic._zero(checks["candidate"].derived - U["n"] * row_scale) is False


@pytest.mark.parametrize("n, m", [(1, 1), (2, 1), (2, 3)])
def test_sympy_gru_jacobian_matches_step_jacobian(rng, n, m):
    params, xs, h0 = random_gru(rng, n, m, 4)
    trace = gru.forward(params, xs, h0)
    fn = symbolic.gru_jacobian_function(n, m)
    for t in range(4):
        np.testing.assert_allclose(fn(params, trace.h_prev[t], xs[t]),
                                   gru.step_jacobian(params, trace, t), rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="params must have"):
        symbolic.gru_jacobian_function(n + 1, m)(params, trace.h0, xs[0])


def test_gru_scalar_terms_are_written_with_the_preactivations():
    terms = symbolic.gru_scalar_terms()
    a_z = sp.Symbol("a_z", real=True)
    assert set(terms) == {"direct", "update", "candidate", "reset"}
    assert symbolic._zero(terms["direct"] - symbolic.sigmoid(a_z)) is True
    for name in ("update", "candidate", "reset"):
        assert sp.Symbol("a_z", real=True) in terms[name].free_symbols, name


@pytest.mark.parametrize("n, same_without_bias", [(1, True), (2, False)])
def test_gru_conventions(n, same_without_bias):
    """z ↔ 1 - z is a relabelling for every n; the reset gate's place is not, except for one
    unit without b_hn."""
    checks = symbolic.gru_conventions(n, 1)
    assert checks["z ↔ 1 - z"].holds is True
    assert checks["reset after = before"].holds is False
    assert checks["reset after = before, b_hn = 0"].holds is same_without_bias


@pytest.mark.parametrize("call", [
    lambda: symbolic.gru_step_jacobian(0),
    lambda: symbolic.gru_step_jacobian(1, 1.5),
    lambda: symbolic.gru_conventions(-1),
    lambda: symbolic.gru_jacobian_function(2, 0),
])
def test_gru_bad_input(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------- chapters 5 and 6


def test_carousel_ode_gives_the_linear_unit():
    d = symbolic.carousel_ode()
    z, w = d["z"], d["w"]
    assert d["holds"] is True and d["identity"] is True
    assert d["factor"] == 1
    constant = (d["solution"].rhs.free_symbols - {z, w}).pop()
    assert sp.simplify(d["solution"].rhs - (z / w + constant)) == 0
    # tanh is not a solution: w·tanh'(z) = 1 fails away from one point
    assert symbolic._zero(w * sp.diff(sp.tanh(z), z) - 1) is False


@pytest.mark.parametrize("n", [1, 2])
def test_state_jacobian_blocks_hold(n):
    blocks = symbolic.state_jacobian_blocks(n, 1)
    assert set(blocks) == {"hh", "hc", "ch", "cc"}
    assert all(chk.holds is True for chk in blocks.values())
    assert all(chk.derived.shape == (n, n) for chk in blocks.values())


def test_state_jacobian_blocks_check_can_fail():
    blocks = symbolic.state_jacobian_blocks(2, 1)
    hh = blocks["hh"].derived
    no_output_gate = {s: 0 for s in hh.free_symbols if str(s).startswith("u^o")}
    # ∂h_t/∂h_{t-1} without its output-gate term, and a cell block of 1, are wrong
    assert symbolic._zero(hh - hh.subs(no_output_gate)) is False
    assert symbolic._zero(blocks["cc"].derived - sp.eye(2)) is False
    assert symbolic._zero(blocks["hc"].derived - blocks["cc"].derived) is False


@pytest.mark.parametrize("n, m", [(1, 1), (2, 2)])
def test_sympy_state_blocks_match_state_jacobian(rng, n, m):
    blocks = symbolic.state_jacobian_blocks(n, m)
    params = lstm.init(n, m, rng=rng, weight_scale=1.5)
    params = lstm.LSTMParams(**{**{f"W_{g}": getattr(params, f"W_{g}") for g in "fico"},
                                **{f"b_{g}": rng.standard_normal(n) for g in "fico"}})
    xs = rng.standard_normal((5, m))
    tr = lstm.forward(params, xs, rng.uniform(-1, 1, n), rng.standard_normal(n))
    t = 3
    values = {}
    for g in "fico":
        for name, M in (("u", params.U(g)), ("v", params.V(g))):
            values.update({sp.Symbol(f"{name}^{g}_{i + 1}{j + 1}", real=True): M[i, j]
                           for i in range(n) for j in range(M.shape[1])})
        values.update({sp.Symbol(f"b^{g}_{i + 1}", real=True): getattr(params, f"b_{g}")[i]
                       for i in range(n)})
    values.update({sp.Symbol(f"h_{i + 1}", real=True): tr.h[t - 1, i] for i in range(n)})
    values.update({sp.Symbol(f"c_{i + 1}", real=True): tr.c[t - 1, i] for i in range(n)})
    values.update({sp.Symbol(f"x_{i + 1}", real=True): xs[t, i] for i in range(m)})
    J = lstm.state_jacobian(params, tr, t)
    for name, (r, c) in {"hh": (0, 0), "hc": (0, 1), "ch": (1, 0), "cc": (1, 1)}.items():
        block = np.array(blocks[name].derived.subs(values).evalf(), dtype=float)
        np.testing.assert_allclose(block, J[r * n:(r + 1) * n, c * n:(c + 1) * n],
                                   rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("call", [lambda: symbolic.state_jacobian_blocks(0, 1),
                                  lambda: symbolic.state_jacobian_blocks(2, 1.5)])
def test_state_jacobian_blocks_bad_input(call):
    with pytest.raises(ValueError, match="^n|^m"):
        call()
