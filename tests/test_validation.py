"""Bad input raises ValueError naming the argument (_checks.py and every public entry point)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from reference import random_gru, random_lstm, random_rnn
from rnngrad import gradients, gru, lstm, rnn

N, M, T, B = 3, 2, 4, 2


@pytest.fixture
def ctx(rng):
    """Valid objects to corrupt one argument at a time."""
    p, xs, c0 = random_rnn(rng, N, M, T)
    lp, lxs, h0, lc0 = random_lstm(rng, N, M, T)
    c = SimpleNamespace(p=p, xs=xs, c0=c0, lp=lp, lxs=lxs, h0=h0, lc0=lc0, rng=rng)
    c.tr = rnn.forward(p, xs, c0)
    c.ltr = lstm.forward(lp, lxs, h0, lc0)
    c.tr_b = rnn.forward(p, rng.standard_normal((T, B, M)))
    c.ltr_b = lstm.forward(lp, rng.standard_normal((T, B, M)))
    c.G = np.ones((T, N))
    # params of another size, for trace/params mismatches
    c.p_other = random_rnn(rng, N + 1, M, T)[0]
    c.p_other_m = random_rnn(rng, N, M + 1, T)[0]
    c.lp_other = random_lstm(rng, N + 1, M, T)[0]
    c.gp, c.gxs, c.gh0 = random_gru(rng, N, M, T)
    c.gtr = gru.forward(c.gp, c.gxs, c.gh0)
    c.gtr_b = gru.forward(c.gp, rng.standard_normal((T, B, M)))
    c.gp_other = random_gru(rng, N, M + 1, T)[0]
    return c


def _with(arr, idx, value):
    arr = np.array(arr, dtype=float)
    arr[idx] = value
    return arr


def _lstm_fields(lp, **over):
    kw = {f"{k}_{g}": getattr(lp, f"{k}_{g}") for k in ("W", "b") for g in "fico"}
    kw.update(over)
    return kw


def _gru_fields(gp, **over):
    kw = {f.name: getattr(gp, f.name) for f in dataclasses.fields(gp)}
    kw.update(over)
    return kw


# Each case: (id, call(ctx), regex the message must match -- always the argument's name).
CASES = [
    # ---- sequence shapes
    ("xs 1-D", lambda c: rnn.forward(c.p, np.ones(M)), r"^xs\b.*shape"),
    ("xs 4-D", lambda c: rnn.forward(c.p, np.ones((T, B, 1, M))), r"^xs\b.*shape"),
    ("xs 4-D lstm", lambda c: lstm.forward(c.lp, np.ones((T, B, 1, M))), r"^xs\b.*shape"),
    ("xs wrong m", lambda c: rnn.forward(c.p, np.ones((T, M + 1))), r"^xs\b.*input features"),
    ("xs wrong m lstm", lambda c: lstm.forward(c.lp, np.ones((T, B, M + 1))), r"^xs\b"),
    ("xs empty T=0", lambda c: rnn.forward(c.p, np.ones((0, M))), r"^xs\b.*empty"),
    ("xs empty T=0 lstm", lambda c: lstm.forward(c.lp, np.ones((0, B, M))), r"^xs\b.*empty"),
    ("xs empty batch", lambda c: rnn.forward(c.p, np.ones((T, 0, M))), r"^xs\b.*empty batch"),
    ("xs NaN", lambda c: rnn.forward(c.p, _with(c.xs, (1, 0), np.nan)), r"^xs\b.*finite"),
    ("xs NaN at the last entry",
     lambda c: rnn.forward(c.p, _with(c.xs, (T - 1, M - 1), np.nan)), r"^xs\b.*finite"),
    ("xs inf lstm", lambda c: lstm.forward(c.lp, _with(c.lxs, (0, 1), -np.inf)), r"^xs\b.*finite"),
    ("xs not numbers", lambda c: rnn.forward(c.p, [["a", "b"]]), r"^xs\b.*real numbers"),
    # ---- initial states
    ("c0 wrong shape", lambda c: rnn.forward(c.p, c.xs, np.zeros(N + 1)), r"^c0\b.*shape"),
    ("c0 2-D unbatched", lambda c: rnn.forward(c.p, c.xs, np.zeros((1, N))), r"^c0\b.*shape"),
    ("c0 wrong batch", lambda c: rnn.forward(c.p, np.ones((T, B, M)), np.zeros((B + 1, N))),
     r"^c0\b.*shape"),
    ("c0 NaN", lambda c: rnn.forward(c.p, c.xs, _with(c.c0, 0, np.nan)), r"^c0\b.*finite"),
    ("lstm c0 wrong shape", lambda c: lstm.forward(c.lp, c.lxs, c.h0, np.zeros(N - 1)),
     r"^c0\b.*shape"),
    ("h0 wrong shape", lambda c: lstm.forward(c.lp, c.lxs, np.zeros(N + 1)), r"^h0\b.*shape"),
    ("h0 wrong batch", lambda c: lstm.forward(c.lp, np.ones((T, B, M)), np.zeros((B + 1, N))),
     r"^h0\b.*shape"),
    ("h0 inf", lambda c: lstm.forward(c.lp, c.lxs, _with(c.h0, 1, np.inf)), r"^h0\b.*finite"),
    # ---- loss gradients
    ("dL_dc wrong shape", lambda c: rnn.backward(c.p, c.tr, np.ones((T, N + 1))),
     r"^dL_dc\b.*shape"),
    ("dL_dc missing time step", lambda c: rnn.backward(c.p, c.tr, np.ones((T - 1, N))),
     r"^dL_dc\b.*shape"),
    ("dL_dc unbatched for batch", lambda c: rnn.bptt_terms(c.p, c.tr_b, np.ones((T, N))),
     r"^dL_dc\b.*shape"),
    ("dL_dc NaN", lambda c: rnn.backward(c.p, c.tr, _with(c.G, (0, 0), np.nan)),
     r"^dL_dc\b.*finite"),
    ("lstm dL_dc wrong shape", lambda c: lstm.backward(c.lp, c.ltr, c.G, np.ones((T, N, 1))),
     r"^dL_dc\b.*shape"),
    ("dL_dh wrong shape", lambda c: lstm.backward(c.lp, c.ltr, np.ones((T, N - 1))),
     r"^dL_dh\b.*shape"),
    ("dL_dh wrong shape bptt", lambda c: lstm.bptt_terms(c.lp, c.ltr_b, np.ones((T, N))),
     r"^dL_dh\b.*shape"),
    # ---- RNN parameter dimensions
    ("W_rec not square", lambda c: rnn.RNNParams(np.ones((N, N + 1)), np.ones((N, M)), np.ones(N)),
     r"^W_rec\b.*square"),
    ("W_rec 1-D", lambda c: rnn.RNNParams(np.ones(N), np.ones((N, M)), np.ones(N)),
     r"^W_rec\b.*shape"),
    ("W_rec empty", lambda c: rnn.RNNParams(np.ones((0, 0)), np.ones((0, M)), np.ones(0)),
     r"^W_rec\b"),
    ("W_rec inf", lambda c: rnn.RNNParams(_with(c.p.W_rec, (0, 1), np.inf), c.p.W_in, c.p.b),
     r"^W_rec\b.*finite"),
    ("W_in rows != n", lambda c: rnn.RNNParams(c.p.W_rec, np.ones((N + 1, M)), c.p.b),
     r"^W_in\b.*shape"),
    ("W_in NaN", lambda c: rnn.RNNParams(c.p.W_rec, _with(c.p.W_in, (0, 0), np.nan), c.p.b),
     r"^W_in\b.*finite"),
    ("b wrong length", lambda c: rnn.RNNParams(c.p.W_rec, c.p.W_in, np.ones(N + 1)),
     r"^b\b.*shape"),
    ("unknown activation", lambda c: rnn.RNNParams(c.p.W_rec, c.p.W_in, c.p.b, "relu"),
     r"^activation\b.*relu"),
    ("unknown activation init", lambda c: rnn.init(N, M, rng=c.rng, activation="softplus"),
     r"^activation\b"),
    # ---- LSTM parameter dimensions
    ("W_i shape != W_f shape",
     lambda c: lstm.LSTMParams(**_lstm_fields(c.lp, W_i=np.ones((N, N + M + 1)))),
     r"^W_i\b.*shape"),
    ("W_o rows != n", lambda c: lstm.LSTMParams(**_lstm_fields(c.lp, W_o=np.ones((N + 1, N + M)))),
     r"^W_o\b.*shape"),
    ("W_f has no input columns",
     lambda c: lstm.LSTMParams(**_lstm_fields(c.lp, W_f=np.ones((N, N)))), r"^W_f\b.*shape"),
    ("b_c wrong length", lambda c: lstm.LSTMParams(**_lstm_fields(c.lp, b_c=np.ones(N + 1))),
     r"^b_c\b.*shape"),
    ("W_c NaN",
     lambda c: lstm.LSTMParams(**_lstm_fields(c.lp, W_c=_with(c.lp.W_c, (0, 0), np.nan))),
     r"^W_c\b.*finite"),
    ("unknown gate", lambda c: c.lp.U("g"), r"^gate\b"),
    # ---- time indices
    ("step_jacobian t=0", lambda c: rnn.step_jacobian(c.p, c.tr, 0), r"^t\b.*<= t <="),
    ("step_jacobian t=T", lambda c: rnn.step_jacobian(c.p, c.tr, T), r"^t\b.*<= t <="),
    ("step_jacobian t=1.5", lambda c: rnn.step_jacobian(c.p, c.tr, 1.5), r"^t\b.*integer"),
    ("step_jacobian t=True", lambda c: rnn.step_jacobian(c.p, c.tr, True), r"^t\b.*integer"),
    ("step_jacobian T=1", lambda c: rnn.step_jacobian(c.p, rnn.forward(c.p, c.xs[:1]), 0),
     r"^t\b.*too short"),
    ("cell_jacobian_terms t=0", lambda c: lstm.cell_jacobian_terms(c.lp, c.ltr, 0),
     r"^t\b.*<= t <="),
    ("cell_jacobian_terms t=T", lambda c: lstm.cell_jacobian_terms(c.lp, c.ltr, T),
     r"^t\b.*<= t <="),
    ("cell_jacobian_terms t=1.5", lambda c: lstm.cell_jacobian_terms(c.lp, c.ltr, 1.5),
     r"^t\b.*integer"),
    ("cell_jacobian_terms t=True", lambda c: lstm.cell_jacobian_terms(c.lp, c.ltr, True),
     r"^t\b.*integer"),
    ("state_jacobian t=-1", lambda c: lstm.state_jacobian(c.lp, c.ltr, -1), r"^t\b.*<= t <="),
    ("state_jacobian t=T", lambda c: lstm.state_jacobian(c.lp, c.ltr, T), r"^t\b.*<= t <="),
    ("state_jacobian t=1.5", lambda c: lstm.state_jacobian(c.lp, c.ltr, 1.5), r"^t\b.*integer"),
    ("state_jacobian t=True", lambda c: lstm.state_jacobian(c.lp, c.ltr, True), r"^t\b.*integer"),
    ("state_jacobian t='1'", lambda c: lstm.state_jacobian(c.lp, c.ltr, "1"), r"^t\b.*integer"),
    # ---- gradients module
    ("batched trace rnn", lambda c: gradients.gradient_norm_vs_lag(c.p, c.tr_b),
     r"^trace\b.*single sequence"),
    ("batched trace lstm", lambda c: gradients.gradient_norm_vs_lag(c.lp, c.ltr_b, path="cell"),
     r"^trace\b.*single sequence"),
    ("batched trace step_jacobians", lambda c: gradients.step_jacobians(c.p, c.tr_b),
     r"^trace\b.*single sequence"),
    ("unknown norm", lambda c: gradients.gradient_norm_vs_lag(c.p, c.tr, norm="nuc"), r"^norm\b"),
    ("unknown path", lambda c: gradients.gradient_norm_vs_lag(c.lp, c.ltr, path="both"),
     r"^path\b"),
    ("unknown path step_jacobians", lambda c: gradients.step_jacobians(c.lp, c.ltr, "h"),
     r"^path\b"),
    ("jacobians not square", lambda c: gradients.jacobian_products(np.ones((2, 3, 4))),
     r"^jacobians\b.*square"),
    ("jacobians 2-D", lambda c: gradients.jacobian_products(np.ones((3, 3))),
     r"^jacobians\b.*shape"),
    ("jacobians NaN", lambda c: gradients.jacobian_products(np.full((1, 2, 2), np.nan)),
     r"^jacobians\b.*finite"),
    ("terms wrong type", lambda c: gradients.step_contribution_norms(np.ones((T, N, N))),
     r"^terms\b"),
    ("terms without time axis",
     lambda c: gradients.step_contribution_norms(rnn.backward(c.p, c.tr, c.G)), r"^terms\b"),
    # ---- wrong params / trace types, trace/params mismatch
    ("rnn.forward lstm params", lambda c: rnn.forward(c.lp, c.xs), r"^params\b"),
    ("lstm.forward rnn params", lambda c: lstm.forward(c.p, c.lxs), r"^params\b"),
    ("rnn.forward dict params", lambda c: rnn.forward({"W_rec": c.p.W_rec}, c.xs), r"^params\b"),
    ("rnn.backward lstm params", lambda c: rnn.backward(c.lp, c.tr, c.G), r"^params\b"),
    ("lstm.state_jacobian rnn params", lambda c: lstm.state_jacobian(c.p, c.ltr, 1), r"^params\b"),
    ("gradients.step_jacobians str params", lambda c: gradients.step_jacobians("rnn", c.tr),
     r"^params\b"),
    ("gradients.gradient_norm_vs_lag None params",
     lambda c: gradients.gradient_norm_vs_lag(None, c.tr), r"^params\b"),
    ("rnn.backward lstm trace", lambda c: rnn.backward(c.p, c.ltr, c.G), r"^trace\b"),
    ("lstm.backward rnn trace", lambda c: lstm.backward(c.lp, c.tr, c.G), r"^trace\b"),
    ("trace n mismatch rnn", lambda c: rnn.backward(c.p_other, c.tr, c.G), r"^trace\b.*match"),
    ("trace m mismatch rnn", lambda c: rnn.step_jacobian(c.p_other_m, c.tr, 1),
     r"^trace\b.*match"),
    ("trace mismatch lstm", lambda c: lstm.cell_jacobian_terms(c.lp_other, c.ltr, 1),
     r"^trace\b.*match"),
    ("trace mismatch gradients", lambda c: gradients.gradient_norm_vs_lag(c.p_other, c.tr),
     r"^trace\b.*match"),
    # ---- init arguments
    ("rng not a Generator", lambda c: rnn.init(N, M, rng=np.random.RandomState(0)), r"^rng\b"),
    ("rng is a seed", lambda c: lstm.init(N, M, rng=0), r"^rng\b"),
    ("negative scale", lambda c: rnn.init(N, M, rng=c.rng, scale=-1.0), r"^scale\b.*>= 0"),
    ("nan scale", lambda c: rnn.init(N, M, rng=c.rng, scale=np.nan), r"^scale\b.*finite"),
    ("scale not a number", lambda c: rnn.init(N, M, rng=c.rng, scale="big"), r"^scale\b"),
    ("negative input_scale", lambda c: rnn.init(N, M, rng=c.rng, input_scale=-0.1),
     r"^input_scale\b"),
    ("negative weight_scale", lambda c: lstm.init(N, M, rng=c.rng, weight_scale=-2.0),
     r"^weight_scale\b"),
    ("inf forget_bias", lambda c: lstm.init(N, M, rng=c.rng, forget_bias=np.inf),
     r"^forget_bias\b"),
    ("n = 0", lambda c: rnn.init(0, M, rng=c.rng), r"^n\b.*>= 1"),
    ("n not int", lambda c: lstm.init(2.0, M, rng=c.rng), r"^n\b.*integer"),
    ("m = True", lambda c: rnn.init(N, True, rng=c.rng), r"^m\b.*integer"),
    ("unhashable activation", lambda c: rnn.RNNParams(c.p.W_rec, c.p.W_in, c.p.b, ["tanh"]),
     r"^activation\b"),
    ("complex xs", lambda c: rnn.forward(c.p, c.xs + 1j), r"^xs\b.*complex"),
    ("W_in with no columns", lambda c: rnn.RNNParams(c.p.W_rec, np.zeros((N, 0)), c.p.b),
     r"^W_in\b.*m >= 1"),
    ("unknown path for the RNN", lambda c: gradients.gradient_norm_vs_lag(c.p, c.tr, path="bogus"),
     r"^path\b"),
    # ---- GRU
    ("gru xs wrong m", lambda c: gru.forward(c.gp, np.ones((T, M + 1))), r"^xs\b.*input features"),
    ("gru xs 1-D", lambda c: gru.forward(c.gp, np.ones(M)), r"^xs\b.*shape"),
    ("gru xs empty T=0", lambda c: gru.forward(c.gp, np.ones((0, B, M))), r"^xs\b.*empty"),
    ("gru xs NaN", lambda c: gru.forward(c.gp, _with(c.gxs, (1, 0), np.nan)), r"^xs\b.*finite"),
    ("gru h0 wrong shape", lambda c: gru.forward(c.gp, c.gxs, np.zeros(N + 1)), r"^h0\b.*shape"),
    ("gru h0 wrong batch", lambda c: gru.forward(c.gp, np.ones((T, B, M)), np.zeros((B + 1, N))),
     r"^h0\b.*shape"),
    ("gru h0 inf", lambda c: gru.forward(c.gp, c.gxs, _with(c.gh0, 0, np.inf)), r"^h0\b.*finite"),
    ("gru dL_dh wrong shape", lambda c: gru.backward(c.gp, c.gtr, np.ones((T, N + 1))),
     r"^dL_dh\b.*shape"),
    ("gru dL_dh unbatched for batch", lambda c: gru.backward(c.gp, c.gtr_b, np.ones((T, N))),
     r"^dL_dh\b.*shape"),
    ("gru dL_dh NaN", lambda c: gru.backward(c.gp, c.gtr, _with(c.G, (0, 0), np.nan)),
     r"^dL_dh\b.*finite"),
    ("W_r shape != W_z shape",
     lambda c: gru.GRUParams(**_gru_fields(c.gp, W_r=np.ones((N, N + M + 1)))), r"^W_r\b.*shape"),
    ("W_z has no input columns", lambda c: gru.GRUParams(**_gru_fields(c.gp, W_z=np.ones((N, N)))),
     r"^W_z\b.*shape"),
    ("W_n rows != n", lambda c: gru.GRUParams(**_gru_fields(c.gp, W_n=np.ones((N + 1, N + M)))),
     r"^W_n\b.*shape"),
    ("b_hn wrong length", lambda c: gru.GRUParams(**_gru_fields(c.gp, b_hn=np.ones(N - 1))),
     r"^b_hn\b.*shape"),
    ("b_z NaN", lambda c: gru.GRUParams(**_gru_fields(c.gp, b_z=_with(c.gp.b_z, 0, np.nan))),
     r"^b_z\b.*finite"),
    ("gru unknown gate", lambda c: c.gp.V("c"), r"^gate\b"),
    ("gru step_jacobian t=-1", lambda c: gru.step_jacobian(c.gp, c.gtr, -1), r"^t\b.*<= t <="),
    ("gru step_jacobian t=T", lambda c: gru.step_jacobian(c.gp, c.gtr, T), r"^t\b.*<= t <="),
    ("gru step_jacobian t=1.5", lambda c: gru.step_jacobian(c.gp, c.gtr, 1.5), r"^t\b.*integer"),
    ("gru step_jacobian_terms t=True", lambda c: gru.step_jacobian_terms(c.gp, c.gtr, True),
     r"^t\b.*integer"),
    ("gru input_jacobian t=T", lambda c: gru.input_jacobian(c.gp, c.gtr, T), r"^t\b.*<= t <="),
    ("gru.forward lstm params", lambda c: gru.forward(c.lp, c.gxs), r"^params\b.*GRUParams"),
    ("gru.backward lstm trace", lambda c: gru.backward(c.gp, c.ltr, c.G), r"^trace\b.*a GRUTrace"),
    ("lstm.backward gru trace", lambda c: lstm.backward(c.lp, c.gtr, c.G),
     r"^trace\b.*an LSTMTrace"),
    ("gru trace mismatch", lambda c: gru.step_jacobian(c.gp_other, c.gtr, 1), r"^trace\b.*match"),
    ("gru rng is a seed", lambda c: gru.init(N, M, rng=1), r"^rng\b"),
    ("gru inf update_bias", lambda c: gru.init(N, M, rng=c.rng, update_bias=np.inf),
     r"^update_bias\b"),
    ("gru negative weight_scale", lambda c: gru.init(N, M, rng=c.rng, weight_scale=-1.0),
     r"^weight_scale\b"),
    ("gru m = 0", lambda c: gru.init(N, 0, rng=c.rng), r"^m\b.*>= 1"),
]


@pytest.mark.parametrize("call,match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_value_error_naming_the_argument(ctx, call, match):
    with pytest.raises(ValueError, match=match):
        call(ctx)


def test_valid_counterparts_do_not_raise(ctx):
    """Control: the calls above succeed once the one bad argument is fixed, so each case
    fails for the reason it names and not for an unrelated one."""
    c = ctx
    rnn.forward(c.p, c.xs, np.zeros(N))
    rnn.forward(c.p, np.ones((T, B, M)), np.zeros((B, N)))
    lstm.forward(c.lp, np.ones((T, B, M)), np.zeros((B, N)), np.zeros(N))
    rnn.backward(c.p, c.tr, c.G)
    rnn.bptt_terms(c.p, c.tr_b, np.ones((T, B, N)))
    lstm.backward(c.lp, c.ltr, c.G, c.G)
    lstm.bptt_terms(c.lp, c.ltr_b, np.ones((T, B, N)))
    lstm.LSTMParams(**_lstm_fields(c.lp))
    rnn.RNNParams(c.p.W_rec, c.p.W_in, c.p.b, "tanh")
    for t in (1, T - 1, np.int64(2)):
        assert rnn.step_jacobian(c.p, c.tr, t).shape == (N, N)
        assert lstm.cell_jacobian_terms(c.lp, c.ltr, t)[0].shape == (N, N)
    for t in (0, T - 1):
        assert lstm.state_jacobian(c.lp, c.ltr, t).shape == (2 * N, 2 * N)
    for norm in ("spectral", "fro"):
        assert gradients.gradient_norm_vs_lag(c.p, c.tr, norm=norm).shape == (T,)
        for path in ("full", "cell"):
            assert gradients.gradient_norm_vs_lag(c.lp, c.ltr, norm=norm, path=path).shape == (T,)
    gradients.jacobian_products(np.ones((2, 3, 3)))
    gradients.step_contribution_norms(rnn.bptt_terms(c.p, c.tr, c.G))
    rnn.init(N, M, rng=c.rng, scale=0.0, input_scale=0.0)
    lstm.init(N, M, rng=c.rng, weight_scale=0.0, forget_bias=-3)
    gru.forward(c.gp, np.ones((T, B, M)), np.zeros((B, N)))
    gru.forward(c.gp, c.gxs, np.zeros(N))
    gru.backward(c.gp, c.gtr, c.G)
    gru.backward(c.gp, c.gtr_b, np.ones((T, B, N)))
    gru.GRUParams(**_gru_fields(c.gp))
    for t in (0, T - 1, np.int64(2)):
        assert gru.step_jacobian(c.gp, c.gtr, t).shape == (N, N)
        assert gru.step_jacobian_terms(c.gp, c.gtr, t).direct.shape == (N, N)
        assert gru.input_jacobian(c.gp, c.gtr, t).shape == (N, M)
    gru.init(N, M, rng=c.rng, weight_scale=0.0, update_bias=-3)

