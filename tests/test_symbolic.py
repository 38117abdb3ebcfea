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
