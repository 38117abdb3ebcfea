"""The deep feed-forward network of chapter 1 (deepnet.py), its plot and its explorer.

* forward against a reference written from the docstring equations;
* every gradient (∂L/∂W_l, ∂L/∂b_l, ∂L/∂a_l for every l) and every layer Jacobian against
  central finite differences, both activations, batched and unbatched, rel. error < 1e-6;
* the depth bound ‖∂L/∂a_l‖ ≤ Π_{k>l} γ‖W_k‖₂ ‖∂L/∂a_L‖ and the norms' underflow-safe scaling;
* bad input raises ValueError naming the argument;
* the explorer's compute + plot at the extreme and middle slider positions (and beyond them,
  where float64 overflows/underflows): a plot with the overflow/underflow labelled, no exception,
  no RuntimeWarning (pytest.ini turns those into errors).
"""

from __future__ import annotations

import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sympy as sp  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from reference import ACTIVATIONS, BATCHES, HYP, assert_close_fd, fd_jacobian, legend_texts  # noqa: E402
from rnngrad import activations, deepnet, plots  # noqa: E402

#: (widths n_0, n_1, …, n_L): depth 1, width 1, unequal widths, and a deeper square stack.
WIDTHS = [(1, 1), (3, 2), (2, 1, 3), (3, 4, 2, 3), (4, 4, 4, 4, 4, 4)]


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


REF_ACT = {"sigmoid": _sig, "tanh": np.tanh}


def random_params(rng, widths, activation, weight_scale=1.5, bias_scale=0.5):
    """Parameters of the given widths with Glorot-like weights (times weight_scale) and a
    non-zero random bias, so every term of every gradient is exercised."""
    Ws = tuple(rng.standard_normal((n_out, n_in)) * weight_scale * np.sqrt(2.0 / (n_in + n_out))
               for n_in, n_out in zip(widths[:-1], widths[1:]))
    bs = tuple(bias_scale * rng.standard_normal(n) for n in widths[1:])
    return deepnet.DeepNetParams(Ws, bs, activation)


def random_problem(rng, widths, B, activation):
    """(params, x, G) with L = sum(G * a_L) the loss."""
    params = random_params(rng, widths, activation)
    x = rng.standard_normal((widths[0],) if B is None else (B, widths[0]))
    G = rng.standard_normal((widths[-1],) if B is None else (B, widths[-1]))
    return params, x, G


def ref_forward(params, x):
    """a_l = act(W_l a_{l-1} + b_l), one example or a batch, written from the docstring."""
    act = REF_ACT[params.activation]
    a = [np.asarray(x, dtype=float)]
    for W, b in zip(params.weights, params.biases):
        a.append(act(np.einsum("ij,...j->...i", W, a[-1]) + b))
    return a


def sub_network(params, start):
    """Layers start+1 … L of ``params``: maps a_start to a_L."""
    return deepnet.DeepNetParams(params.weights[start:], params.biases[start:], params.activation)


def with_layer(params, l, *, W=None, b=None):
    """A copy of params with W_l and/or b_l replaced (l is 1-based)."""
    Ws, bs = list(params.weights), list(params.biases)
    if W is not None:
        Ws[l - 1] = W
    if b is not None:
        bs[l - 1] = b
    return deepnet.DeepNetParams(tuple(Ws), tuple(bs), params.activation)


# --------------------------------------------------------------------------- activations


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_derivative_matches_output_form_and_sympy(activation):
    z = np.linspace(-12.0, 12.0, 241)
    a = REF_ACT[activation](z)
    got = activations.derivative(activation, z)
    np.testing.assert_allclose(got, activations.derivative_from_output(activation, a),
                               rtol=1e-7, atol=1e-15)
    s = sp.Symbol("z", real=True)
    f = 1 / (1 + sp.exp(-s)) if activation == "sigmoid" else sp.tanh(s)
    df = sp.lambdify(s, sp.diff(f, s), "mpmath")  # 30 digits: 1 - tanh² is exact there
    import mpmath

    with mpmath.workdps(30):
        exact = np.array([float(df(mpmath.mpf(float(v)))) for v in z])
    np.testing.assert_allclose(got, exact, rtol=1e-13, atol=0.0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_derivative_bounded_by_gamma_max_at_zero(activation):
    gamma = activations.GAMMA[activation]
    z = np.linspace(-50.0, 50.0, 100001)
    d = activations.derivative(activation, z)
    assert d.max() <= gamma
    assert activations.derivative(activation, 0.0) == gamma
    assert np.all(d > 0)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activations_derivative_tails_accurate_and_quiet(activation):
    """Saturated units keep a tiny non-zero derivative (not 1 - 1 = 0); float64 underflow to
    exactly 0 only far out; no warnings anywhere."""
    z = np.array([30.0, -30.0, 100.0, -100.0])
    d = activations.derivative(activation, z)
    expected = np.exp(-np.abs(z)) if activation == "sigmoid" else 4 * np.exp(-2 * np.abs(z))
    np.testing.assert_allclose(d, expected, rtol=1e-12)
    far = activations.derivative(activation, np.array([1e4, -1e4, 1e300]))
    np.testing.assert_array_equal(far, 0.0)


# --------------------------------------------------------------------------- forward


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("widths", WIDTHS)
def test_forward_matches_reference(rng, widths, B, activation):
    params, x, _ = random_problem(rng, widths, B, activation)
    trace = deepnet.forward(params, x)
    ref = ref_forward(params, x)
    assert trace.depth == params.depth == len(widths) - 1
    assert trace.batched == (B is not None)
    for l, (got, want) in enumerate(zip(trace.a, ref)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15, err_msg=f"a_{l}")
    for l in range(1, params.depth + 1):
        a = ref[l]
        dact = a * (1 - a) if activation == "sigmoid" else 1 - a * a
        np.testing.assert_allclose(trace.dact[l - 1], dact, rtol=1e-9, atol=1e-15)


def test_batch_rows_equal_single_examples(rng):
    params, x, _ = random_problem(rng, (3, 4, 2, 3), 5, "tanh")
    trace = deepnet.forward(params, x)
    for b in range(5):
        single = deepnet.forward(params, x[b])
        for l in range(params.depth + 1):
            np.testing.assert_allclose(trace.a[l][b], single.a[l], rtol=1e-13, atol=1e-15)


def test_init_shapes_scale_and_determinism():
    p = deepnet.init(5, 7, rng=np.random.default_rng(1), input_dim=3, activation="tanh")
    assert p.depth == 5 and p.widths == (3, 7, 7, 7, 7, 7)
    assert p.input_dim == 3 and p.output_dim == 7
    assert all(not b.any() for b in p.biases)
    q = deepnet.init(5, 7, rng=np.random.default_rng(1), input_dim=3, activation="tanh")
    for A, B_ in zip(p.weights, q.weights):
        np.testing.assert_array_equal(A, B_)
    # Glorot variance 2/(fan_in + fan_out), times weight_scale²
    big = deepnet.init(2, 400, rng=np.random.default_rng(2), weight_scale=3.0)
    var = np.var(big.weights[1])
    assert abs(var / (9.0 * 2.0 / 800) - 1.0) < 0.02
    zero = deepnet.init(3, 4, rng=np.random.default_rng(3), weight_scale=0.0)
    assert not any(W.any() for W in zero.weights)
    with_bias = deepnet.init(2, 4, rng=np.random.default_rng(3), bias_scale=0.5)
    assert all(b.any() for b in with_bias.biases)


# --------------------------------------------------------------------------- gradients vs FD


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("widths", WIDTHS)
def test_backward_matches_finite_differences(rng, widths, B, activation):
    """Every ∂L/∂W_l, ∂L/∂b_l and ∂L/∂a_l (l = 0 … L) for L = sum(G * a_L)."""
    params, x, G = random_problem(rng, widths, B, activation)
    trace = deepnet.forward(params, x)
    grads = deepnet.backward(params, trace, G)
    Lnet = params.depth

    def loss(p, inp):
        return np.sum(G * deepnet.forward(p, inp).output)

    for l in range(1, Lnet + 1):
        fd_W = fd_jacobian(lambda W: loss(with_layer(params, l, W=W), x), params.weights[l - 1])
        assert_close_fd(grads.weights[l - 1], fd_W, f"dL/dW_{l}")
        fd_b = fd_jacobian(lambda b: loss(with_layer(params, l, b=b), x), params.biases[l - 1])
        assert_close_fd(grads.biases[l - 1], fd_b, f"dL/db_{l}")
    for l in range(Lnet):  # ∂L/∂a_l: perturb a_l and run the remaining layers
        fd_a = fd_jacobian(lambda a: loss(sub_network(params, l), a), trace.a[l])
        assert_close_fd(grads.a[l], fd_a, f"dL/da_{l}")
    np.testing.assert_array_equal(grads.a[Lnet], G)
    for g, a in zip(grads.a, trace.a):
        assert g.shape == a.shape
    for gW, W in zip(grads.weights, params.weights):
        assert gW.shape == W.shape


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_batched_gradient_is_sum_of_example_gradients(rng, activation):
    B = 4
    params, x, G = random_problem(rng, (3, 4, 2, 3), B, activation)
    gb = deepnet.backward(params, deepnet.forward(params, x), G)
    singles = [deepnet.backward(params, deepnet.forward(params, x[b]), G[b]) for b in range(B)]
    for l in range(params.depth):
        np.testing.assert_allclose(gb.weights[l], sum(s.weights[l] for s in singles), rtol=1e-12)
        np.testing.assert_allclose(gb.biases[l], sum(s.biases[l] for s in singles), rtol=1e-12)
    for l in range(params.depth + 1):
        np.testing.assert_allclose(gb.a[l], np.stack([s.a[l] for s in singles]), rtol=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
@pytest.mark.parametrize("widths", WIDTHS)
def test_layer_jacobian_matches_finite_differences(rng, widths, B, activation):
    """∂a_l/∂a_{l-1} = diag(act'(z_l)) W_l for every l, and its norm bound γ‖W_l‖₂."""
    params, x, _ = random_problem(rng, widths, B, activation)
    trace = deepnet.forward(params, x)
    gamma = activations.GAMMA[activation]
    for l in range(1, params.depth + 1):
        one = deepnet.DeepNetParams((params.weights[l - 1],), (params.biases[l - 1],), activation)
        J = deepnet.layer_jacobian(params, trace, l)
        fd = fd_jacobian(lambda a: deepnet.forward(one, a).output, trace.a[l - 1])
        if B is not None:  # examples do not interact: keep the diagonal blocks
            assert all(not fd[b1, :, b2].any() for b1 in range(B) for b2 in range(B) if b1 != b2)
            fd = np.stack([fd[b, :, b, :] for b in range(B)])
        assert_close_fd(J, fd, f"da_{l}/da_{l - 1}")
        norms = np.linalg.norm(J.reshape((-1,) + J.shape[-2:]), 2, axis=(-2, -1))
        assert np.all(norms <= gamma * np.linalg.norm(params.weights[l - 1], 2) * (1 + 1e-12))


def test_gradient_is_product_of_layer_jacobians(rng):
    """∂L/∂a_0 = (J_L ⋯ J_1)ᵀ ∂L/∂a_L: backprop is the chain rule of chapter 1."""
    params, x, G = random_problem(rng, (3, 4, 4, 2, 3), None, "sigmoid")
    trace = deepnet.forward(params, x)
    P = np.eye(params.output_dim)
    for l in range(params.depth, 0, -1):
        P = P @ deepnet.layer_jacobian(params, trace, l)
    np.testing.assert_allclose(deepnet.backward(params, trace, G).a[0], P.T @ G, rtol=1e-12)


# --------------------------------------------------------------------------- norms and bound


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("B", BATCHES)
def test_per_layer_norms_match_direct_norms(rng, B, activation):
    params, x, G = random_problem(rng, (3, 4, 2, 3), B, activation)
    trace = deepnet.forward(params, x)
    grads = deepnet.backward(params, trace, G)
    n = deepnet.per_layer_norms(params, trace, grads, label="t")
    for l in range(params.depth):
        assert np.isclose(n.grad_W[l], np.linalg.norm(grads.weights[l]), rtol=1e-12)
        assert np.isclose(n.weight_norms[l], np.linalg.norm(params.weights[l], 2), rtol=1e-12)
    for l in range(params.depth + 1):
        per_ex = np.linalg.norm(np.atleast_2d(grads.a[l]), axis=-1)
        assert np.isclose(n.grad_a[l], np.sqrt(np.mean(per_ex ** 2)), rtol=1e-12)
    assert np.all(n.grad_a <= n.bound_a * (1 + 1e-12))
    assert n.bound_a[-1] == n.grad_a[-1]
    np.testing.assert_array_equal(n.layers_W, np.arange(1, params.depth + 1))
    np.testing.assert_array_equal(n.layers_a, np.arange(0, params.depth + 1))
    assert n.gamma == activations.GAMMA[activation] and n.label == "t"


@HYP
@given(depth=st.integers(1, 30), act=st.sampled_from(ACTIVATIONS),
       log_scale=st.floats(-1.0, 1.3), seed=st.integers(0, 2**16))
def test_bound_holds_for_random_networks(depth, act, log_scale, seed):
    n = deepnet.layer_gradient_norms(depth=depth, width=8, activation=act,
                                     weight_scale=10.0 ** log_scale, seed=seed, batch=4)
    assert n.grad_W.shape == (depth,) and n.grad_a.shape == (depth + 1,)
    assert np.isclose(n.grad_a[-1], 1.0, rtol=1e-12)  # unit output gradients
    assert np.all(n.grad_a <= n.bound_a * (1 + 1e-10))
    # the bound is Π_{k>l} γ‖W_k‖₂ exactly
    tail = np.concatenate([np.cumprod((n.gamma * n.weight_norms)[::-1])[::-1], [1.0]])
    np.testing.assert_allclose(n.bound_a, tail, rtol=1e-9)


def test_layer_gradient_norms_deterministic_and_decaying():
    a = deepnet.layer_gradient_norms(depth=20, activation="sigmoid", seed=3)
    b = deepnet.layer_gradient_norms(depth=20, activation="sigmoid", seed=3)
    np.testing.assert_array_equal(a.grad_W, b.grad_W)
    np.testing.assert_array_equal(a.grad_a, b.grad_a)
    # Glorot-scaled sigmoid network: each layer back multiplies the gradient by well under 1/2
    assert a.per_layer_factor < 0.5
    assert np.all(np.diff(np.log(a.grad_a)) > 0)  # grows towards the output
    assert a.grad_W[0] < 1e-8 * a.grad_W[-1]
    # tanh at the same scale keeps it O(1) over 20 layers
    t = deepnet.layer_gradient_norms(depth=20, activation="tanh", seed=3)
    assert 0.8 < t.per_layer_factor < 1.2


@pytest.mark.parametrize("input_dim", [None, 5])
def test_layer_gradient_norms_weight_norms_are_those_of_the_weights(input_dim):
    """layer_gradient_norms takes ‖W_l‖₂ from a table of the weight_scale = 1 draws (kept per
    width, input size and seed, and extended when a deeper network is asked for): they equal
    the SVD norms of the network's own weights, whatever depth was asked before."""
    for depth, scale in [(3, 1.0), (12, 0.3), (7, 2.5), (12, 0.0), (1, 1.0)]:
        n = deepnet.layer_gradient_norms(depth=depth, width=6, weight_scale=scale, seed=11,
                                         input_dim=input_dim)
        params = deepnet.init(depth, 6, rng=np.random.default_rng(11), weight_scale=scale,
                              input_dim=input_dim)
        want = [np.linalg.norm(W, 2) for W in params.weights]
        np.testing.assert_allclose(n.weight_norms, want, rtol=1e-13, atol=0)


def test_per_layer_norms_with_given_weight_norms(rng):
    params = deepnet.init(4, 5, rng=rng)
    x, G = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    tr = deepnet.forward(params, x)
    grads = deepnet.backward(params, tr, G)
    a = deepnet.per_layer_norms(params, tr, grads)
    b = deepnet.per_layer_norms(params, tr, grads, weight_norms=a.weight_norms)
    np.testing.assert_array_equal(a.bound_a, b.bound_a)
    np.testing.assert_allclose(a.weight_norms, [np.linalg.norm(W, 2) for W in params.weights],
                               rtol=1e-14)
    with pytest.raises(ValueError, match="weight_norms"):
        deepnet.per_layer_norms(params, tr, grads, weight_norms=a.weight_norms[:3])


# --------------------------------------------------------------------------- validation


def _ctx(rng):
    params, x, G = random_problem(rng, (3, 4, 2), None, "sigmoid")
    trace = deepnet.forward(params, x)
    return params, x, G, trace


CASES = [
    ("weights empty", lambda p, x, G, tr, rng: deepnet.DeepNetParams((), (), "tanh"), r"^weights\b"),
    ("weights not tuple", lambda p, x, G, tr, rng: deepnet.DeepNetParams(np.ones((2, 2)), (np.ones(2),)),
     r"^weights\b"),
    ("biases count", lambda p, x, G, tr, rng: deepnet.DeepNetParams(p.weights, p.biases[:1]), r"^biases\b"),
    ("biases not tuple", lambda p, x, G, tr, rng: deepnet.DeepNetParams(p.weights, None), r"^biases\b"),
    ("W 1-D", lambda p, x, G, tr, rng: deepnet.DeepNetParams((np.ones(3),), (np.ones(3),)),
     r"^weights\[0\].*shape"),
    ("W empty", lambda p, x, G, tr, rng: deepnet.DeepNetParams((np.ones((0, 3)),), (np.ones(0),)),
     r"^weights\[0\].*empty"),
    ("W chain", lambda p, x, G, tr, rng: deepnet.DeepNetParams((np.ones((4, 3)), np.ones((2, 5))),
                                                                (np.ones(4), np.ones(2))),
     r"^weights\[1\] \(W_2\).*4 columns"),
    ("W NaN", lambda p, x, G, tr, rng: deepnet.DeepNetParams((np.full((2, 2), np.nan),), (np.ones(2),)),
     r"^weights\[0\].*finite"),
    ("b shape", lambda p, x, G, tr, rng: deepnet.DeepNetParams(p.weights, (p.biases[0], np.ones(5))),
     r"^biases\[1\] \(b_2\).*shape"),
    ("activation", lambda p, x, G, tr, rng: deepnet.DeepNetParams(p.weights, p.biases, "relu"),
     r"^activation\b.*relu"),
    ("init depth 0", lambda p, x, G, tr, rng: deepnet.init(0, 4, rng=rng), r"^depth\b"),
    ("init depth float", lambda p, x, G, tr, rng: deepnet.init(2.5, 4, rng=rng), r"^depth\b"),
    ("init width 0", lambda p, x, G, tr, rng: deepnet.init(2, 0, rng=rng), r"^width\b"),
    ("init input_dim", lambda p, x, G, tr, rng: deepnet.init(2, 3, rng=rng, input_dim=0), r"^input_dim\b"),
    ("init rng", lambda p, x, G, tr, rng: deepnet.init(2, 3, rng=0), r"^rng\b"),
    ("init weight_scale<0", lambda p, x, G, tr, rng: deepnet.init(2, 3, rng=rng, weight_scale=-1.0),
     r"^weight_scale\b"),
    ("init weight_scale inf", lambda p, x, G, tr, rng: deepnet.init(2, 3, rng=rng, weight_scale=np.inf),
     r"^weight_scale\b"),
    ("init bias_scale", lambda p, x, G, tr, rng: deepnet.init(2, 3, rng=rng, bias_scale=-0.1),
     r"^bias_scale\b"),
    ("init activation", lambda p, x, G, tr, rng: deepnet.init(2, 3, rng=rng, activation="relu"),
     r"^activation\b"),
    ("forward params", lambda p, x, G, tr, rng: deepnet.forward("p", x), r"^params\b"),
    ("forward x 3-D", lambda p, x, G, tr, rng: deepnet.forward(p, np.ones((2, 2, 3))), r"^x\b.*shape"),
    ("forward x features", lambda p, x, G, tr, rng: deepnet.forward(p, np.ones(4)), r"^x\b.*features"),
    ("forward x empty batch", lambda p, x, G, tr, rng: deepnet.forward(p, np.ones((0, 3))), r"^x\b.*empty"),
    ("forward x NaN", lambda p, x, G, tr, rng: deepnet.forward(p, np.array([1.0, np.nan, 0.0])),
     r"^x\b.*finite"),
    ("backward dL shape", lambda p, x, G, tr, rng: deepnet.backward(p, tr, np.ones(3)), r"^dL_da_out\b.*shape"),
    ("backward dL batch", lambda p, x, G, tr, rng: deepnet.backward(p, tr, np.ones((1, 2))),
     r"^dL_da_out\b.*shape"),
    ("backward dL inf", lambda p, x, G, tr, rng: deepnet.backward(p, tr, np.array([np.inf, 0.0])),
     r"^dL_da_out\b.*finite"),
    ("backward trace type", lambda p, x, G, tr, rng: deepnet.backward(p, "trace", G), r"^trace\b"),
    ("backward trace mismatch",
     lambda p, x, G, tr, rng: deepnet.backward(random_params(rng, (3, 5, 2), "sigmoid"), tr, G),
     r"^trace\b.*does not match"),
    ("jacobian l=0", lambda p, x, G, tr, rng: deepnet.layer_jacobian(p, tr, 0), r"^l\b.*<= l <="),
    ("jacobian l=L+1", lambda p, x, G, tr, rng: deepnet.layer_jacobian(p, tr, 3), r"^l\b.*<= l <="),
    ("jacobian l float", lambda p, x, G, tr, rng: deepnet.layer_jacobian(p, tr, 1.0), r"^l\b.*integer"),
    ("jacobian l bool", lambda p, x, G, tr, rng: deepnet.layer_jacobian(p, tr, True), r"^l\b.*integer"),
    ("norms grads type", lambda p, x, G, tr, rng: deepnet.per_layer_norms(p, tr, "g"), r"^grads\b"),
    ("norms grads mismatch",
     lambda p, x, G, tr, rng: deepnet.per_layer_norms(
         p, tr, deepnet.backward(p, deepnet.forward(p, np.ones((2, 3))), np.ones((2, 2)))),
     r"^grads\b.*does not match"),
    ("activations.derivative", lambda p, x, G, tr, rng: activations.derivative("relu", 0.0),
     r"^activation\b"),
    ("lgn depth", lambda p, x, G, tr, rng: deepnet.layer_gradient_norms(depth=0), r"^depth\b"),
    ("lgn width", lambda p, x, G, tr, rng: deepnet.layer_gradient_norms(depth=2, width=-1), r"^width\b"),
    ("lgn seed", lambda p, x, G, tr, rng: deepnet.layer_gradient_norms(depth=2, seed=-1), r"^seed\b"),
    ("lgn batch", lambda p, x, G, tr, rng: deepnet.layer_gradient_norms(depth=2, batch=0), r"^batch\b"),
    ("lgn scale", lambda p, x, G, tr, rng: deepnet.layer_gradient_norms(depth=2, weight_scale="big"),
     r"^weight_scale\b"),
    ("lgn activation", lambda p, x, G, tr, rng: deepnet.layer_gradient_norms(depth=2, activation="relu"),
     r"^activation\b"),
    ("plot which", lambda p, x, G, tr, rng: plots.plot_layer_gradient_norms(
        deepnet.layer_gradient_norms(depth=2, width=3), which="z"), r"^which\b"),
]


@pytest.mark.parametrize("call,pattern", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_value_error_naming_argument(rng, call, pattern):
    ctx = _ctx(rng)
    with pytest.raises(ValueError, match=pattern):
        call(*ctx, rng)
    plt.close("all")


# --------------------------------------------------------------------------- plot and explorer

#: The explorer's sliders: depth 1 … 200, weight scale 10^-1 … 10^1.3 (log slider).
DEPTHS = [1, 2, 100, 200]
SCALES = [10 ** -1.0, 1.0, 10 ** 1.3]
FLOW = re.compile(r"(overflow|underflow)")


def _check_range_labels(ax, norms):
    """Each of the three curves is in the legend, and it has an overflow/underflow entry
    exactly when some of its values are inf, NaN or 0."""
    texts = [t.replace("\\", "") for t in legend_texts(ax)]
    for key, values in (("$|partial E/partial W_l|_F$", norms.grad_W),
                        ("$|partial E/partial a_l|_2$", norms.grad_a), ("bound", norms.bound_a)):
        assert any(t.startswith(key) and not FLOW.search(t) for t in texts), (key, texts)
        bad = ~np.isfinite(values) | (values == 0)
        flagged = [t for t in texts if t.startswith(key) and FLOW.search(t)]
        assert bool(bad.any()) == bool(flagged), (key, texts)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_explorer_compute_and_plot_at_slider_extremes(depth, activation, scale):
    """What the explorer's draw() does, at the extreme and middle slider values: a plot with
    axis labels and a log y axis; every non-plottable value (inf, NaN, 0) labelled."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not even a matplotlib UserWarning
        norms = deepnet.layer_gradient_norms(depth=depth, width=64, activation=activation,
                                             weight_scale=scale, seed=0, batch=16)
        fig, ax = plt.subplots()
        plots.plot_layer_gradient_norms(norms, ax=ax)
        ax.set_title(norms.label)
        fig.canvas.draw()
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    assert "layer" in ax.get_xlabel()
    lo, hi = ax.get_ylim()
    assert 0 < lo < hi < np.inf
    _check_range_labels(ax, norms)
    plt.close(fig)


@pytest.mark.parametrize("depth,activation,scale,expect", [
    (400, "sigmoid", 0.1, "underflow"),   # vanishing past 1e-308
    (200, "tanh", 10 ** 1.3, "overflow"),  # the bound (γ‖W‖₂)^L past 1e308
    (100, "tanh", 1000.0, "underflow"),   # act'(z) itself underflows for |z| > ~372
    (400, "tanh", 1000.0, "overflow"),
])
def test_plot_labels_overflow_and_underflow(depth, activation, scale, expect):
    norms = deepnet.layer_gradient_norms(depth=depth, activation=activation, weight_scale=scale)
    fig, ax = plt.subplots()
    plots.plot_layer_gradient_norms(norms, ax=ax)
    fig.canvas.draw()
    assert any(expect in t for t in legend_texts(ax)), legend_texts(ax)
    _check_range_labels(ax, norms)
    plt.close(fig)


def test_plot_several_networks_on_one_axes_and_empty_data():
    fig, ax = plt.subplots()
    for s in (0.5, 1.0, 4.0):
        n = deepnet.layer_gradient_norms(depth=10, weight_scale=s, width=8)
        plots.plot_layer_gradient_norms(n, ax=ax, which="W", show_bound=False, label=f"g = {s:g}")
    colours = {ln.get_color() for ln in ax.get_lines()}
    assert len(colours) == 3 and len(ax.get_lines()) == 3
    plt.close(fig)
    # a network whose gradients are all exactly 0 (zero weights): a labelled, empty plot
    fake = deepnet.LayerGradientNorms(grad_W=np.zeros(3), grad_a=np.array([0.0, 0, 0, 1.0]),
                                      bound_a=np.array([0.0, 0, 0, 1.0]), weight_norms=np.zeros(3),
                                      gamma=0.25, label="zero")
    fig, ax = plt.subplots()
    plots.plot_layer_gradient_norms(fake, ax=ax, which="W", show_bound=False)
    fig.canvas.draw()
    assert any("underflow" in t for t in legend_texts(ax))
    plt.close(fig)


def test_deepnet_explorer_widget_runs_at_extremes():
    """The widget itself: build it, move every slider to its ends; no exception."""
    from rnngrad import widgets

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*non-interactive.*")  # plt.show under Agg
        box = widgets.deepnet_explorer(width=16, batch=4)
        controls = {c.description: c for c in box.children[0].children}
        depth = controls["depth L"]
        scale = controls["weight scale (1 = Glorot)"]
        act = controls["activation"]
        for a in ("tanh", "sigmoid"):
            act.value = a
            for d in (depth.min, depth.max):
                depth.value = d
                for e in (scale.min, scale.max):
                    scale.value = 10 ** e
    plt.close("all")
