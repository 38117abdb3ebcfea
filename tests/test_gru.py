"""The GRU: forward, full BPTT, the step Jacobian and its four paths, the input Jacobian (gru.py)."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import (BATCHES, GRU_PATHS, HYP, SIZES, assert_close_fd, fd_jacobian,
                      fd_jacobian_per_example, random_gru, ref_gru_forward, ref_gru_step, replace,
                      state_shape, xs_shape)
from rnngrad import gru

PARAM_FIELDS = ("W_z", "W_r", "W_n", "b_z", "b_r", "b_n", "b_hn")
#: The path of the step Jacobian each h_{t-1} of ref_gru_step feeds (JacobianTerms' fields).
TERM_OF_PATH = {"keep": "direct", "z": "update", "n": "candidate", "r": "reset"}


def _at(params, t_special=None, **override):
    """``at(t)`` for ref_gru_forward: params, with ``override`` only at step t_special."""
    def at(t):
        if t_special is None or t == t_special:
            return replace(params, **override)
        return params
    return at


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_forward_matches_reference(rng, n, m, T, B):
    params, xs, h0 = random_gru(rng, n, m, T, B)
    tr = gru.forward(params, xs, h0)
    np.testing.assert_allclose(tr.h, ref_gru_forward(_at(params), xs, h0), rtol=1e-12, atol=1e-14)
    for t in range(T):
        h, gates = ref_gru_step(params, {k: tr.h_prev[t] for k in GRU_PATHS}, xs[t])
        np.testing.assert_allclose(tr.h[t], h, rtol=1e-12, atol=1e-14)
        for name, ref in gates.items():
            np.testing.assert_allclose(getattr(tr, name)[t], ref, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(tr.n_rec[t],
                                   tr.h_prev[t] @ params.U("n").T + params.b_hn, rtol=1e-13,
                                   atol=1e-15)
    np.testing.assert_array_equal(tr.h_prev[0], h0)
    np.testing.assert_array_equal(tr.h_prev[1:], tr.h[:-1])


def test_forward_equals_the_pytorch_convention_written_out(rng):
    """PyTorch's GRU equations with its own names (W_ir, W_hr, …, two biases per gate) give
    the same states once its biases are merged: b_z = b_iz + b_hz, b_r = b_ir + b_hr,
    b_n = b_in, b_hn = b_hn."""
    n, m, T = 3, 2, 6
    W = {k: rng.standard_normal((n, m if k[1] == "i" else n)) for k in
         ("Wir", "Wiz", "Win", "Whr", "Whz", "Whn")}
    b = {k: rng.standard_normal(n) for k in ("bir", "biz", "bin", "bhr", "bhz", "bhn")}
    xs, h = rng.standard_normal((T, m)), rng.standard_normal(n)
    params = gru.GRUParams(W_z=np.hstack([W["Whz"], W["Wiz"]]), W_r=np.hstack([W["Whr"], W["Wir"]]),
                           W_n=np.hstack([W["Whn"], W["Win"]]), b_z=b["biz"] + b["bhz"],
                           b_r=b["bir"] + b["bhr"], b_n=b["bin"], b_hn=b["bhn"])
    tr = gru.forward(params, xs, h)

    def sig(a):
        return 1 / (1 + np.exp(-a))

    for t in range(T):
        x = xs[t]
        r = sig(W["Wir"] @ x + b["bir"] + W["Whr"] @ h + b["bhr"])
        z = sig(W["Wiz"] @ x + b["biz"] + W["Whz"] @ h + b["bhz"])
        nn_ = np.tanh(W["Win"] @ x + b["bin"] + r * (W["Whn"] @ h + b["bhn"]))
        h = (1 - z) * nn_ + z * h
        np.testing.assert_allclose(tr.h[t], h, rtol=1e-12, atol=1e-14)


def test_forward_agrees_with_torch_when_installed(rng):
    """Against torch.nn.GRU itself (PyTorch is not a dependency: skipped without it)."""
    torch = pytest.importorskip("torch")
    n, m, T = 4, 3, 7
    ref = torch.nn.GRU(m, n).double()
    Wi, Wh = ref.weight_ih_l0.detach().numpy(), ref.weight_hh_l0.detach().numpy()
    bi, bh = ref.bias_ih_l0.detach().numpy(), ref.bias_hh_l0.detach().numpy()
    R, Z, N = (slice(k * n, (k + 1) * n) for k in range(3))          # torch's order: r, z, n
    params = gru.GRUParams(W_z=np.hstack([Wh[Z], Wi[Z]]), W_r=np.hstack([Wh[R], Wi[R]]),
                           W_n=np.hstack([Wh[N], Wi[N]]), b_z=bi[Z] + bh[Z], b_r=bi[R] + bh[R],
                           b_n=bi[N], b_hn=bh[N])
    xs, h0 = rng.standard_normal((T, m)), rng.standard_normal(n)
    out, _ = ref(torch.from_numpy(xs)[:, None], torch.from_numpy(h0)[None, None])
    np.testing.assert_allclose(gru.forward(params, xs, h0).h, out[:, 0].detach().numpy(),
                               rtol=1e-12, atol=1e-14)


def test_params_hold_the_seven_arrays_and_their_U_V_blocks(rng):
    params = random_gru(rng, 3, 2, 1)[0]
    assert [f.name for f in dataclasses.fields(params)] == list(PARAM_FIELDS)
    for g in ("z", "r", "n"):
        W = getattr(params, f"W_{g}")
        np.testing.assert_array_equal(params.U(g), W[:, :3])
        np.testing.assert_array_equal(params.V(g), W[:, 3:])
    assert params.n == 3 and params.m == 2
    for bad in ("f", "hn", 0):
        with pytest.raises(ValueError, match="gate"):
            params.U(bad)
        with pytest.raises(ValueError, match="gate"):
            params.V(bad)


def test_init_update_bias_and_shapes():
    p = gru.init(4, 2, rng=np.random.default_rng(0), update_bias=2.5, weight_scale=0.7)
    for g in ("z", "r", "n"):
        assert getattr(p, f"W_{g}").shape == (4, 6)
    np.testing.assert_array_equal(p.b_z, np.full(4, 2.5))
    assert not (p.b_r.any() or p.b_n.any() or p.b_hn.any())
    q = gru.init(4, 2, rng=np.random.default_rng(0), update_bias=2.5, weight_scale=0.7)
    for name in PARAM_FIELDS:
        np.testing.assert_array_equal(getattr(p, name), getattr(q, name))
    zero = gru.init(4, 2, rng=np.random.default_rng(0), weight_scale=0.0)
    assert not any(getattr(zero, f"W_{g}").any() for g in ("z", "r", "n"))
    # the scale: entries of variance weight_scale^2 / (n+m)
    big = gru.init(60, 40, rng=np.random.default_rng(1), weight_scale=2.0)
    assert abs(big.W_n.std() - 2.0 / np.sqrt(100)) < 0.01


def test_trace_has_no_cell_state(rng):
    tr = gru.forward(*random_gru(rng, 2, 1, 3))
    with pytest.raises(AttributeError, match="no cell state"):
        tr.c_prev


# --------------------------------------------------------------------------- backward vs FD


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", SIZES)
def test_backward_matches_finite_differences(rng, n, m, T, B):
    params, xs, h0 = random_gru(rng, n, m, T, B)
    tr = gru.forward(params, xs, h0)
    G = rng.standard_normal(tr.h.shape)

    def loss(p, h_init):
        return np.sum(G * gru.forward(p, xs, h_init).h)

    grads = gru.backward(params, tr, G)
    for name in PARAM_FIELDS:
        fd = fd_jacobian(lambda v: loss(replace(params, **{name: v}), h0), getattr(params, name))
        assert getattr(grads, name).shape == getattr(params, name).shape
        assert_close_fd(getattr(grads, name), fd, name)
    assert_close_fd(grads.h0, fd_jacobian(lambda v: loss(params, v), tr.h0), "h0")


def test_backward_last_step_loss(rng):
    """A loss on h_{T-1} only: the gradient still reaches every map, every bias and h0."""
    params, xs, h0 = random_gru(rng, 3, 2, 6)
    tr = gru.forward(params, xs, h0)
    G = np.zeros(tr.h.shape)
    G[-1] = rng.standard_normal(3)
    grads = gru.backward(params, tr, G)

    def loss(p, h_init):
        return np.sum(G * gru.forward(p, xs, h_init).h)

    for name in PARAM_FIELDS:
        fd = fd_jacobian(lambda v: loss(replace(params, **{name: v}), h0), getattr(params, name))
        assert np.abs(fd).max() > 0, name
        assert_close_fd(getattr(grads, name), fd, name)
    assert_close_fd(grads.h0, fd_jacobian(lambda v: loss(params, v), h0), "h0")


@pytest.mark.parametrize("B", BATCHES)
def test_backward_reads_the_trace(rng, B):
    """backward reads only the trace's fields: a copy gives the same gradient, a changed
    field changes it."""
    params, xs, h0 = random_gru(rng, 3, 2, 5, B)
    tr = gru.forward(params, xs, h0)
    G = rng.standard_normal(tr.h.shape)
    a, b = gru.backward(params, tr, G), gru.backward(params, replace(tr), G)
    for name in PARAM_FIELDS + ("h0",):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name))
    changed = gru.backward(params, replace(tr, r=tr.r * 0.5), G)
    assert not np.allclose(changed.W_r, a.W_r)


def test_h0_gradient_is_the_product_of_step_jacobians(rng):
    """For L = u · h_{T-1}: ∂L/∂h0 = u J_{T-1} J_{T-2} … J_0, with J_t = step_jacobian(t)."""
    params, xs, h0 = random_gru(rng, 4, 2, 7)
    tr = gru.forward(params, xs, h0)
    G = np.zeros(tr.h.shape)
    G[-1] = u = rng.standard_normal(4)
    chain = u
    for t in range(tr.T - 1, -1, -1):
        chain = chain @ gru.step_jacobian(params, tr, t)
    np.testing.assert_allclose(gru.backward(params, tr, G).h0, chain, rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- Jacobians vs FD


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (1, 2, 3), (3, 2, 4), (4, 1, 3)])
def test_step_jacobian_matches_finite_differences(rng, n, m, T, B):
    params, xs, h0 = random_gru(rng, n, m, T, B)
    tr = gru.forward(params, xs, h0)
    for t in range(T):                                   # t = 0 is w.r.t. h0
        J = gru.step_jacobian(params, tr, t)
        assert J.shape == state_shape(B, n) + (n,)

        def one_step(h, t=t):
            return gru.forward(params, xs[t:t + 1], h).h[0]

        assert_close_fd(J, fd_jacobian_per_example(one_step, tr.h_prev[t], B is not None),
                        f"t={t}")


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 2), (3, 2, 4), (4, 3, 3)])
def test_each_term_is_the_derivative_along_its_path(rng, n, m, T, B):
    """Each of the four terms is the finite-difference derivative with h_{t-1} varied in one
    place only (the others see the trace's h_{t-1}); the direct one is diag(z_t) exactly."""
    params, xs, h0 = random_gru(rng, n, m, T, B)
    tr = gru.forward(params, xs, h0)
    for t in range(T):
        terms = gru.step_jacobian_terms(params, tr, t)
        np.testing.assert_array_equal(terms.direct, tr.z[t][..., :, None] * np.eye(n))
        np.testing.assert_allclose(sum(terms), gru.step_jacobian(params, tr, t), rtol=0, atol=0)
        for b in ([None] if B is None else range(B)):
            pick = (lambda a: a) if b is None else (lambda a: a[b])
            h_prev, x = pick(tr.h_prev[t]), pick(xs[t])
            for path, term in TERM_OF_PATH.items():
                def along(h, path=path):
                    hs = {k: (h if k == path else h_prev) for k in GRU_PATHS}
                    return ref_gru_step(params, hs, x)[0]

                assert_close_fd(pick(getattr(terms, term)), fd_jacobian(along, h_prev),
                                f"{term} t={t} b={b}")


@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("n,m,T", [(1, 1, 1), (3, 2, 4), (2, 4, 3)])
def test_input_jacobian_matches_finite_differences(rng, n, m, T, B):
    params, xs, h0 = random_gru(rng, n, m, T, B)
    tr = gru.forward(params, xs, h0)
    for t in range(T):
        J = gru.input_jacobian(params, tr, t)
        assert J.shape == state_shape(B, n) + (m,)

        def one_step(x, t=t):
            return gru.forward(params, x[None], tr.h_prev[t]).h[0]

        assert_close_fd(J, fd_jacobian_per_example(one_step, xs[t], B is not None), f"t={t}")


def test_jacobians_of_a_batch_are_those_of_its_sequences(rng):
    params, xs, h0 = random_gru(rng, 3, 2, 4, 3)
    batched = gru.forward(params, xs, h0)
    for b in range(3):
        one = gru.forward(params, xs[:, b], h0[b])
        for t in range(4):
            np.testing.assert_allclose(gru.step_jacobian(params, batched, t)[b],
                                       gru.step_jacobian(params, one, t), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(gru.input_jacobian(params, batched, t)[b],
                                       gru.input_jacobian(params, one, t), rtol=1e-13, atol=1e-15)


def test_closed_update_gate_copies_the_state(rng):
    """z_t = 1 (b_z huge): h_t = h_{t-1} and ∂h_t/∂h_{t-1} = I, ∂h_t/∂x_t = 0 exactly;
    z_t = 0: the step is a simple RNN on the candidate, ∂h_t/∂h_{t-1} without diag(z)."""
    params, xs, h0 = random_gru(rng, 3, 2, 5)
    keep = replace(params, W_z=np.zeros_like(params.W_z), b_z=np.full(3, 1e3))
    tr = gru.forward(keep, xs, h0)
    np.testing.assert_array_equal(tr.h, np.broadcast_to(h0, tr.h.shape))
    for t in range(5):
        np.testing.assert_array_equal(gru.step_jacobian(keep, tr, t), np.eye(3))
        np.testing.assert_array_equal(gru.input_jacobian(keep, tr, t), np.zeros((3, 2)))
    write = replace(params, W_z=np.zeros_like(params.W_z), b_z=np.full(3, -1e3))
    tr = gru.forward(write, xs, h0)
    np.testing.assert_array_equal(tr.h, tr.h_tilde)
    for t in range(5):
        terms = gru.step_jacobian_terms(write, tr, t)
        assert not terms.direct.any() and not terms.update.any()


# --------------------------------------------------------------------------- properties


sizes = st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 6),
                  st.one_of(st.none(), st.integers(1, 3)), st.integers(0, 2**31 - 1))


@HYP
@given(case=sizes)
def test_trace_shapes(case):
    n, m, T, B, seed = case
    params, xs, h0 = random_gru(np.random.default_rng(seed), n, m, T, B)
    tr = gru.forward(params, xs, h0)
    assert tr.T == T and tr.batched == (B is not None) and tr.units == n
    assert tr.xs.shape == xs_shape(T, B, m)
    assert tr.h0.shape == state_shape(B, n)
    for name in ("h", "z", "r", "h_tilde", "n_rec", "h_prev"):
        assert getattr(tr, name).shape == (T,) + state_shape(B, n), name
    g = gru.backward(params, tr, np.ones(tr.h.shape))
    for name in PARAM_FIELDS:
        assert getattr(g, name).shape == getattr(params, name).shape
    assert g.h0.shape == state_shape(B, n)
    assert len(gru.step_jacobian_terms(params, tr, T - 1)) == 4


@HYP
@given(case=sizes, scale=st.sampled_from([0.5, 1.5, 5.0, 50.0]))
def test_forward_deterministic_gates_bounded_and_state_a_convex_mix(case, scale):
    n, m, T, B, seed = case
    params, xs, h0 = random_gru(np.random.default_rng(seed), n, m, T, B, weight_scale=scale)
    xs_copy = xs.copy()
    a, b = gru.forward(params, xs, h0), gru.forward(params, xs, h0)
    for name in ("h", "z", "r", "h_tilde"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(xs, xs_copy)
    for gate in (a.z, a.r):
        assert np.all((gate >= 0) & (gate <= 1))
    assert np.all(np.abs(a.h_tilde) <= 1)
    # h_t is a convex combination of h̃_t and h_{t-1}: it lies between them, unit by unit
    lo, hi = np.minimum(a.h_tilde, a.h_prev), np.maximum(a.h_tilde, a.h_prev)
    assert np.all((a.h >= lo - 1e-15) & (a.h <= hi + 1e-15))
    assert np.all(np.abs(a.h) <= np.maximum(1.0, np.abs(a.h_prev)) + 1e-15)


@HYP
@given(case=sizes.filter(lambda c: c[3] is not None))
def test_batched_forward_and_backward_equal_stacked_single_sequences(case):
    n, m, T, B, seed = case
    rng = np.random.default_rng(seed)
    params, xs, h0 = random_gru(rng, n, m, T, B)
    batched = gru.forward(params, xs, h0)
    singles = [gru.forward(params, xs[:, b], h0[b]) for b in range(B)]
    for name in ("h", "z", "r", "h_tilde", "n_rec"):
        np.testing.assert_allclose(getattr(batched, name),
                                   np.stack([getattr(s, name) for s in singles], axis=1),
                                   rtol=1e-13, atol=1e-15)
    G = rng.standard_normal(batched.h.shape)
    gb = gru.backward(params, batched, G)
    gs = [gru.backward(params, s, G[:, b]) for b, s in enumerate(singles)]
    for name in PARAM_FIELDS:
        np.testing.assert_allclose(getattr(gb, name), sum(getattr(g, name) for g in gs),
                                   rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(gb.h0, np.stack([g.h0 for g in gs]), rtol=1e-11, atol=1e-13)


@HYP
@given(case=sizes, big=st.sampled_from([1e3, -1e3, 1e6]))
def test_large_weights_give_finite_states_without_warnings(case, big):
    n, m, T, B, seed = case
    params, xs, h0 = random_gru(np.random.default_rng(seed), n, m, T, B)
    params = replace(params, **{k: big * getattr(params, k) for k in PARAM_FIELDS})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = gru.forward(params, 10 * xs, h0)
        g = gru.backward(params, tr, np.ones(tr.h.shape))
        J = gru.step_jacobian(params, tr, T - 1)
    for name in ("h", "z", "r", "h_tilde"):
        assert np.all(np.isfinite(getattr(tr, name)))
    assert all(np.all(np.isfinite(getattr(g, k))) for k in PARAM_FIELDS)
    assert np.all(np.isfinite(J))
