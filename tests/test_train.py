"""Tests of rnngrad.train: readout + BPTT gradients, Adam, clipping, the training loop (chapter 9)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from reference import FD_RTOL, fd_jacobian, rel_err

from rnngrad import exploding, gru, lstm, rnn, tasks, train

MODEL_NAMES = ("rnn_sigmoid", "rnn_tanh", "rnn_tanh_orth", "lstm_bf0", "lstm_bf1", "lstm_bf3",
               "gru_bz2")


def small_problem(task, name, *, n=3, lag=6, B=4, seed=0, perturb=True):
    """A small model (with non-zero random biases and readout bias) and a batch."""
    rng = np.random.default_rng(seed)
    m = 2 if task == "adding" else 1
    mdl = train.init_model(name, n, m, rng=rng)
    if perturb:  # move away from the symmetric initial biases so every parameter matters
        theta = train.flatten(mdl) + 0.3 * rng.standard_normal(train.flatten(mdl).size)
        mdl = train.unflatten(mdl, theta)
    xs, ys = tasks.make_batch(task, lag, B, rng=rng)
    return mdl, xs, ys


# --------------------------------------------------------------------------- models, flattening


def test_model_spec_names():
    assert train.model_spec("rnn_sigmoid") == train.ModelSpec("rnn", "sigmoid", rnn_scale=4.0)
    assert train.model_spec("rnn_tanh").rnn_scale == 1.0
    spec = train.model_spec("lstm_bf3")
    assert spec.kind == "lstm" and spec.forget_bias == 3.0 and spec.name == "lstm_bf3"
    assert train.model_spec("lstm_bf-1.5").forget_bias == -1.5
    spec = train.model_spec("gru_bz2")
    assert spec.kind == "gru" and spec.update_bias == 2.0 and spec.name == "gru_bz2"
    assert spec.label == "GRU, update bias 2"
    assert train.model_spec("gru_bz-0.5").update_bias == -0.5
    for name in MODEL_NAMES:
        assert train.model_spec(name).name == name
    assert train.MODELS == MODEL_NAMES
    for bad in ("gru", "gru_bz", "gru_bfx", "gru_bz1e999", "lstm_bf", "lstm_bfx", "rnn_relu", 3,
                "rnn_tanh_orthogonal", "rnn_orth", "rnn_tanh_id_orth"):
        with pytest.raises(ValueError, match="model"):
            train.model_spec(bad)


def test_model_spec_recurrent_init():
    spec = train.model_spec("rnn_tanh_orth")
    assert spec == train.ModelSpec("rnn", "tanh", rnn_scale=1.0, recurrent="orthogonal")
    assert spec.label == "orthogonal tanh RNN"
    assert train.model_spec("rnn_sigmoid_id") == train.ModelSpec("rnn", "sigmoid", rnn_scale=4.0,
                                                                 recurrent="identity")
    assert train.model_spec("rnn_tanh").recurrent == "gaussian"
    with pytest.raises(ValueError, match="recurrent"):
        train.ModelSpec("rnn", "tanh", recurrent="unitary")


def test_orthogonal_model_shares_everything_but_w_rec_with_the_gaussian_one():
    """Same seed: W_in and the readout of rnn_tanh_orth are those of rnn_tanh; its W_rec has
    every singular value equal to ‖W_rec‖₂ = 1."""
    a = train.init_model("rnn_tanh", 5, 2, rng=np.random.default_rng(4))
    b = train.init_model("rnn_tanh_orth", 5, 2, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(a.core.W_in, b.core.W_in)
    np.testing.assert_array_equal(a.readout.w, b.readout.w)
    np.testing.assert_allclose(np.linalg.svd(b.core.W_rec, compute_uv=False), 1.0, rtol=1e-12)
    assert np.isclose(np.linalg.norm(a.core.W_rec, 2), 1.0)
    assert np.linalg.svd(a.core.W_rec, compute_uv=False).min() < 0.5


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_flatten_roundtrip(name):
    mdl = train.init_model(name, 4, 2, rng=np.random.default_rng(0))
    theta = train.flatten(mdl)
    n, m = 4, 2
    core_size = {"rnn": n * n + n * m + n, "lstm": 4 * (n * (n + m) + n), "gru": 3 * n * (n + m) + 4 * n}
    expected = core_size[name[:name.index("_")]] + n + 1
    assert theta.shape == (expected,)
    back = train.unflatten(mdl, theta)
    assert np.array_equal(train.flatten(back), theta)
    new = train.unflatten(mdl, np.arange(expected, dtype=float))
    assert np.array_equal(train.flatten(new), np.arange(expected))
    if name.startswith("lstm"):
        assert np.array_equal(new.core.W_f.ravel(), np.arange(n * (n + m)))
        assert train.array_fields(mdl.core) == ["W_f", "W_i", "W_c", "W_o", "b_f", "b_i", "b_c", "b_o"]
    elif name.startswith("gru"):
        assert np.array_equal(new.core.W_z.ravel(), np.arange(n * (n + m)))
        assert train.array_fields(mdl.core) == ["W_z", "W_r", "W_n", "b_z", "b_r", "b_n", "b_hn"]
    else:
        assert new.core.activation == mdl.core.activation
        assert train.array_fields(mdl.core) == ["W_rec", "W_in", "b"]
    with pytest.raises(ValueError, match="theta"):
        train.unflatten(mdl, np.zeros(expected + 1))
    with pytest.raises(ValueError, match="model"):
        train.flatten(mdl.core)


def test_init_model_is_seeded_and_sized():
    a = train.init_model("lstm_bf3", 5, 1, rng=np.random.default_rng(4))
    b = train.init_model("lstm_bf3", 5, 1, rng=np.random.default_rng(4))
    assert np.array_equal(train.flatten(a), train.flatten(b))
    assert np.all(a.core.b_f == 3.0) and a.readout.b == 0.0
    g = train.init_model("gru_bz2", 5, 1, rng=np.random.default_rng(4))
    assert isinstance(g.core, gru.GRUParams) and np.all(g.core.b_z == 2.0) and g.is_gru
    assert not g.is_lstm and not a.is_gru
    s = train.init_model("rnn_sigmoid", 5, 1, rng=np.random.default_rng(4))
    assert np.linalg.norm(s.core.W_rec, 2) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="readout.w"):
        train.Model(a.core, train.Readout(np.zeros(3), 0.0))


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("task", tasks.TASKS)
@pytest.mark.parametrize("name", ["rnn_sigmoid", "rnn_tanh", "lstm_bf1", "gru_bz2"])
def test_training_gradient_matches_finite_differences(task, name):
    mdl, xs, ys = small_problem(task, name)
    lg = train.loss_and_gradient(mdl, xs, ys, task)
    theta = train.flatten(mdl)
    fd = fd_jacobian(lambda v: train.loss_value(train.unflatten(mdl, v), xs, ys, task), theta)
    assert rel_err(lg.grad, fd) < FD_RTOL
    assert lg.loss == pytest.approx(train.loss_value(mdl, xs, ys, task), rel=1e-14)
    assert 0.0 <= lg.accuracy <= 1.0


def _ref_loss(task, out, y):
    """Per-sequence loss written independently of the package."""
    if task == "adding":
        return (out - y) ** 2
    return np.log1p(np.exp(-out)) + (1 - y) * out     # -y log σ(s) - (1-y) log(1-σ(s))


def test_losses_and_accuracy_against_reference():
    for task in tasks.TASKS:
        mdl, xs, ys = small_problem(task, "lstm_bf1", B=6)
        trace = lstm.forward(mdl.core, xs)
        out = trace.h[-1] @ mdl.readout.w + mdl.readout.b
        assert train.loss_value(mdl, xs, ys, task) == pytest.approx(np.mean(_ref_loss(task, out, ys)))
        lg = train.loss_and_gradient(mdl, xs, ys, task)
        correct = np.abs(out - ys) < 0.04 if task == "adding" else (out > 0) == (ys == 1)
        assert lg.accuracy == np.mean(correct)


def _loss_from_state(mdl, task, xs_b, y, t, c):
    """ℓ of one sequence when its state (RNN, GRU) or cell state (LSTM, with h_t = o_t tanh(c_t))
    at step t is replaced by c, continuing the forward pass from there."""
    core = mdl.core
    if isinstance(core, gru.GRUParams):
        last = c if t == xs_b.shape[0] - 1 else gru.forward(core, xs_b[t + 1:], c).h[-1]
    elif isinstance(core, lstm.LSTMParams):
        prefix = lstm.forward(core, xs_b[: t + 1])
        h = prefix.o[t] * np.tanh(c)
        last = h if t == xs_b.shape[0] - 1 else lstm.forward(core, xs_b[t + 1:], h, c).h[-1]
    else:
        last = c if t == xs_b.shape[0] - 1 else rnn.forward(core, xs_b[t + 1:], c).c[-1]
    return _ref_loss(task, last @ mdl.readout.w + mdl.readout.b, y)


@pytest.mark.parametrize("task", tasks.TASKS)
@pytest.mark.parametrize("name", ["rnn_tanh", "rnn_sigmoid", "lstm_bf1", "gru_bz2"])
def test_state_gradient_norms_match_finite_differences(task, name):
    mdl, xs, ys = small_problem(task, name, B=2, lag=6)
    got = train.state_gradient_norms(mdl, xs, ys, task)
    T = xs.shape[0]
    want = np.zeros(T)
    for b in range(xs.shape[1]):
        if name.startswith("gru"):
            states = gru.forward(mdl.core, xs[:, b]).h
        else:
            states = (lstm if name.startswith("lstm") else rnn).forward(mdl.core, xs[:, b]).c
        for t in range(T):
            g = fd_jacobian(lambda c: _loss_from_state(mdl, task, xs[:, b], ys[b], t, c), states[t])
            want[t] += np.linalg.norm(g) / xs.shape[1]
    assert got.shape == (T,)
    assert rel_err(got, want) < FD_RTOL


def test_gradient_validation():
    mdl, xs, ys = small_problem("first_bit", "rnn_tanh")
    with pytest.raises(ValueError, match="task"):
        train.loss_and_gradient(mdl, xs, ys, "copy")
    with pytest.raises(ValueError, match="ys"):
        train.loss_and_gradient(mdl, xs, ys[:2], "first_bit")
    with pytest.raises(ValueError, match="xs"):
        train.loss_and_gradient(mdl, xs[:, 0], ys, "first_bit")
    with pytest.raises(ValueError, match="xs"):
        train.loss_and_gradient(mdl, np.zeros((5, 4, 2)), ys, "first_bit")


# --------------------------------------------------------------------------- Adam and clipping


def test_adam_first_step_and_bias_correction():
    g = np.array([3.0, -0.02, 0.0])
    theta, state = train.adam_step(np.zeros(3), g, train.adam_init(3), lr=0.1, eps=0.0 + 1e-12)
    # after one step m̂ = g and v̂ = g², so every coordinate moves by lr·sign(g)
    assert theta == pytest.approx([-0.1, 0.1, 0.0])
    assert state.t == 1
    assert state.m == pytest.approx(0.1 * g) and state.v == pytest.approx(0.001 * g * g)
    # a second step by hand
    g2 = np.array([1.0, 1.0, 1.0])
    m = 0.9 * state.m + 0.1 * g2
    v = 0.999 * state.v + 0.001 * g2 ** 2
    want = theta - 0.1 * (m / (1 - 0.9 ** 2)) / (np.sqrt(v / (1 - 0.999 ** 2)) + 1e-8)
    theta2, _ = train.adam_step(theta, g2, state, lr=0.1)
    assert theta2 == pytest.approx(want, rel=1e-12)


def test_adam_minimizes_a_quadratic():
    rng = np.random.default_rng(0)
    Q = rng.standard_normal((5, 5))
    A = Q @ Q.T + 0.5 * np.eye(5)          # f(θ) = ½ θᵀAθ - bᵀθ, minimum at A⁻¹b
    b = rng.standard_normal(5)
    theta, state = np.zeros(5), train.adam_init(5)
    for k in range(3000):
        lr = 0.05 if k < 2000 else 0.005
        theta, state = train.adam_step(theta, A @ theta - b, state, lr=lr)
    assert np.linalg.norm(theta - np.linalg.solve(A, b)) < 1e-3


def test_adam_validation():
    state = train.adam_init(2)
    with pytest.raises(ValueError, match="state"):
        train.adam_step(np.zeros(2), np.zeros(2), None)
    with pytest.raises(ValueError, match="grad"):
        train.adam_step(np.zeros(2), np.zeros(3), state)
    with pytest.raises(ValueError, match="beta1"):
        train.adam_step(np.zeros(2), np.zeros(2), state, beta1=1.5)
    with pytest.raises(ValueError, match="size"):
        train.adam_init(0)


def test_training_clips_the_global_norm_over_all_parameters(monkeypatch):
    calls = []

    def spy(g, threshold):
        calls.append((np.linalg.norm(g), g.size, threshold))
        return exploding.clip_by_norm(g, threshold)

    monkeypatch.setattr(train, "clip_by_norm", spy)
    h = train.train("first_bit", "lstm_bf1", 4, steps=5, hidden=3, clip=0.5,
                    stop_when_solved=False, probe_steps=())
    size = train.flatten(h.params).size
    assert len(calls) == 5
    assert all(s == size and thr == 0.5 for _, s, thr in calls)       # one vector: every parameter
    assert np.allclose([c[0] for c in calls], h.grad_norm)           # the recorded raw norm
    calls.clear()
    train.train("first_bit", "lstm_bf1", 4, steps=5, hidden=3, clip=None, stop_when_solved=False,
                probe_steps=())
    assert calls == []


def test_clipping_changes_the_update_only_above_the_threshold():
    kw = dict(steps=3, hidden=3, stop_when_solved=False, probe_steps=(), seed=1)
    free = train.train("adding", "rnn_tanh", 10, clip=None, **kw)
    loose = train.train("adding", "rnn_tanh", 10, clip=1e6, **kw)
    tight = train.train("adding", "rnn_tanh", 10, clip=1e-3, **kw)
    assert np.array_equal(train.flatten(free.params), train.flatten(loose.params))
    assert not np.array_equal(train.flatten(free.params), train.flatten(tight.params))
    assert np.array_equal(free.grad_norm[0], tight.grad_norm[0])     # norms recorded before clipping


# --------------------------------------------------------------------------- the training loop


def test_short_training_run_reduces_the_loss():
    h = train.train("first_bit", "lstm_bf3", 5, seed=0, steps=150, hidden=8, lr=0.02,
                    stop_when_solved=False, probe_steps=(0, 100))
    assert h.loss[-20:].mean() < 0.5 * h.loss[:20].mean()
    assert h.steps == 150 and h.accuracy.shape == h.grad_norm.shape == (150,)
    assert list(h.eval_steps) == list(range(25, 151, 25))
    assert list(h.probe_steps) == [0, 100, 150] and h.state_grad.shape == (3, 6)
    assert h.solved and h.final_accuracy >= 0.95


def test_adding_run_reduces_the_loss():
    h = train.train("adding", "rnn_tanh", 10, seed=0, steps=200, hidden=8, stop_when_solved=False,
                    probe_steps=())
    assert h.loss[-20:].mean() < 0.3 * h.loss[:20].mean()


def test_training_is_reproducible_and_stops_when_solved():
    a = train.train("first_bit", "rnn_tanh", 3, seed=5, steps=400, hidden=4)
    b = train.train("first_bit", "rnn_tanh", 3, seed=5, steps=400, hidden=4)
    assert np.array_equal(a.loss, b.loss) and a.final_accuracy == b.final_accuracy
    assert a.solved and a.steps < 400
    assert a.eval_accuracy[-1] >= 0.95 and a.eval_accuracy[-2] >= 0.95     # two in a row
    assert a.steps == a.eval_steps[-1]
    # the data stream is the model's own business only through the seed
    c = train.train("first_bit", "rnn_tanh", 3, seed=6, steps=400, hidden=4)
    assert not np.array_equal(a.loss[:5], c.loss[:5])


def test_history_solved_uses_the_threshold():
    h = train.train("first_bit", "rnn_tanh", 3, seed=5, steps=30, hidden=4, probe_steps=())
    assert h.solved == (h.final_accuracy >= h.threshold)
    h2 = dataclasses.replace(h, threshold=1.01 if h.final_accuracy <= 1 else 0)
    assert not h2.solved


def test_train_validation():
    with pytest.raises(ValueError, match="task"):
        train.train("copy", "rnn_tanh", 5)
    with pytest.raises(ValueError, match="model"):
        train.train("first_bit", "gru", 5)
    with pytest.raises(ValueError, match="clip"):
        train.train("first_bit", "rnn_tanh", 5, clip=0.0)
    with pytest.raises(ValueError, match="lag"):
        train.train("first_bit", "rnn_tanh", 0)
    with pytest.raises(ValueError, match="T"):
        train.train("adding", "rnn_tanh", 4)
    with pytest.raises(ValueError, match="threshold"):
        train.train("first_bit", "rnn_tanh", 5, threshold=2.0)
    with pytest.raises(ValueError, match="probe_steps"):
        train.train("first_bit", "rnn_tanh", 5, probe_steps=(-1,))


@pytest.mark.parametrize("name", ["rnn_tanh", "lstm_bf1", "gru_bz0"])
def test_readout_trajectory_ends_in_the_models_answer(name):
    mdl, xs, ys = small_problem("first_bit", name, B=5)
    v = train.readout_trajectory(mdl, xs)
    assert v.shape == (xs.shape[0], 5)
    core = mdl.core
    states = {"lstm": lambda: lstm.forward(core, xs).h, "gru": lambda: gru.forward(core, xs).h,
              "rnn": lambda: rnn.forward(core, xs).c}[name[:name.index("_")]]()
    np.testing.assert_allclose(v, states @ mdl.readout.w + mdl.readout.b)
    # the last value is the logit of the loss: ℓ = log(1 + e^-s) + (1 - y) s
    assert train.loss_value(mdl, xs, ys, "first_bit") == pytest.approx(np.mean(_ref_loss("first_bit", v[-1], ys)))
    with pytest.raises(ValueError, match="xs"):
        train.readout_trajectory(mdl, xs[:, 0])
    with pytest.raises(ValueError, match="model"):
        train.readout_trajectory(core, xs)
