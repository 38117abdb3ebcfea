"""The LSTM: forward, full BPTT, per-step terms, eq. (6)'s A, B, C, D, state Jacobian (lstm.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import (BATCHES, GATES, HYP, SIZES, assert_close_fd, fd_jacobian,
                      fd_jacobian_per_example, lstm_weights, random_lstm, ref_lstm_forward,
                      ref_lstm_step, replace, state_shape, xs_shape)
from rnngrad import lstm

PARAM_FIELDS = tuple(f"W_{g}" for g in GATES) + tuple(f"b_{g}" for g in GATES)
GATE_FIELD = {"f": "f", "i": "i", "c": "c_tilde", "o": "o"}


def _at(params, t_special=None, **override):
    """``at(t)`` for ref_lstm_forward: params' weights, ``override`` (e.g. W_f=...) only at
    step t_special (every step if None)."""
    W, b = lstm_weights(params)

    def at(t):
        W2, b2 = dict(W), dict(b)
        if t_special is None or t == t_special:
            for key, v in override.items():
                (W2 if key.startswith("W_") else b2)[key[2:]] = v
        return W2, b2

    return at


def _loss_weights(rng, trace, with_c):
    Gh = rng.standard_normal(trace.h.shape)
    Gc = rng.standard_normal(trace.c.shape) if with_c else None
    return Gh, Gc


def _loss(Gh, Gc, h, c):
    return np.sum(Gh * h) + (0.0 if Gc is None else np.sum(Gc * c))


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_forward_matches_reference(rng, n, m, T, B):
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    h_ref, c_ref = ref_lstm_forward(_at(params), xs, h0, c0)
    np.testing.assert_allclose(tr.h, h_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.c, c_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tr.tanh_c, np.tanh(tr.c), rtol=1e-14, atol=0)
    W, b = lstm_weights(params)
    for t in range(T):
        h_prev, c_prev = tr.h_prev[t], tr.c_prev[t]
        _, c, gates = ref_lstm_step(W, b, {g: h_prev for g in GATES}, xs[t], c_prev)
        for g in GATES:
            np.testing.assert_allclose(getattr(tr, GATE_FIELD[g])[t], gates[g], rtol=1e-12,
                                       atol=1e-15)
    np.testing.assert_array_equal(tr.h_prev[0], h0)
    np.testing.assert_array_equal(tr.c_prev[0], c0)


def test_params_hold_the_eight_arrays_and_their_U_V_blocks(rng):
    """LSTMParams is the model's eight arrays and nothing derived; U_g and V_g are views."""
    import dataclasses

    params = random_lstm(rng, 3, 2, 1)[0]
    n = 3
    assert [f.name for f in dataclasses.fields(params)] == list(PARAM_FIELDS)
    for g in GATES:
        W = getattr(params, f"W_{g}")
        np.testing.assert_array_equal(params.U(g), W[:, :n])
        np.testing.assert_array_equal(params.V(g), W[:, n:])
        np.testing.assert_array_equal(np.hstack([params.U(g), params.V(g)]), W)
    assert params.n == 3 and params.m == 2
    for bad in ("x", "c_tilde", 0):
        with pytest.raises(ValueError, match="gate"):
            params.U(bad)
        with pytest.raises(ValueError, match="gate"):
            params.V(bad)


def test_init_forget_bias_and_shapes():
    p = lstm.init(4, 2, rng=np.random.default_rng(0), forget_bias=2.5, weight_scale=0.7)
    for g in GATES:
        assert getattr(p, f"W_{g}").shape == (4, 6)
    np.testing.assert_array_equal(p.b_f, np.full(4, 2.5))
    for g in "ico":
        assert not getattr(p, f"b_{g}").any()
    q = lstm.init(4, 2, rng=np.random.default_rng(0), forget_bias=2.5, weight_scale=0.7)
    for name in PARAM_FIELDS:
        np.testing.assert_array_equal(getattr(p, name), getattr(q, name))
    zero = lstm.init(4, 2, rng=np.random.default_rng(0), weight_scale=0.0)
    assert not any(getattr(zero, f"W_{g}").any() for g in GATES)


# --------------------------------------------------------------------------- backward vs FD


@pytest.mark.parametrize("with_dL_dc", [True, False], ids=["dL_dh+dL_dc", "dL_dc=None"])
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_backward_matches_finite_differences(rng, n, m, T, B, with_dL_dc):
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    Gh, Gc = _loss_weights(rng, tr, with_dL_dc)

    def loss(p, h_init, c_init):
        out = lstm.forward(p, xs, h_init, c_init)
        return _loss(Gh, Gc, out.h, out.c)

    grads = lstm.backward(params, tr, Gh, Gc) if with_dL_dc else lstm.backward(params, tr, Gh)
    for name in PARAM_FIELDS:
        fd = fd_jacobian(lambda v: loss(replace(params, **{name: v}), h0, c0),
                         getattr(params, name))
        assert_close_fd(getattr(grads, name), fd, name)
    assert_close_fd(grads.h0, fd_jacobian(lambda v: loss(params, v, c0), tr.h0), "h0")
    assert_close_fd(grads.c0, fd_jacobian(lambda v: loss(params, h0, v), tr.c0), "c0")


@pytest.mark.parametrize("B", BATCHES)
def test_backward_of_a_replaced_trace(rng, B):
    """backward reads only the trace's fields: a copy made with dataclasses.replace gives the
    same gradient, and a changed field changes the result."""
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 6, B)
    tr = lstm.forward(params, xs, h0, c0)
    Gh, Gc = _loss_weights(rng, tr, True)
    a, b = lstm.backward(params, tr, Gh, Gc), lstm.backward(params, replace(tr), Gh, Gc)
    for name in PARAM_FIELDS + ("h0", "c0"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name))
    changed = lstm.backward(params, replace(tr, o=tr.o * 0.5), Gh, Gc)
    assert not np.allclose(changed.W_o, a.W_o)


@pytest.mark.parametrize("B", BATCHES)
def test_backward_without_dL_dc_equals_zero_dL_dc(rng, B):
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 5, B)
    tr = lstm.forward(params, xs, h0, c0)
    Gh = rng.standard_normal(tr.h.shape)
    a, b = lstm.backward(params, tr, Gh), lstm.backward(params, tr, Gh, np.zeros(tr.c.shape))
    for name in PARAM_FIELDS + ("h0", "c0"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_gate_sigmoid_matches_activations_sigmoid():
    """forward's σ (1/(1+e^{-z}), overflow silenced) agrees with activations.sigmoid to a few
    ulps, keeps relative precision for large negative z and gives exactly 0 and 1 at the ends."""
    from rnngrad.activations import sigmoid

    z = np.linspace(-700, 700, 20001)
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("error")
        ours = lstm._sigmoid(z)
        ends = lstm._sigmoid(np.array([-1e6, -710.0, 40.0, 1e6]))
    np.testing.assert_allclose(ours, sigmoid(z), rtol=4e-16, atol=0)
    np.testing.assert_array_equal(ends, [0.0, 0.0, sigmoid(40.0), 1.0])


def _hc(trace):
    return trace.h, trace.c


def test_backward_last_step_loss_on_c_only(rng):
    """dL_dh = 0, loss only on c_{T-1}: the gradient still reaches every gate and h0/c0."""
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 5)
    tr = lstm.forward(params, xs, h0, c0)
    Gc = np.zeros(tr.c.shape)
    Gc[-1] = rng.standard_normal(3)
    grads = lstm.backward(params, tr, np.zeros(tr.h.shape), Gc)

    def loss(p, h_init, c_init):
        return np.sum(Gc * lstm.forward(p, xs, h_init, c_init).c)

    for name in PARAM_FIELDS:
        fd = fd_jacobian(lambda v: loss(replace(params, **{name: v}), h0, c0),
                         getattr(params, name))
        assert_close_fd(getattr(grads, name), fd, name)
    assert_close_fd(grads.h0, fd_jacobian(lambda v: loss(params, v, c0), h0), "h0")
    assert_close_fd(grads.c0, fd_jacobian(lambda v: loss(params, h0, v), c0), "c0")


# --------------------------------------------------------------------------- state Jacobian


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (1, 2, 3), (3, 2, 4)])
def test_state_jacobian_matches_finite_differences(rng, n, m, T, B):
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    for t in range(T):                                   # t = 0 is w.r.t. (h0, c0)
        J = lstm.state_jacobian(params, tr, t)
        assert J.shape == state_shape(B, 2 * n) + (2 * n,)

        def one_step(s, t=t):
            out = lstm.forward(params, xs[t:t + 1], s[..., :n], s[..., n:])
            return np.concatenate([out.h[0], out.c[0]], axis=-1)

        s_prev = np.concatenate([tr.h_prev[t], tr.c_prev[t]], axis=-1)
        assert_close_fd(J, fd_jacobian_per_example(one_step, s_prev, B is not None), f"t={t}")
        # the c-c block is diag(f_t) exactly (h_{t-1} held fixed)
        np.testing.assert_array_equal(J[..., n:, n:], tr.f[t][..., :, None] * np.eye(n))


# --------------------------------------------------------------------------- A, B, C, D of eq. (6)


def _cell_step_fns(params, tr, t, b=None):
    """The maps c -> c_t for the full eq.-(6) derivative and for each single path.

    h_{t-1} = o_{t-1} * tanh(c) with o_{t-1} fixed; 'A'/'C'/'D' feed it only to the f/i/c̃
    gate's input (the other gates see the trace's h_{t-1}, the cell update the trace's
    c_{t-1}); 'B' varies only the c_{t-1} in f ⊙ c_{t-1}; 'sum' varies everything.
    """
    sel = (lambda a: a) if b is None else (lambda a: a[b])
    W, bias = lstm_weights(params)
    x, o_prev = sel(tr.xs[t]), sel(tr.o[t - 1])
    h_prev, c_prev = sel(tr.h[t - 1]), sel(tr.c[t - 1])

    def make(path):
        def fn(c):
            h_new = o_prev * np.tanh(c)
            if path == "sum":
                return ref_lstm_step(W, bias, {g: h_new for g in GATES}, x, c)[1]
            if path == "B":
                return ref_lstm_step(W, bias, {g: h_prev for g in GATES}, x, c)[1]
            gate = {"A": "f", "C": "i", "D": "c"}[path]
            hs = {g: (h_new if g == gate else h_prev) for g in GATES}
            return ref_lstm_step(W, bias, hs, x, c_prev)[1]
        return fn

    return c_prev, {p: make(p) for p in ("sum", "A", "B", "C", "D")}


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 2), (1, 3, 3), (3, 2, 4), (4, 1, 3)])
def test_cell_jacobian_terms_match_finite_differences(rng, n, m, T, B):
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    for t in range(1, T):
        terms = dict(zip("ABCD", lstm.cell_jacobian_terms(params, tr, t)))
        for M in terms.values():
            assert M.shape == state_shape(B, n) + (n,)
        # B_t = diag(f_t), exactly
        np.testing.assert_array_equal(terms["B"], tr.f[t][..., :, None] * np.eye(n))
        total = sum(terms.values())
        for b in ([None] if B is None else range(B)):
            pick = (lambda M: M) if b is None else (lambda M: M[b])
            c_prev, fns = _cell_step_fns(params, tr, t, b)
            # the local one-step model reproduces the package's c_t
            np.testing.assert_allclose(fns["sum"](c_prev), pick(tr.c[t]), rtol=1e-12, atol=1e-14)
            assert_close_fd(pick(total), fd_jacobian(fns["sum"], c_prev), f"A+B+C+D t={t} b={b}")
            for name in "ABCD":
                assert_close_fd(pick(terms[name]), fd_jacobian(fns[name], c_prev),
                                f"{name} t={t} b={b}")


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 2), (3, 2, 5)])
def test_cell_terms_equal_state_jacobian_chain_rule(rng, n, m, T, B):
    """A+B+C+D = (dc_t/dh_{t-1}) diag(o_{t-1} (1 - tanh²c_{t-1})) + dc_t/dc_{t-1}|_h."""
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    for t in range(1, T):
        J = lstm.state_jacobian(params, tr, t)
        s = tr.o[t - 1] * (1 - np.tanh(tr.c[t - 1]) ** 2)
        expected = J[..., n:, :n] @ (s[..., :, None] * np.eye(n)) + J[..., n:, n:]
        np.testing.assert_allclose(sum(lstm.cell_jacobian_terms(params, tr, t)), expected,
                                   rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- per-step BPTT terms


@pytest.mark.parametrize("with_dL_dc", [True, False])
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_bptt_terms_sum_to_backward(rng, n, m, T, B, with_dL_dc):
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    Gh, Gc = _loss_weights(rng, tr, with_dL_dc)
    terms = lstm.bptt_terms(params, tr, Gh, Gc)
    grads = lstm.backward(params, tr, Gh, Gc)
    for name in PARAM_FIELDS:
        term = getattr(terms, name)
        assert term.shape == (T,) + getattr(params, name).shape
        np.testing.assert_allclose(term.sum(axis=0), getattr(grads, name), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(terms.h0, grads.h0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(terms.c0, grads.c0, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("B", BATCHES)
def test_bptt_term_j_is_gradient_through_step_j(rng, B):
    """Term j = gradient w.r.t. a copy of the gate weights that is used at step j only."""
    n, m, T = 2, 2, 3
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    Gh, Gc = _loss_weights(rng, tr, True)
    terms = lstm.bptt_terms(params, tr, Gh, Gc)
    for j in range(T):
        for name in PARAM_FIELDS:
            def loss(v, j=j, name=name):
                h, c = ref_lstm_forward(_at(params, j, **{name: v}), xs, h0, c0)
                return _loss(Gh, Gc, h, c)

            assert_close_fd(getattr(terms, name)[j], fd_jacobian(loss, getattr(params, name)),
                            f"{name}[{j}]")


# --------------------------------------------------------------------------- properties


sizes = st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 6),
                  st.one_of(st.none(), st.integers(1, 3)), st.integers(0, 2**31 - 1))


@HYP
@given(case=sizes)
def test_trace_shapes(case):
    n, m, T, B, seed = case
    params, xs, h0, c0 = random_lstm(np.random.default_rng(seed), n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    assert tr.T == T and tr.batched == (B is not None)
    assert tr.xs.shape == xs_shape(T, B, m)
    assert tr.h0.shape == tr.c0.shape == state_shape(B, n)
    seq = (T,) + state_shape(B, n)
    for field in ("h", "c", "f", "i", "c_tilde", "o", "tanh_c", "h_prev", "c_prev"):
        assert getattr(tr, field).shape == seq, field
    g = lstm.backward(params, tr, np.ones(seq))
    for name in PARAM_FIELDS:
        assert getattr(g, name).shape == getattr(params, name).shape
    assert g.h0.shape == g.c0.shape == state_shape(B, n)


@HYP
@given(case=sizes, scale=st.sampled_from([0.5, 1.5, 5.0, 50.0]))
def test_forward_deterministic_gates_bounded_and_cell_grows_at_most_one(case, scale):
    n, m, T, B, seed = case
    params, xs, h0, c0 = random_lstm(np.random.default_rng(seed), n, m, T, B, weight_scale=scale)
    xs_copy = xs.copy()
    a = lstm.forward(params, xs, h0, c0)
    b = lstm.forward(params, xs, h0, c0)
    for field in ("h", "c", "f", "i", "c_tilde", "o"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    np.testing.assert_array_equal(xs, xs_copy)
    for gate in (a.f, a.i, a.o):
        assert np.all((gate >= 0) & (gate <= 1))
    assert np.all(np.abs(a.c_tilde) <= 1)
    assert np.all(np.abs(a.h) <= 1)
    # c_t = f c_{t-1} + i c̃ with f, i in [0, 1] and |c̃| <= 1
    assert np.all(np.abs(a.c) <= np.abs(a.c_prev) + 1 + 1e-12)


@HYP
@given(case=sizes.filter(lambda c: c[3] is not None))
def test_batched_forward_equals_stacked_single_sequences(case):
    n, m, T, B, seed = case
    rng = np.random.default_rng(seed)
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    batched = lstm.forward(params, xs, h0, c0)
    singles = [lstm.forward(params, xs[:, b], h0[b], c0[b]) for b in range(B)]
    for field in ("h", "c", "f", "i", "c_tilde", "o"):
        np.testing.assert_allclose(getattr(batched, field),
                                   np.stack([getattr(s, field) for s in singles], axis=1),
                                   rtol=1e-13, atol=1e-15)
    Gh, Gc = rng.standard_normal((2,) + batched.h.shape)
    gb = lstm.backward(params, batched, Gh, Gc)
    gs = [lstm.backward(params, s, Gh[:, b], Gc[:, b]) for b, s in enumerate(singles)]
    for name in PARAM_FIELDS:
        np.testing.assert_allclose(getattr(gb, name), sum(getattr(g, name) for g in gs),
                                   rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gb.h0, np.stack([g.h0 for g in gs]), rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gb.c0, np.stack([g.c0 for g in gs]), rtol=1e-11, atol=1e-13)


@HYP
@given(case=sizes, big=st.sampled_from([1e3, -1e3, 1e6]))
def test_large_weights_give_finite_states_without_warnings(case, big):
    n, m, T, B, seed = case
    params, xs, h0, c0 = random_lstm(np.random.default_rng(seed), n, m, T, B)
    params = replace(params, **{k: big * getattr(params, k) for k in PARAM_FIELDS})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = lstm.forward(params, 10 * xs, h0, c0)
        g = lstm.backward(params, tr, np.ones(tr.h.shape), np.ones(tr.c.shape))
        J = lstm.state_jacobian(params, tr, T - 1)
    for field in ("h", "c", "f", "i", "c_tilde", "o"):
        assert np.all(np.isfinite(getattr(tr, field)))
    assert np.all(np.abs(tr.c) <= np.abs(tr.c_prev) + 1 + 1e-12)
    assert all(np.all(np.isfinite(getattr(g, k))) for k in PARAM_FIELDS)
    assert np.all(np.isfinite(J))
