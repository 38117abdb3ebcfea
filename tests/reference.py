"""Shared helpers for the rnngrad test suite (imported as ``from reference import ...``).

* ``fd_jacobian``: the one central-finite-difference routine every gradient test uses.
* ``rel_err``: ||a - b|| / max(||a|| + ||b||, tiny).
* ``random_rnn`` / ``random_lstm`` / ``random_gru``: random parameters, inputs and initial states
  (also available as the fixtures ``make_rnn`` / ``make_lstm``, bound to the ``rng`` fixture).
* ``ref_rnn_forward`` / ``ref_lstm_forward``: tiny reference forward passes written from the
  equations in the docstrings, independent of the package, that accept *per-time-step*
  parameters (used to isolate the contribution of one time step, or of one gate);
  ``ref_gru_step`` / ``ref_gru_forward`` likewise for the GRU (one step takes a separate
  h_{t-1} for each place it enters, to isolate one path of the step Jacobian).
* ``every_step_loss``: chapter 3's E = Σ_t ½‖c_t − y_t‖², written from its equation.
* ``lag_jacobians``: the matrices ∂c_{T-1}/∂c_{T-1-k} behind ``gradients.gradient_norm_vs_lag``.

Tests import these plain functions with ``from reference import ...``: pytest puts tests/ on
sys.path (rootdir conftest, prepend import mode). The fixtures live in conftest.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import HealthCheck, settings

from rnngrad import gradients, gru, lstm, rnn

FD_STEP = 1e-6
#: Contract: every gradient/Jacobian agrees with central differences to this relative error.
FD_RTOL = 1e-6
TINY = 1e-300

#: Hypothesis settings shared by every property test: fast, no deadline, nothing on disk, and
#: the same examples on every run (derandomize), so a CI run does not depend on the draw.
HYP = settings(max_examples=30, deadline=None, database=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow])

ACTIVATIONS = ("sigmoid", "tanh")
GATES = ("f", "i", "c", "o")
#: Recurrent scale per activation that keeps gradients O(1) over a few steps, so the
#: finite differences are accurate (sigmoid' <= 1/4 needs a larger W_rec than tanh).
RNN_SCALE = {"sigmoid": 3.0, "tanh": 1.2}

#: (n, m, T) combinations, including n = 1, m = 1 and T = 1.
SIZES = [(1, 1, 1), (1, 2, 4), (3, 1, 3), (4, 3, 5)]
#: Batch sizes: None = unbatched xs of shape (T, m); an int B = xs of shape (T, B, m).
BATCHES = [None, 3]


# --------------------------------------------------------------------------- numerics


def fd_jacobian(f, x, h: float = FD_STEP) -> np.ndarray:
    """Central-difference Jacobian of ``f`` at ``x``: shape f(x).shape + x.shape.

    ``f`` maps an array shaped like ``x`` to an array (or a scalar); for a scalar ``f`` the
    result is the gradient, shaped like ``x``. ``f`` always gets a fresh float64 copy.
    """
    x = np.array(x, dtype=np.float64)
    out_shape = np.shape(f(x.copy()))
    J = np.empty(out_shape + x.shape)
    for idx in np.ndindex(*x.shape):
        xp = x.copy()
        xm = x.copy()
        xp[idx] += h
        xm[idx] -= h
        J[(Ellipsis,) + idx] = (np.asarray(f(xp), dtype=np.float64)
                                - np.asarray(f(xm), dtype=np.float64)) / (2.0 * h)
    return J


def fd_jacobian_per_example(f, x, batched: bool) -> np.ndarray:
    """FD Jacobian of a state map f: x -> y; for a batch x (B, d) -> y (B, e), check that
    sequences do not interact (off-diagonal blocks exactly 0) and return the (B, e, d) stack
    of diagonal blocks; unbatched, the plain (e, d) Jacobian."""
    J = fd_jacobian(f, x)
    if not batched:
        return J
    B = x.shape[0]
    for b1 in range(B):
        for b2 in range(B):
            if b1 != b2:
                assert not J[b1, :, b2, :].any(), "sequences in a batch interact"
    return np.stack([J[b, :, b, :] for b in range(B)])


def rel_err(a, b) -> float:
    """||a - b|| / max(||a|| + ||b||, tiny) (Frobenius over all entries); shapes must agree."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"shape mismatch {a.shape} vs {b.shape}"
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), TINY))


def assert_close_fd(analytic, numeric, what: str = "", rtol: float = FD_RTOL) -> None:
    err = rel_err(analytic, numeric)
    assert err < rtol, f"{what}: relative error {err:.3e} >= {rtol:g}"


def every_step_loss(trace, ys) -> float:
    """E = Σ_t ½‖c_t − y_t‖² of a trace's states c (chapter 3's loss at every step)."""
    return 0.5 * float(np.sum((trace.c - np.asarray(ys)) ** 2))


def lag_jacobians(params, trace, path: str = "full") -> np.ndarray:
    """∂c_{T-1}/∂c_{T-1-k} for every lag k = 0 … T-1, shape (T, n, n): the matrices whose norms
    ``gradients.gradient_norm_vs_lag`` returns (from its scaled recursion, rescaled)."""
    return gradients._rescale(*gradients._lag_jacobians_scaled(params, trace, path))


def replace(params, **fields):
    """A copy of a (frozen, validated) parameter dataclass with some fields replaced."""
    return dataclasses.replace(params, **fields)


def spectral(M) -> float:
    return float(np.linalg.norm(M, 2))


# --------------------------------------------------------------------------- random cases


def xs_shape(T: int, B: int | None, m: int) -> tuple:
    return (T, m) if B is None else (T, B, m)


def state_shape(B: int | None, n: int) -> tuple:
    return (n,) if B is None else (B, n)


def random_rnn_params(rng, n, m, activation="sigmoid", scale=None, bias_scale=0.5):
    """RNN parameters with ||W_rec||_2 = scale and a non-zero random bias."""
    scale = RNN_SCALE[activation] if scale is None else scale
    p = rnn.init(n, m, rng=rng, scale=scale, activation=activation)
    return replace(p, b=bias_scale * rng.standard_normal(n))


def random_rnn(rng, n, m, T, B=None, activation="sigmoid", scale=None):
    """(params, xs, c0) for a random RNN problem."""
    params = random_rnn_params(rng, n, m, activation, scale)
    xs = rng.standard_normal(xs_shape(T, B, m))
    c0 = 0.5 * rng.standard_normal(state_shape(B, n))
    return params, xs, c0


def random_lstm_params(rng, n, m, weight_scale=1.5, bias_scale=0.5):
    """LSTM parameters with random (non-zero) weights and biases in every gate."""
    p = lstm.init(n, m, rng=rng, weight_scale=weight_scale)
    return replace(p, **{f"b_{g}": bias_scale * rng.standard_normal(n) for g in GATES})


def random_lstm(rng, n, m, T, B=None, weight_scale=1.5):
    """(params, xs, h0, c0) for a random LSTM problem."""
    params = random_lstm_params(rng, n, m, weight_scale)
    xs = rng.standard_normal(xs_shape(T, B, m))
    h0 = 0.5 * rng.uniform(-1.0, 1.0, state_shape(B, n))
    c0 = rng.standard_normal(state_shape(B, n))
    return params, xs, h0, c0


def random_gru_params(rng, n, m, weight_scale=1.5, bias_scale=0.5):
    """GRU parameters with random (non-zero) weights and all four biases random."""
    p = gru.init(n, m, rng=rng, weight_scale=weight_scale)
    return replace(p, **{f"b_{k}": bias_scale * rng.standard_normal(n)
                         for k in ("z", "r", "n", "hn")})


def random_gru(rng, n, m, T, B=None, weight_scale=1.5):
    """(params, xs, h0) for a random GRU problem."""
    params = random_gru_params(rng, n, m, weight_scale)
    xs = rng.standard_normal(xs_shape(T, B, m))
    h0 = 0.5 * rng.uniform(-1.0, 1.0, state_shape(B, n))
    return params, xs, h0


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


_REF_ACT = {"sigmoid": _sig, "tanh": np.tanh}


def ref_rnn_forward(at, xs, c0, activation):
    """c_t = act(W_rec(t) c_{t-1} + W_in(t) x_t + b(t)); ``at(t)`` returns (W_rec, W_in, b).

    Written directly from rnn.py's docstring; works for xs (T, m) or (T, B, m).
    """
    act = _REF_ACT[activation]
    c = np.asarray(c0, dtype=np.float64)
    out = []
    for t in range(xs.shape[0]):
        W_rec, W_in, b = at(t)
        c = act(np.einsum("ij,...j->...i", W_rec, c) + np.einsum("ij,...j->...i", W_in, xs[t]) + b)
        out.append(c)
    return np.stack(out)


def rnn_at(params, t_special=None, **override):
    """An ``at(t)`` for ref_rnn_forward: params' weights, with ``override`` used only at step
    ``t_special`` (or at every step when t_special is None)."""
    base = {"W_rec": params.W_rec, "W_in": params.W_in, "b": params.b}

    def at(t):
        d = dict(base)
        if t_special is None or t == t_special:
            d.update(override)
        return d["W_rec"], d["W_in"], d["b"]

    return at


def ref_lstm_step(W, b, h_by_gate, x, c_prev):
    """One LSTM step written from lstm.py's docstring, gate by gate.

    ``W[g]`` is n × (n+m) with columns [h | x]; ``h_by_gate[g]`` is the h_{t-1} fed to gate g
    (normally the same array for all four; tests feed different ones to isolate one path).
    Returns (h_t, c_t, gates dict).
    """
    n = c_prev.shape[-1]
    z = {g: np.einsum("ij,...j->...i", W[g][:, :n], h_by_gate[g])
         + np.einsum("ij,...j->...i", W[g][:, n:], x) + b[g] for g in GATES}
    gates = {"f": _sig(z["f"]), "i": _sig(z["i"]), "c": np.tanh(z["c"]), "o": _sig(z["o"])}
    c = gates["f"] * c_prev + gates["i"] * gates["c"]
    h = gates["o"] * np.tanh(c)
    return h, c, gates


def lstm_weights(params):
    """(W, b) dicts keyed by gate, for ref_lstm_step."""
    return ({g: getattr(params, f"W_{g}") for g in GATES},
            {g: getattr(params, f"b_{g}") for g in GATES})


def ref_lstm_forward(at, xs, h0, c0):
    """Reference LSTM over a sequence; ``at(t)`` returns the (W, b) dicts used at step t."""
    h, c = np.asarray(h0, float), np.asarray(c0, float)
    hs, cs = [], []
    for t in range(xs.shape[0]):
        W, b = at(t)
        h, c, _ = ref_lstm_step(W, b, {g: h for g in GATES}, xs[t], c)
        hs.append(h)
        cs.append(c)
    return np.stack(hs), np.stack(cs)


GRU_PATHS = ("keep", "z", "r", "n")


def ref_gru_step(params, h_by_path, x):
    """One GRU step written from gru.py's docstring (PyTorch's convention), map by map.

    ``h_by_path`` gives the h_{t-1} used in each place it enters: 'z' (update gate), 'r'
    (reset gate), 'n' (the candidate's product U_n h_{t-1}) and 'keep' (z_t ⊙ h_{t-1}); tests
    feed different ones to isolate one path. ``params`` is a GRUParams or a dict with its
    fields. Works for x of shape (m,) or (B, m). Returns (h_t, {"z", "r", "h_tilde"}).
    """
    P = params if isinstance(params, dict) else dataclasses.asdict(params)
    n = P["b_z"].shape[0]

    def affine(W, h, xx):
        return np.einsum("ij,...j->...i", W[:, :n], h) + np.einsum("ij,...j->...i", W[:, n:], xx)

    z = _sig(affine(P["W_z"], h_by_path["z"], x) + P["b_z"])
    r = _sig(affine(P["W_r"], h_by_path["r"], x) + P["b_r"])
    rec = np.einsum("ij,...j->...i", P["W_n"][:, :n], h_by_path["n"]) + P["b_hn"]
    h_tilde = np.tanh(np.einsum("ij,...j->...i", P["W_n"][:, n:], x) + P["b_n"] + r * rec)
    h = (1.0 - z) * h_tilde + z * h_by_path["keep"]
    return h, {"z": z, "r": r, "h_tilde": h_tilde}


def ref_gru_forward(at, xs, h0):
    """Reference GRU over a sequence; ``at(t)`` returns the parameters (GRUParams or dict)
    used at step t."""
    h = np.asarray(h0, float)
    hs = []
    for t in range(xs.shape[0]):
        h, _ = ref_gru_step(at(t), {k: h for k in GRU_PATHS}, xs[t])
        hs.append(h)
    return np.stack(hs)


def legend_texts(ax) -> list[str]:
    """The texts of an Axes' legend ([] when it has none)."""
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg else []



def assert_every_control_changes_the_picture(view, values_of=None):
    """Move every control of an explorer's live view over ``values_of(control)`` (default:
    its ends, or every option), the others at their defaults, and require that each move
    gives a PNG and that each control changes the picture at least once. A callback that
    raises fails here too (traitlets passes the exception on to the assignment)."""
    controls, picture = view.children[0].children, view.children[1]
    for c in controls:
        default = c.value
        values = values_of(c) if values_of else ([c.min, c.max] if hasattr(c, "min")
                                                  else [o[1] if isinstance(o, tuple) else o
                                                        for o in c.options])
        seen = {bytes(picture.value)}
        for v in values:
            c.value = v
            assert bytes(picture.value).startswith(b"\x89PNG"), (c.description, v)
            seen.add(bytes(picture.value))
        assert len(seen) > 1, f"{c.description}: the picture never changed over {values}"
        c.value = default


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (for the test servers)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
