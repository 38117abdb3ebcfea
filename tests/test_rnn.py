"""The simple RNN: forward, BPTT, per-step BPTT terms, step Jacobian (rnn.py, activations.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import (ACTIVATIONS, BATCHES, HYP, SIZES, assert_close_fd, fd_jacobian,
                      fd_jacobian_per_example, random_rnn, ref_rnn_forward, replace, rnn_at,
                      spectral, state_shape, xs_shape)
from rnngrad import activations, rnn

PARAM_FIELDS = ("W_rec", "W_in", "b")


def _loss_weights(rng, trace, kind):
    """dL/dc for L = sum(G * c): G random at every step ('all') or only at the last ('last')."""
    G = rng.standard_normal(trace.c.shape)
    if kind == "last":
        G[:-1] = 0.0
    return G


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_forward_matches_reference(rng, n, m, T, B, activation):
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    trace = rnn.forward(params, xs, c0)
    expected = ref_rnn_forward(rnn_at(params), xs, c0, activation)
    np.testing.assert_allclose(trace.c, expected, rtol=1e-12, atol=1e-14)
    a = trace.c
    dact = a * (1 - a) if activation == "sigmoid" else 1 - a * a
    np.testing.assert_allclose(trace.dact, dact, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(trace.c_prev[0], c0)
    np.testing.assert_array_equal(trace.c_prev[1:], trace.c[:-1])


def test_forward_default_c0_is_zero(rng):
    params, xs, _ = random_rnn(rng, 3, 2, 4)
    np.testing.assert_array_equal(rnn.forward(params, xs).c, rnn.forward(params, xs, np.zeros(3)).c)
    xs_b = rng.standard_normal((4, 2, 2))
    tr = rnn.forward(params, xs_b)
    assert tr.c0.shape == (2, 3) and not tr.c0.any()


def test_forward_broadcasts_shared_c0_over_batch(rng):
    params, xs, _ = random_rnn(rng, 3, 2, 4, B=5)
    c0 = rng.standard_normal(3)
    a = rnn.forward(params, xs, c0)
    b = rnn.forward(params, xs, np.tile(c0, (5, 1)))
    np.testing.assert_array_equal(a.c, b.c)


# --------------------------------------------------------------------------- backward vs FD


@pytest.mark.parametrize("loss_kind", ["all", "last"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_backward_matches_finite_differences(rng, n, m, T, B, activation, loss_kind):
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    trace = rnn.forward(params, xs, c0)
    G = _loss_weights(rng, trace, loss_kind)

    def loss(p, c_init):
        return np.sum(G * rnn.forward(p, xs, c_init).c)

    grads = rnn.backward(params, trace, G)
    for name in PARAM_FIELDS:
        fd = fd_jacobian(lambda v: loss(replace(params, **{name: v}), c0), getattr(params, name))
        assert_close_fd(getattr(grads, name), fd, name)
    assert_close_fd(grads.c0, fd_jacobian(lambda v: loss(params, v), trace.c0), "c0")


def test_backward_is_linear_in_dL_dc(rng):
    params, xs, c0 = random_rnn(rng, 3, 2, 5)
    tr = rnn.forward(params, xs, c0)
    G1, G2 = rng.standard_normal((2,) + tr.c.shape)
    g1, g2, g12 = (rnn.backward(params, tr, G) for G in (G1, G2, 2 * G1 - G2))
    for name in PARAM_FIELDS + ("c0",):
        np.testing.assert_allclose(getattr(g12, name), 2 * getattr(g1, name) - getattr(g2, name),
                                   rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- step Jacobian


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 2), (3, 2, 4), (4, 1, 3)])
def test_step_jacobian_matches_finite_differences(rng, n, m, T, B, activation):
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    trace = rnn.forward(params, xs, c0)
    for t in range(1, T):
        J = rnn.step_jacobian(params, trace, t)

        def one_step(c_prev, t=t):
            return rnn.forward(params, xs[t:t + 1], c_prev).c[0]

        fd = fd_jacobian_per_example(one_step, trace.c[t - 1], B is not None)
        assert J.shape == state_shape(B, n) + (n,)
        assert_close_fd(J, fd, f"t={t}")


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_step_jacobian_closed_form(rng, activation):
    """Eq. (2): dc_t/dc_{t-1} = diag(act'(z_t)) W_rec, with act' recomputed from c_t."""
    params, xs, c0 = random_rnn(rng, 4, 3, 5, activation=activation)
    trace = rnn.forward(params, xs, c0)
    for t in range(1, 5):
        a = trace.c[t]
        d = a * (1 - a) if activation == "sigmoid" else 1 - a * a
        np.testing.assert_allclose(rnn.step_jacobian(params, trace, t), np.diag(d) @ params.W_rec,
                                   rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("scale", [0.1, 1.0, 4.0, 30.0])
def test_step_jacobian_norm_bound(rng, activation, scale):
    """||diag(act') W_rec||_2 <= gamma ||W_rec||_2 (chapter 4's bound), for every t."""
    params, xs, c0 = random_rnn(rng, 5, 3, 8, activation=activation, scale=scale)
    trace = rnn.forward(params, xs, c0)
    bound = activations.GAMMA[activation] * spectral(params.W_rec)
    assert np.isclose(spectral(params.W_rec), scale, rtol=1e-12)
    for t in range(1, 8):
        assert spectral(rnn.step_jacobian(params, trace, t)) <= bound * (1 + 1e-12)


# --------------------------------------------------------------------------- per-step BPTT terms


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_bptt_terms_sum_to_backward(rng, n, m, T, B, activation):
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    trace = rnn.forward(params, xs, c0)
    G = rng.standard_normal(trace.c.shape)
    terms = rnn.bptt_terms(params, trace, G)
    grads = rnn.backward(params, trace, G)
    for name in PARAM_FIELDS:
        term = getattr(terms, name)
        assert term.shape == (T,) + getattr(params, name).shape
        np.testing.assert_allclose(term.sum(axis=0), getattr(grads, name), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(terms.c0, grads.c0, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss_kind", ["last", "all"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 3), (3, 2, 4)])
def test_bptt_term_j_is_gradient_through_step_j(rng, n, m, T, B, activation, loss_kind):
    """Term j is the gradient w.r.t. a copy of the weights that is used at step j only."""
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    trace = rnn.forward(params, xs, c0)
    G = _loss_weights(rng, trace, loss_kind)
    terms = rnn.bptt_terms(params, trace, G)
    for j in range(T):
        for name in PARAM_FIELDS:
            base = getattr(params, name)

            def loss(v, j=j, name=name):
                c = ref_rnn_forward(rnn_at(params, j, **{name: v}), xs, c0, activation)
                return np.sum(G * c)

            assert_close_fd(getattr(terms, name)[j], fd_jacobian(loss, base), f"{name}[{j}]")


# --------------------------------------------------------------------------- init


@pytest.mark.parametrize("n,m", [(1, 1), (2, 5), (6, 3)])
@pytest.mark.parametrize("scale", [0.0, 0.5, 1.0, 7.5])
def test_init_spectral_norm_equals_scale(n, m, scale):
    p = rnn.init(n, m, rng=np.random.default_rng(n + 10 * m), scale=scale, input_scale=2.0)
    assert p.W_rec.shape == (n, n) and p.W_in.shape == (n, m) and p.b.shape == (n,)
    assert np.isclose(spectral(p.W_rec), scale, rtol=1e-12, atol=0.0)
    assert not p.b.any()
    assert p.activation == "sigmoid"


def test_init_uses_the_given_generator_only():
    a = rnn.init(4, 3, rng=np.random.default_rng(7), activation="tanh")
    b = rnn.init(4, 3, rng=np.random.default_rng(7), activation="tanh")
    c = rnn.init(4, 3, rng=np.random.default_rng(8), activation="tanh")
    np.testing.assert_array_equal(a.W_rec, b.W_rec)
    np.testing.assert_array_equal(a.W_in, b.W_in)
    assert not np.array_equal(a.W_rec, c.W_rec)
    assert a.activation == "tanh"


@pytest.mark.parametrize("n,m", [(1, 1), (2, 5), (7, 3)])
@pytest.mark.parametrize("g", [0.5, 1.0, 4.0])
def test_init_orthogonal_has_all_singular_values_equal_to_g(n, m, g):
    p = rnn.init(n, m, rng=np.random.default_rng(3 * n + m), scale=g, recurrent="orthogonal")
    np.testing.assert_allclose(np.linalg.svd(p.W_rec, compute_uv=False), np.full(n, g),
                               rtol=1e-12)
    np.testing.assert_allclose(p.W_rec @ p.W_rec.T, g * g * np.eye(n), atol=1e-12 * g * g)
    np.testing.assert_allclose(p.W_rec.T @ p.W_rec, g * g * np.eye(n), atol=1e-12 * g * g)
    assert p.W_in.shape == (n, m) and not p.b.any()


def test_init_orthogonal_is_the_q_of_the_gaussian_draw_with_positive_r_diagonal():
    """W_rec / g = Q with G = Q R, R upper triangular with a positive diagonal (the uniform
    orthogonal matrix), where G is the Gaussian matrix the default draws from the same state."""
    n, g = 6, 2.0
    G = np.random.default_rng(11).standard_normal((n, n))
    Q = rnn.init(n, 2, rng=np.random.default_rng(11), scale=g, recurrent="orthogonal").W_rec / g
    R = Q.T @ G
    np.testing.assert_allclose(np.tril(R, -1), 0.0, atol=1e-12)
    assert np.all(np.diag(R) > 0)


@pytest.mark.parametrize("g", [0.0, 1.0, 4.0])
def test_init_identity_is_g_times_the_identity(g):
    p = rnn.init(5, 2, rng=np.random.default_rng(0), scale=g, recurrent="identity",
                 activation="tanh")
    np.testing.assert_array_equal(p.W_rec, g * np.eye(5))
    assert np.isclose(spectral(p.W_rec), g, rtol=1e-12, atol=0.0)


def test_init_recurrent_choices_share_w_in_and_are_seeded():
    kinds = {k: rnn.init(4, 3, rng=np.random.default_rng(7), recurrent=k) for k in rnn.RECURRENT_INITS}
    for k in rnn.RECURRENT_INITS:
        np.testing.assert_array_equal(kinds[k].W_in, kinds["gaussian"].W_in)
        again = rnn.init(4, 3, rng=np.random.default_rng(7), recurrent=k)
        np.testing.assert_array_equal(again.W_rec, kinds[k].W_rec)
    np.testing.assert_array_equal(kinds["gaussian"].W_rec,
                                  rnn.init(4, 3, rng=np.random.default_rng(7)).W_rec)
    other = rnn.init(4, 3, rng=np.random.default_rng(8), recurrent="orthogonal")
    assert not np.array_equal(other.W_rec, kinds["orthogonal"].W_rec)
    assert not np.allclose(kinds["orthogonal"].W_rec, kinds["gaussian"].W_rec)


@pytest.mark.parametrize("bad", ["unitary", "Orthogonal", None, 1])
def test_init_rejects_unknown_recurrent(bad):
    with pytest.raises(ValueError, match=r"^recurrent must be one of"):
        rnn.init(3, 1, rng=np.random.default_rng(0), recurrent=bad)


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_derivative_from_output_matches_fd(name):
    z = np.linspace(-6, 6, 25)
    act = activations.activation(name)
    fd = np.array([(act(zk + 1e-6) - act(zk - 1e-6)) / 2e-6 for zk in z])
    assert_close_fd(activations.derivative_from_output(name, act(z)), fd, name)
    assert np.max(activations.derivative_from_output(name, act(z))) <= activations.GAMMA[name]
    # the supremum is attained at z = 0
    assert activations.derivative_from_output(name, act(0.0)) == activations.GAMMA[name]


def test_sigmoid_matches_textbook_formula_and_symmetry():
    z = np.linspace(-30, 30, 121)
    s = activations.sigmoid(z)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-z)), rtol=1e-14, atol=0)
    np.testing.assert_allclose(s + activations.sigmoid(-z), 1.0, rtol=0, atol=4e-16)
    # full relative precision in the far left tail: sigma(z) ~ e^z
    np.testing.assert_allclose(activations.sigmoid(np.array([-700.0, -600.0])),
                               np.exp([-700.0, -600.0]), rtol=1e-12)


@HYP
@given(z=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_sigmoid_in_unit_interval_without_warnings(z):
    z = np.array(z + [1e308, -1e308, 800.0, -800.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = activations.sigmoid(z)
    assert np.all((s >= 0.0) & (s <= 1.0))
    assert np.all(np.isfinite(s))
    assert np.all(np.diff(activations.sigmoid(np.sort(z))) >= -1e-15)     # monotone (to rounding)


# --------------------------------------------------------------------------- properties


sizes = st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 6),
                  st.one_of(st.none(), st.integers(1, 3)),
                  st.sampled_from(ACTIVATIONS), st.integers(0, 2**31 - 1))


@HYP
@given(case=sizes)
def test_trace_shapes(case):
    n, m, T, B, activation, seed = case
    params, xs, c0 = random_rnn(np.random.default_rng(seed), n, m, T, B, activation)
    trace = rnn.forward(params, xs, c0)
    assert trace.T == T and trace.batched == (B is not None)
    assert trace.xs.shape == xs_shape(T, B, m)
    assert trace.c0.shape == state_shape(B, n)
    assert trace.c.shape == trace.dact.shape == trace.c_prev.shape == (T,) + state_shape(B, n)
    assert trace.c.dtype == np.float64
    G = np.ones(trace.c.shape)
    g = rnn.backward(params, trace, G)
    assert g.W_rec.shape == (n, n) and g.W_in.shape == (n, m) and g.b.shape == (n,)
    assert g.c0.shape == state_shape(B, n)


@HYP
@given(case=sizes)
def test_forward_is_deterministic_and_does_not_mutate_inputs(case):
    n, m, T, B, activation, seed = case
    params, xs, c0 = random_rnn(np.random.default_rng(seed), n, m, T, B, activation)
    xs_copy, c0_copy, W_copy = xs.copy(), c0.copy(), params.W_rec.copy()
    a = rnn.forward(params, xs, c0)
    b = rnn.forward(params, xs, c0)
    np.testing.assert_array_equal(a.c, b.c)
    np.testing.assert_array_equal(a.dact, b.dact)
    np.testing.assert_array_equal(xs, xs_copy)
    np.testing.assert_array_equal(c0, c0_copy)
    np.testing.assert_array_equal(params.W_rec, W_copy)
    if activation == "sigmoid":
        assert np.all((a.c >= 0) & (a.c <= 1))
    else:
        assert np.all(np.abs(a.c) <= 1)


@HYP
@given(case=sizes.filter(lambda c: c[3] is not None))
def test_batched_forward_equals_stacked_single_sequences(case):
    n, m, T, B, activation, seed = case
    rng = np.random.default_rng(seed)
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    batched = rnn.forward(params, xs, c0)
    G = rng.standard_normal(batched.c.shape)
    gb = rnn.backward(params, batched, G)
    singles = [rnn.forward(params, xs[:, b], c0[b]) for b in range(B)]
    np.testing.assert_allclose(batched.c, np.stack([s.c for s in singles], axis=1),
                               rtol=1e-13, atol=1e-15)
    gs = [rnn.backward(params, s, G[:, b]) for b, s in enumerate(singles)]
    for name in PARAM_FIELDS:
        np.testing.assert_allclose(getattr(gb, name), sum(getattr(g, name) for g in gs),
                                   rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gb.c0, np.stack([g.c0 for g in gs]), rtol=1e-11, atol=1e-13)


@HYP
@given(case=sizes, big=st.sampled_from([1e3, -1e3, 1e6]))
def test_large_weights_give_finite_states_without_warnings(case, big):
    n, m, T, B, activation, seed = case
    rng = np.random.default_rng(seed)
    params, xs, c0 = random_rnn(rng, n, m, T, B, activation)
    params = replace(params, W_rec=big * params.W_rec, W_in=big * params.W_in, b=big * params.b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = rnn.forward(params, 10 * xs, c0)
        grads = rnn.backward(params, trace, np.ones(trace.c.shape))
    assert np.all(np.isfinite(trace.c)) and np.all(np.isfinite(trace.dact))
    assert np.all(np.isfinite(grads.W_rec)) and np.all(np.isfinite(grads.c0))
