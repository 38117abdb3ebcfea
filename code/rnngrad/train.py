"""Training a simple RNN, an LSTM or a GRU on a long-range task with full BPTT (chapter 9).

The model is a recurrent core (``rnn``, ``lstm`` or ``gru``) and a readout on its last state
s = c_{T-1} (RNN) or s = h_{T-1} (LSTM, GRU):

    ŷ = w · s + b                                  adding problem, loss ℓ = (ŷ - y)²
    p = σ(w · s + b)                               first bit, loss ℓ = -y log p - (1-y) log(1-p)

The batch loss is L = mean_b ℓ_b. Its gradient is the readout part plus one BPTT pass
(``rnn.backward`` / ``lstm.backward`` / ``gru.backward``) whose direct state gradient is non-zero only at the last
step: ∂⁺L/∂s_{T-1} = (∂L/∂ŷ) w. Updates use Adam (Kingma & Ba 2015) on the flattened parameter
vector after clipping its global norm (``exploding.clip_by_norm``, Pascanu et al. 2013).

Shapes: n hidden units, m inputs, T steps, B sequences; xs (T, B, m), ys (B,).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from . import _fast_lstm
from . import gradients as _gradients
from . import gru as _gru
from . import lstm as _lstm
from . import rnn as _rnn
from . import tasks as _tasks
from ._checks import as_array, as_positive_int, as_real, as_rng, as_sequence
from .activations import sigmoid
from .exploding import clip_by_norm

__all__ = ["ModelSpec", "model_spec", "MODELS", "Readout", "Model", "init_model", "array_fields",
           "flatten", "unflatten", "LossGrad", "loss_and_gradient", "loss_value",
           "state_gradient_norms", "readout_trajectory", "AdamState", "adam_init", "adam_step",
           "History", "train"]


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class ModelSpec:
    """Which recurrent core: kind 'rnn' (with ``activation`` and ``recurrent``), 'lstm' (with
    ``forget_bias``) or 'gru' (with ``update_bias``)."""

    kind: str
    activation: str = "tanh"
    forget_bias: float = 1.0
    update_bias: float = 0.0
    #: ‖W_rec‖₂ at initialization for the RNN; chosen so that γ‖W_rec‖₂ = 1 (chapter 4's edge).
    rnn_scale: float = 1.0
    #: How the RNN's W_rec is drawn at that norm (``rnn.init``'s ``recurrent``; chapter 4).
    recurrent: str = "gaussian"

    def __post_init__(self):
        if self.recurrent not in _RECURRENT_SUFFIX:
            raise ValueError(f"recurrent must be one of {tuple(_RECURRENT_SUFFIX)}, "
                             f"got {self.recurrent!r}")

    @property
    def name(self) -> str:
        if self.kind == "rnn":
            return f"rnn_{self.activation}{_RECURRENT_SUFFIX[self.recurrent]}"
        if self.kind == "gru":
            return f"gru_bz{self.update_bias:g}"
        return f"lstm_bf{self.forget_bias:g}"

    @property
    def label(self) -> str:
        if self.kind == "rnn":
            kind = "" if self.recurrent == "gaussian" else f"{self.recurrent} "
            return f"{kind}{self.activation} RNN"
        if self.kind == "gru":
            return f"GRU, update bias {self.update_bias:g}"
        return f"LSTM, forget bias {self.forget_bias:g}"


#: The suffix of an RNN's model name for each way of drawing W_rec ('rnn_tanh_orth', …).
_RECURRENT_SUFFIX = {"gaussian": "", "orthogonal": "_orth", "identity": "_id"}
#: ‖W_rec‖₂ at initialization: γ‖W_rec‖₂ = 1 for both activations (γ = 1/4 and 1).
_RNN_SCALE = {"sigmoid": 4.0, "tanh": 1.0}


def model_spec(name: str) -> ModelSpec:
    """Parse a model name: 'rnn_sigmoid', 'rnn_tanh', 'lstm_bf<b>' (forget bias b, e.g. 'lstm_bf3')
    or 'gru_bz<b>' (update bias b, e.g. 'gru_bz2'; the GRU chapter). An RNN's name may end in
    '_orth' (orthogonal W_rec) or '_id' (W_rec = g I), e.g. 'rnn_tanh_orth' (chapter 4's
    initialisations); without a suffix W_rec is a rescaled Gaussian matrix.

    The sigmoid RNN starts with ‖W_rec‖₂ = 4 and the tanh RNN with ‖W_rec‖₂ = 1, so that both
    sit at γ‖W_rec‖₂ = 1, the largest scale for which chapter 4's bound still forbids growth.
    """
    if not isinstance(name, str):
        raise ValueError(f"model must be a model name string, got {type(name).__name__}")
    for activation, scale in _RNN_SCALE.items():
        for recurrent, suffix in _RECURRENT_SUFFIX.items():
            if name == f"rnn_{activation}{suffix}":
                return ModelSpec("rnn", activation, rnn_scale=scale, recurrent=recurrent)
    for prefix, kind, field in (("lstm_bf", "lstm", "forget_bias"), ("gru_bz", "gru", "update_bias")):
        if name.startswith(prefix):
            try:
                bias = float(name[len(prefix):])
            except ValueError:
                bias = float("nan")
            if np.isfinite(bias):
                return ModelSpec(kind, **{field: bias})
    raise ValueError(
        f"model must be 'rnn_sigmoid', 'rnn_tanh' (either may end in '_orth' or '_id'), "
        f"'lstm_bf<forget bias>' (e.g. 'lstm_bf1') or 'gru_bz<update bias>' (e.g. 'gru_bz2'), "
        f"got {name!r}"
    )


#: The models of the chapter's sweep: three simple RNNs (the tanh RNN twice: Gaussian and
#: orthogonal W_rec at the same norm, chapter 4's initialisation as a cure), three LSTMs and a
#: GRU (update bias 2; it runs on the readable gru.py, about twice an LSTM step's time, so one
#: GRU only).
MODELS = ("rnn_sigmoid", "rnn_tanh", "rnn_tanh_orth", "lstm_bf0", "lstm_bf1", "lstm_bf3",
          "gru_bz2")


@dataclass(frozen=True)
class Readout:
    """The readout on the last state: weights w (n,) and bias b (a 0-d array)."""

    w: np.ndarray
    b: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "w", as_array(self.w, "w", (None,)))
        object.__setattr__(self, "b", as_array(self.b, "b", ()))


@dataclass(frozen=True)
class Model:
    """A recurrent core (RNNParams, LSTMParams or GRUParams) and its readout."""

    core: _rnn.RNNParams | _lstm.LSTMParams | _gru.GRUParams
    readout: Readout

    def __post_init__(self):
        if not isinstance(self.core, (_rnn.RNNParams, _lstm.LSTMParams, _gru.GRUParams)):
            raise ValueError(f"core must be RNNParams, LSTMParams or GRUParams, "
                             f"got {type(self.core).__name__}")
        if not isinstance(self.readout, Readout):
            raise ValueError(f"readout must be a Readout, got {type(self.readout).__name__}")
        if self.readout.w.shape != (self.core.n,):
            raise ValueError(f"readout.w must have shape ({self.core.n},) to match the core, "
                             f"got {self.readout.w.shape}")

    @property
    def is_lstm(self) -> bool:
        return isinstance(self.core, _lstm.LSTMParams)

    @property
    def is_gru(self) -> bool:
        return isinstance(self.core, _gru.GRUParams)


def init_model(model: str | ModelSpec, n: int, m: int, *, rng: np.random.Generator) -> Model:
    """Random initial parameters: the core from ``rnn.init`` / ``lstm.init`` / ``gru.init``,
    w ~ N(0, 1/n), b = 0."""
    spec = model if isinstance(model, ModelSpec) else model_spec(model)
    n = as_positive_int(n, "n")
    m = as_positive_int(m, "m")
    rng = as_rng(rng)
    if spec.kind == "rnn":
        core = _rnn.init(n, m, rng=rng, scale=spec.rnn_scale, activation=spec.activation,
                         recurrent=spec.recurrent)
    elif spec.kind == "gru":
        core = _gru.init(n, m, rng=rng, update_bias=spec.update_bias)
    else:
        core = _lstm.init(n, m, rng=rng, forget_bias=spec.forget_bias)
    return Model(core, Readout(rng.standard_normal(n) / np.sqrt(n), np.array(0.0)))


def array_fields(obj) -> list[str]:
    """Names of the trainable arrays of a parameter dataclass: its init=True fields holding arrays
    (so RNNParams.activation is left out)."""
    return [f.name for f in dataclasses.fields(obj)
            if f.init and isinstance(getattr(obj, f.name), np.ndarray)]


def _parts(model: Model):
    return [(model.core, name) for name in array_fields(model.core)] + \
           [(model.readout, name) for name in array_fields(model.readout)]


def flatten(model: Model) -> np.ndarray:
    """All trainable parameters in one vector θ (core fields in declaration order, then w, b)."""
    if not isinstance(model, Model):
        raise ValueError(f"model must be a Model, got {type(model).__name__}")
    return np.concatenate([np.ravel(getattr(obj, name)) for obj, name in _parts(model)])


def unflatten(template: Model, theta) -> Model:
    """The Model with the structure of ``template`` and the values of the vector ``theta``."""
    if not isinstance(template, Model):
        raise ValueError(f"template must be a Model, got {type(template).__name__}")
    size = sum(getattr(obj, name).size for obj, name in _parts(template))
    theta = as_array(theta, "theta", (size,))
    new, k = {}, 0
    for obj, name in _parts(template):
        shape = getattr(obj, name).shape
        size = int(np.prod(shape))
        new.setdefault(id(obj), {})[name] = theta[k:k + size].reshape(shape)
        k += size
    core = dataclasses.replace(template.core, **new[id(template.core)])
    return Model(core, Readout(**new[id(template.readout)]))


# --------------------------------------------------------------------------- loss and gradient


def _check_task(task: str) -> str:
    if task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {task!r}")
    return task


def _forward(model: Model, xs, *, fast: bool = True):
    """The core's trace, the last state s (B, n) and the readout's value w·s + b (B,).

    The LSTM runs on ``_fast_lstm`` (the same numbers as ``lstm.forward``, faster; it is what
    makes the chapter 9 sweep affordable) unless ``fast=False``, which gives an LSTMTrace. The
    GRU runs on the readable ``gru.forward``.
    """
    if model.is_lstm:
        trace = (_fast_lstm if fast else _lstm).forward(model.core, xs)
        last = trace.h[-1]
    elif model.is_gru:
        trace = _gru.forward(model.core, xs)
        last = trace.h[-1]
    else:
        trace = _rnn.forward(model.core, xs)
        last = trace.c[-1]
    return trace, last, last @ model.readout.w + model.readout.b


def _per_example(task: str, out: np.ndarray, ys: np.ndarray):
    """Per-sequence losses ℓ_b, their derivatives dℓ_b/d(out_b), and correctness."""
    if task == "adding":
        err = out - ys
        return err * err, 2.0 * err, np.abs(err) < _tasks.ADDING_TOLERANCE
    # first bit: out is the logit s; ℓ = log(1 + e^s) - y s, stable for every s
    return np.logaddexp(0.0, out) - ys * out, sigmoid(out) - ys, (out > 0) == (ys > 0.5)


def _check_batch(model: Model, xs, ys):
    xs = as_sequence(xs, "xs", model.core.m)
    if xs.ndim != 3:
        raise ValueError(f"xs must be a batch of shape (T, B, m), got {xs.shape}")
    ys = as_array(ys, "ys", (xs.shape[1],))
    return xs, ys


@dataclass(frozen=True)
class LossGrad:
    """The batch loss L, the fraction of correct outputs, and ∂L/∂θ in the layout of ``flatten``."""

    loss: float
    accuracy: float
    grad: np.ndarray


def loss_value(model: Model, xs, ys, task: str) -> float:
    """L = mean_b ℓ_b for a batch, without the gradient (used by the finite-difference tests)."""
    _check_task(task)
    xs, ys = _check_batch(model, xs, ys)
    _, _, out = _forward(model, xs)
    return float(np.mean(_per_example(task, out, ys)[0]))


def loss_and_gradient(model: Model, xs, ys, task: str) -> LossGrad:
    """L, accuracy and the exact ∂L/∂θ: readout by hand, the core by full BPTT.

    With g_b = (1/B) dℓ_b/dŷ_b: ∂L/∂w = Σ_b g_b s_b, ∂L/∂b = Σ_b g_b, and the core gets the direct
    state gradient ∂⁺L/∂s_{T-1} = g wᵀ at the last step (zeros before) through
    ``rnn.backward`` (dL_dc), the LSTM's backward (dL_dh; ``_fast_lstm.backward``, equal to
    ``lstm.backward``) or ``gru.backward`` (dL_dh), which sum over the batch.
    """
    _check_task(task)
    xs, ys = _check_batch(model, xs, ys)
    trace, last, out = _forward(model, xs)
    losses, dout, correct = _per_example(task, out, ys)
    g = dout / xs.shape[1]
    d_state = np.zeros((xs.shape[0],) + last.shape)
    d_state[-1] = g[:, None] * model.readout.w
    if model.is_lstm:
        core_g = _fast_lstm.backward(model.core, trace, d_state)
    elif model.is_gru:
        core_g = _gru.backward(model.core, trace, d_state)
    else:
        core_g = _rnn.backward(model.core, trace, d_state)
    parts = [np.ravel(getattr(core_g, name)) for name in array_fields(model.core)]
    parts += [g @ last, np.array([g.sum()])]
    return LossGrad(float(losses.mean()), float(correct.mean()), np.concatenate(parts))


def state_gradient_norms(model: Model, xs, ys, task: str) -> np.ndarray:
    """mean_b ‖∂ℓ_b/∂c_t‖₂ for t = 0 … T-1: how much gradient reaches each step (chapter 9).

    ℓ_b is sequence b's own loss. For the RNN c_t is its state; for the LSTM the cell state, with
    h_t = o_t ⊙ tanh(c_t) moving along (the total derivative of chapter 6); for the GRU its only
    state, h_t (the GRU chapter). Computed per
    sequence from the step Jacobians (``gradients.step_jacobians`` and ``jacobian_products``):
    ∂ℓ/∂state_t = ∂ℓ/∂state_{T-1} · ∂state_{T-1}/∂state_t. Shape (T,). Use a handful of
    sequences: the cost is one product of d × d matrices per step and sequence.
    """
    _check_task(task)
    xs, ys = _check_batch(model, xs, ys)
    T, n = xs.shape[0], model.core.n
    total = np.zeros(T)
    for b in range(xs.shape[1]):
        trace, _, out = _forward(model, xs[:, b:b + 1], fast=False)
        dout = _per_example(task, out, ys[b:b + 1])[1][0]
        one = dataclasses.replace(trace, **{f.name: _unbatch(getattr(trace, f.name))
                                            for f in dataclasses.fields(trace)})
        P = _gradients.jacobian_products(_gradients.step_jacobians(model.core, one))  # lag k
        with np.errstate(over="ignore", invalid="ignore"):
            if model.is_lstm:
                g_state = np.concatenate([dout * model.readout.w, np.zeros(n)])        # [h; c]
                g = g_state @ P                                                       # (T, 2n)
                s = (one.o * (1.0 - one.tanh_c ** 2))[::-1]                           # ∂h_j/∂c_j
                g = g[:, :n] * s + g[:, n:]
            else:
                g = (dout * model.readout.w) @ P
            total += np.linalg.norm(g, axis=1)[::-1]                                  # lag → t
    return total / xs.shape[1]


def readout_trajectory(model: Model, xs) -> np.ndarray:
    """The readout applied to every state, w · s_t + b for t = 0 … T-1: shape (T, B).

    s_t is c_t (RNN) or h_t (LSTM, GRU). Only the last step is the model's answer; the earlier
    values show when, during the sequence, the state starts to carry it (chapter 9).
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a Model, got {type(model).__name__}")
    xs = as_sequence(xs, "xs", model.core.m)
    if xs.ndim != 3:
        raise ValueError(f"xs must be a batch of shape (T, B, m), got {xs.shape}")
    if model.is_lstm:
        states = _lstm.forward(model.core, xs).h
    elif model.is_gru:
        states = _gru.forward(model.core, xs).h
    else:
        states = _rnn.forward(model.core, xs).c
    return states @ model.readout.w + model.readout.b


def _unbatch(a: np.ndarray) -> np.ndarray:
    """Drop the batch axis of size 1 from a trace field: (T, 1, d) → (T, d), (1, d) → (d,)."""
    return a[:, 0] if a.ndim == 3 else a[0]


# --------------------------------------------------------------------------- Adam


@dataclass(frozen=True)
class AdamState:
    """Adam's moving averages of the gradient (m) and of its square (v), and the step count t."""

    m: np.ndarray
    v: np.ndarray
    t: int = 0


def adam_init(size: int) -> AdamState:
    """Zero moments for a parameter vector of ``size`` entries."""
    size = as_positive_int(size, "size")
    return AdamState(np.zeros(size), np.zeros(size), 0)


def adam_step(theta, grad, state: AdamState, *, lr: float = 1e-2, beta1: float = 0.9,
              beta2: float = 0.999, eps: float = 1e-8) -> tuple[np.ndarray, AdamState]:
    """One Adam update (Kingma & Ba 2015, Algorithm 1):

        m ← β₁ m + (1-β₁) g,   v ← β₂ v + (1-β₂) g²,   θ ← θ - lr · m̂ / (√v̂ + ε)

    with the bias corrections m̂ = m / (1-β₁ᵗ), v̂ = v / (1-β₂ᵗ). Returns (θ_new, state_new).
    """
    if not isinstance(state, AdamState):
        raise ValueError(f"state must be an AdamState (from adam_init), got {type(state).__name__}")
    theta = as_array(theta, "theta", state.m.shape)
    grad = as_array(grad, "grad", state.m.shape)
    lr = as_real(lr, "lr", low=0.0)
    beta1 = as_real(beta1, "beta1", 0.0, 1.0)
    beta2 = as_real(beta2, "beta2", 0.0, 1.0)
    eps = as_real(eps, "eps", low=0.0)
    t = state.t + 1
    m = beta1 * state.m + (1.0 - beta1) * grad
    v = beta2 * state.v + (1.0 - beta2) * grad * grad
    m_hat = m / (1.0 - beta1 ** t)
    v_hat = v / (1.0 - beta2 ** t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(m, v, t)


# --------------------------------------------------------------------------- training loop


@dataclass(frozen=True)
class _RunRecord:
    """The fields ``History`` and ``experiment.RunCurves`` share: which run (task, model, lag,
    seed), its curves (per step in a History, block means in RunCurves) and its test accuracy."""

    task: str
    model: str
    lag: int
    seed: int
    loss: np.ndarray
    accuracy: np.ndarray
    grad_norm: np.ndarray
    eval_steps: np.ndarray
    eval_accuracy: np.ndarray
    probe_steps: np.ndarray
    state_grad: np.ndarray
    final_accuracy: float


@dataclass(frozen=True)
class History(_RunRecord):
    """What one training run did.

    Per step (length ``steps``): the batch loss, the batch accuracy (measured before the update)
    and the global gradient norm ‖∂L/∂θ‖₂ before clipping. Every ``eval_every`` steps: the
    accuracy on a fixed validation set (``eval_steps``, ``eval_accuracy``). At ``probe_steps``
    (and once more after the last update): mean_b ‖∂ℓ_b/∂c_t‖ for every t (``state_grad``,
    shape (len(probe_steps), T)). ``final_accuracy`` is measured on fresh test sequences;
    ``solved`` means final_accuracy >= ``threshold``.
    """

    threshold: float
    wall_seconds: float
    params: Model = dataclasses.field(repr=False)

    @property
    def steps(self) -> int:
        return int(self.loss.shape[0])

    @property
    def solved(self) -> bool:
        return bool(self.final_accuracy >= self.threshold)


def train(task: str, model: str | ModelSpec, lag: int, *, seed: int = 0, steps: int = 2000,
          batch: int = 64, hidden: int = 16, lr: float = 1e-2, clip: float | None = 1.0,
          threshold: float = 0.95, stop_when_solved: bool = True, eval_every: int = 25,
          eval_size: int = 512, test_size: int = 2048, probe_steps=(0,), probe_size: int = 8,
          noise: float = 1.0) -> History:
    """Train ``model`` on ``task`` at ``lag`` with mini-batch Adam and full BPTT; seeded.

    Every step draws a fresh batch (online learning, as in Hochreiter & Schmidhuber 1997), computes
    L and ∂L/∂θ (:func:`loss_and_gradient`), rescales the gradient to global norm ``clip`` when
    it is larger (``clip=None``: no clipping) and takes one Adam step. With ``stop_when_solved``
    the run stops once two evaluations in a row (``eval_every`` steps apart) reach ``threshold``
    on the validation set; ``solved`` is then decided on separate test sequences.
    The seed fixes the initialization, the data stream, the validation and the test set; the
    data stream does not depend on the model, so models trained with one seed see the same
    sequences. ``noise`` is the first-bit task's noise level (see ``tasks.first_bit``).
    """
    _check_task(task)
    spec = model if isinstance(model, ModelSpec) else model_spec(model)
    lag = as_positive_int(lag, "lag")
    _tasks.sequence_length(task, lag)
    seed = as_positive_int(seed, "seed", minimum=0)
    steps = as_positive_int(steps, "steps")
    batch = as_positive_int(batch, "batch")
    hidden = as_positive_int(hidden, "hidden")
    threshold = as_real(threshold, "threshold", 0.0, 1.0)
    eval_every = as_positive_int(eval_every, "eval_every")
    eval_size = as_positive_int(eval_size, "eval_size")
    test_size = as_positive_int(test_size, "test_size")
    probe_size = as_positive_int(probe_size, "probe_size")
    probe_steps = sorted({as_positive_int(s, "probe_steps", minimum=0) for s in probe_steps})
    if clip is not None:
        clip = as_real(clip, "clip")
        if clip <= 0:
            raise ValueError(f"clip must be > 0 (or None for no clipping), got {clip}")
    lr = as_real(lr, "lr", low=0.0)

    init_ss, data_ss, eval_ss, test_ss = np.random.SeedSequence(seed).spawn(4)
    data_rng = np.random.default_rng(data_ss)
    m = 2 if task == "adding" else 1

    def batch_of(size, rng):
        return _tasks.make_batch(task, lag, size, rng=rng, noise=noise)

    val_xs, val_ys = batch_of(eval_size, np.random.default_rng(eval_ss))
    mdl = init_model(spec, hidden, m, rng=np.random.default_rng(init_ss))
    theta = flatten(mdl)
    opt = adam_init(theta.size)
    losses, accs, norms, ev_steps, ev_accs, pr_steps, pr_vals = [], [], [], [], [], [], []
    start = time.perf_counter()
    for step in range(steps):
        xs, ys = batch_of(batch, data_rng)
        if step in probe_steps:
            pr_steps.append(step)
            pr_vals.append(state_gradient_norms(mdl, xs[:, :probe_size], ys[:probe_size], task))
        lg = loss_and_gradient(mdl, xs, ys, task)
        g = lg.grad
        norm = float(np.linalg.norm(g))
        losses.append(lg.loss)
        accs.append(lg.accuracy)
        norms.append(norm)
        if clip is not None:
            g = clip_by_norm(g, clip)
        theta, opt = adam_step(theta, g, opt, lr=lr)
        mdl = unflatten(mdl, theta)
        if (step + 1) % eval_every == 0 or step + 1 == steps:
            ev_steps.append(step + 1)
            ev_accs.append(_accuracy(mdl, val_xs, val_ys, task))
            if stop_when_solved and len(ev_accs) >= 2 and min(ev_accs[-2:]) >= threshold:
                break
    xs, ys = batch_of(batch, data_rng)
    pr_steps.append(len(losses))
    pr_vals.append(state_gradient_norms(mdl, xs[:, :probe_size], ys[:probe_size], task))
    test_xs, test_ys = batch_of(test_size, np.random.default_rng(test_ss))
    final = _accuracy(mdl, test_xs, test_ys, task)
    return History(
        task=task, model=spec.name, lag=lag, seed=seed, loss=np.array(losses),
        accuracy=np.array(accs), grad_norm=np.array(norms), eval_steps=np.array(ev_steps, dtype=int),
        eval_accuracy=np.array(ev_accs), probe_steps=np.array(pr_steps, dtype=int),
        state_grad=np.array(pr_vals), final_accuracy=final, threshold=threshold,
        wall_seconds=time.perf_counter() - start, params=mdl,
    )


#: Sequences per forward pass when measuring accuracy: NumPy's cost per time step grows faster
#: than the batch beyond a few hundred sequences, so large sets are evaluated in chunks.
_EVAL_CHUNK = 256


def _accuracy(model: Model, xs, ys, task: str) -> float:
    correct = 0
    for k in range(0, xs.shape[1], _EVAL_CHUNK):
        _, _, out = _forward(model, xs[:, k:k + _EVAL_CHUNK])
        correct += int(np.sum(_per_example(task, out, ys[k:k + _EVAL_CHUNK])[2]))
    return correct / xs.shape[1]
