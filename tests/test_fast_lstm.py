"""The training loop's faster LSTM kernel (_fast_lstm.py) computes what the readable lstm.py
computes: same states, same gradients (to rounding), on every size and shape train uses."""

from __future__ import annotations

import numpy as np
import pytest

from reference import GATES, random_lstm_params
from rnngrad import _fast_lstm, lstm, train

PARAM_FIELDS = tuple(f"W_{g}" for g in GATES) + tuple(f"b_{g}" for g in GATES)


@pytest.mark.parametrize("n,m,T,B", [(1, 1, 1, 1), (3, 2, 5, 4), (16, 1, 40, 64), (16, 2, 30, 7)])
def test_fast_forward_and_backward_equal_the_readable_ones(rng, monkeypatch, n, m, T, B):
    params = random_lstm_params(rng, n, m)
    xs = rng.standard_normal((T, B, m))
    G = rng.standard_normal((T, B, n))
    readable = lstm.forward(params, xs)
    fast = _fast_lstm.forward(params, xs)
    np.testing.assert_allclose(fast.h, readable.h, rtol=1e-12, atol=1e-14)
    want = lstm.backward(params, readable, G)
    for block in (None, 1, 3):                    # backward works in blocks of steps
        if block is not None:
            monkeypatch.setattr(_fast_lstm, "_BLOCK_ELEMENTS", block * n * B)
        got = _fast_lstm.backward(params, fast, G)
        for name in PARAM_FIELDS:
            np.testing.assert_allclose(getattr(got, name), getattr(want, name),
                                       rtol=1e-10, atol=1e-12, err_msg=name)


def test_fast_kernel_survives_large_weights_without_warnings(rng):
    import warnings

    params = random_lstm_params(rng, 3, 2)
    params = lstm.LSTMParams(**{k: 1e6 * getattr(params, k) for k in PARAM_FIELDS})
    xs = 10 * rng.standard_normal((6, 2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = _fast_lstm.forward(params, xs)
        g = _fast_lstm.backward(params, tr, np.ones(tr.h.shape))
    np.testing.assert_allclose(tr.h, lstm.forward(params, xs).h, rtol=1e-12, atol=1e-14)
    assert all(np.all(np.isfinite(getattr(g, k))) for k in PARAM_FIELDS)


@pytest.mark.parametrize("task", ["first_bit", "adding"])
def test_training_gradient_equals_the_readable_backward(rng, task):
    """train.loss_and_gradient (fast kernel) gives the gradient that lstm.backward gives."""
    mdl = train.init_model("lstm_bf1", 5, 2 if task == "adding" else 1, rng=rng)
    xs, ys = train._tasks.make_batch(task, 12, 9, rng=rng)
    lg = train.loss_and_gradient(mdl, xs, ys, task)
    tr = lstm.forward(mdl.core, xs)
    out = tr.h[-1] @ mdl.readout.w + mdl.readout.b
    dout = train._per_example(task, out, ys)[1] / xs.shape[1]
    dL_dh = np.zeros(tr.h.shape)
    dL_dh[-1] = dout[:, None] * mdl.readout.w
    g = lstm.backward(mdl.core, tr, dL_dh)
    core = np.concatenate([np.ravel(getattr(g, k)) for k in train.array_fields(mdl.core)])
    np.testing.assert_allclose(lg.grad[:core.size], core, rtol=1e-10, atol=1e-13)
