"""A deep feed-forward network and its backpropagation, layer by layer (chapter 1).

    a_0 = x,   z_l = W_l a_{l-1} + b_l,   a_l = act(z_l),   l = 1, …, L

``act`` is the sigmoid or tanh, the same in every layer. Layer l has n_l units: W_l is
(n_l, n_{l-1}), b_l is (n_l,), and n_0 is the input dimension. ``x`` is (n_0,) for one
example or (B, n_0) for a batch; every a_l is then (n_l,) or (B, n_l).

Backpropagation of a scalar loss E (the notation page's name; the argument names keep the
package's ``dL_…`` prefix), with δ_l = ∂E/∂z_l and g_l = ∂E/∂a_l:

    δ_l = act'(z_l) ⊙ g_l,     g_{l-1} = W_lᵀ δ_l,     ∂E/∂W_l = δ_l a_{l-1}ᵀ,     ∂E/∂b_l = δ_l

so g_l = (∂a_L/∂a_l)ᵀ g_L with the layer Jacobians ∂a_l/∂a_{l-1} = diag(act'(z_l)) W_l, and

    ‖g_l‖ ≤ Π_{k=l+1}^{L} γ ‖W_k‖₂ · ‖g_L‖,     γ = sup act' (1/4 for σ, 1 for tanh).

This is the depth version of the argument the later chapters make for time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array, as_positive_int, as_real, as_rng
from ._linalg import frobenius_norms, vector_norms
from .activations import GAMMA, check_activation, derivative, sigmoid

__all__ = ["DeepNetParams", "DeepNetTrace", "DeepNetGrads", "LayerGradientNorms", "init",
           "forward", "backward", "layer_jacobian", "per_layer_norms", "layer_gradient_norms"]


# --------------------------------------------------------------------------- data classes


@dataclass(frozen=True, eq=False)
class DeepNetParams:
    """Parameters of an L-layer network: ``weights[l-1]`` = W_l (n_l, n_{l-1}),
    ``biases[l-1]`` = b_l (n_l,), for l = 1 … L, and the activation name."""

    weights: tuple
    biases: tuple
    activation: str = "sigmoid"

    def __post_init__(self):
        if not isinstance(self.weights, (tuple, list)) or len(self.weights) == 0:
            raise ValueError("weights must be a non-empty tuple of matrices W_1 … W_L")
        if not isinstance(self.biases, (tuple, list)):
            raise ValueError("biases must be a tuple of vectors b_1 … b_L")
        if len(self.biases) != len(self.weights):
            raise ValueError(
                f"biases must have one vector per layer: {len(self.weights)} weight matrices "
                f"but {len(self.biases)} biases"
            )
        Ws, bs = [], []
        for l, (W, b) in enumerate(zip(self.weights, self.biases), start=1):
            W = as_array(W, f"weights[{l - 1}] (W_{l})", (None, None))
            if 0 in W.shape:
                raise ValueError(f"weights[{l - 1}] (W_{l}) must not be empty, got shape {W.shape}")
            if Ws and W.shape[1] != Ws[-1].shape[0]:
                raise ValueError(
                    f"weights[{l - 1}] (W_{l}) must have {Ws[-1].shape[0]} columns to follow "
                    f"W_{l - 1} of shape {Ws[-1].shape}, got shape {W.shape}"
                )
            Ws.append(W)
            bs.append(as_array(b, f"biases[{l - 1}] (b_{l})", (W.shape[0],)))
        object.__setattr__(self, "weights", tuple(Ws))
        object.__setattr__(self, "biases", tuple(bs))
        check_activation(self.activation)

    @property
    def depth(self) -> int:
        """Number of layers L (weight matrices)."""
        return len(self.weights)

    @property
    def widths(self) -> tuple[int, ...]:
        """(n_0, n_1, …, n_L): input dimension, then the width of every layer."""
        return (self.weights[0].shape[1],) + tuple(W.shape[0] for W in self.weights)

    @property
    def input_dim(self) -> int:
        return self.weights[0].shape[1]

    @property
    def output_dim(self) -> int:
        return self.weights[-1].shape[0]


@dataclass(frozen=True, eq=False)
class DeepNetTrace:
    """What the forward pass computed: ``a[l]`` = a_l for l = 0 … L (a_0 = x) and
    ``dact[l-1]`` = act'(z_l) for l = 1 … L, each (n_l,) or (B, n_l)."""

    a: tuple
    dact: tuple = field(repr=False)

    @property
    def depth(self) -> int:
        return len(self.dact)

    @property
    def batched(self) -> bool:
        return self.a[0].ndim == 2

    @property
    def output(self) -> np.ndarray:
        return self.a[-1]


@dataclass(frozen=True, eq=False)
class DeepNetGrads:
    """Gradients of a scalar loss E: ``weights[l-1]`` = ∂E/∂W_l, ``biases[l-1]`` = ∂E/∂b_l
    (summed over a batch), and ``a[l]`` = ∂E/∂a_l for l = 0 … L (one row per example)."""

    weights: tuple
    biases: tuple
    a: tuple


@dataclass(frozen=True, eq=False)
class LayerGradientNorms:
    """Per-layer gradient norms of one network on one batch, with the depth bound.

    ``grad_W[l-1]`` = ‖∂E/∂W_l‖_F for l = 1 … L; ``grad_a[l]`` = root mean square over the batch
    of the per-example ‖∂E/∂a_l‖₂ for l = 0 … L; ``bound_a[l]`` = grad_a[L] · Π_{k>l} γ‖W_k‖₂,
    an upper bound on grad_a[l]; ``weight_norms[l-1]`` = ‖W_l‖₂. Entries that overflow
    float64 are inf (or NaN), entries that underflow are 0; they are kept, not clipped.
    """

    grad_W: np.ndarray
    grad_a: np.ndarray
    bound_a: np.ndarray
    weight_norms: np.ndarray
    gamma: float
    label: str

    @property
    def depth(self) -> int:
        return len(self.grad_W)

    @property
    def layers_W(self) -> np.ndarray:
        """Layer indices 1 … L of ``grad_W``."""
        return np.arange(1, self.depth + 1)

    @property
    def layers_a(self) -> np.ndarray:
        """Layer indices 0 … L of ``grad_a`` and ``bound_a``."""
        return np.arange(0, self.depth + 1)

    @property
    def per_layer_factor(self) -> float:
        """(grad_a[0] / grad_a[L])^{1/L}: the geometric-mean factor by which ‖∂E/∂a_l‖ changes
        per layer going back. Below 1 the gradient vanishes with depth, above 1 it explodes."""
        with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
            return float(np.exp((np.log(self.grad_a[0]) - np.log(self.grad_a[-1])) / self.depth))


# --------------------------------------------------------------------------- the network


def init(depth: int, width: int, *, rng: np.random.Generator, weight_scale: float = 1.0,
         activation: str = "sigmoid", input_dim: int | None = None,
         bias_scale: float = 0.0) -> DeepNetParams:
    """Random parameters of an L = ``depth`` layer network, every layer ``width`` units wide.

    W_l has i.i.d. entries N(0, weight_scale² · 2 / (n_{l-1} + n_l)): ``weight_scale = 1`` is
    the Glorot/Xavier normal initialization (Glorot and Bengio, 2010), larger values scale
    every W_l up. b_l ~ N(0, bias_scale²) (zeros by default). ``input_dim`` = n_0 defaults to
    ``width``. W_1 is (width, n_0), W_2 … W_L are (width, width).

    Used in :ref:`ch1-bound` (chapter 1: the weight scale g, with g = 1 the Glorot scale).
    """
    depth = as_positive_int(depth, "depth")
    width = as_positive_int(width, "width")
    input_dim = width if input_dim is None else as_positive_int(input_dim, "input_dim")
    rng = as_rng(rng)
    weight_scale = as_real(weight_scale, "weight_scale", low=0.0)
    bias_scale = as_real(bias_scale, "bias_scale", low=0.0)
    check_activation(activation)
    Ws, bs = [], []
    fan_in = input_dim
    for _ in range(depth):
        std = weight_scale * np.sqrt(2.0 / (fan_in + width))
        Ws.append(rng.standard_normal((width, fan_in)) * std)
        bs.append(rng.standard_normal(width) * bias_scale if bias_scale > 0 else np.zeros(width))
        fan_in = width
    return DeepNetParams(tuple(Ws), tuple(bs), activation)


def _check_params(params) -> None:
    if not isinstance(params, DeepNetParams):
        raise ValueError(f"params must be a DeepNetParams, got {type(params).__name__}")


def forward(params: DeepNetParams, x) -> DeepNetTrace:
    """a_l = act(W_l a_{l-1} + b_l) for l = 1 … L, from a_0 = x of shape (n_0,) or (B, n_0).

    Returns every a_l and act'(z_l) (see ``activations.derivative``). A batch is one matrix
    product per layer: z_l = a_{l-1} W_lᵀ + b_l, shape (B, n_l).

    Derived in :ref:`ch1-backprop` (chapter 1).
    """
    _check_params(params)
    x = as_array(x, "x")
    if x.ndim not in (1, 2):
        raise ValueError(f"x must have shape (n_0,) or (B, n_0), got an array with shape {x.shape}")
    if x.shape[-1] != params.input_dim:
        raise ValueError(
            f"x must have {params.input_dim} features on its last axis to match W_1 "
            f"{params.weights[0].shape}, got shape {x.shape}"
        )
    if x.ndim == 2 and x.shape[0] == 0:
        raise ValueError("x has an empty batch (B = 0)")
    name = params.activation
    act = np.tanh if name == "tanh" else sigmoid
    a, dact = [x], []
    for W, b in zip(params.weights, params.biases):
        z = a[-1] @ W.T + b
        a.append(act(z))
        dact.append(derivative(name, z))
    return DeepNetTrace(a=tuple(a), dact=tuple(dact))


def _check_trace(params: DeepNetParams, trace: DeepNetTrace) -> None:
    _check_params(params)
    if not isinstance(trace, DeepNetTrace):
        raise ValueError(f"trace must be a DeepNetTrace from deepnet.forward, got {type(trace).__name__}")
    widths = tuple(a.shape[-1] for a in trace.a)
    if widths != params.widths:
        raise ValueError(f"trace (widths {widths}) does not match params (widths {params.widths})")


def backward(params: DeepNetParams, trace: DeepNetTrace, dL_da_out) -> DeepNetGrads:
    """Backpropagation through the L layers: every ∂E/∂W_l, ∂E/∂b_l and ∂E/∂a_l.

    ``dL_da_out`` = ∂E/∂a_L, shaped like the output a_L ((n_L,) or (B, n_L)). From l = L down
    to 1: δ_l = act'(z_l) ⊙ ∂E/∂a_l, ∂E/∂W_l = δ_l a_{l-1}ᵀ (n_l, n_{l-1}), ∂E/∂b_l = δ_l,
    ∂E/∂a_{l-1} = W_lᵀ δ_l. For a batch, E is the sum of the per-example losses: the weight and
    bias gradients are summed over the batch, ∂E/∂a_l keeps one row per example.

    Derived in :ref:`ch1-backprop` (chapter 1).
    """
    _check_trace(params, trace)
    g = as_array(dL_da_out, "dL_da_out", trace.output.shape)
    L = params.depth
    gW, gb, ga = [None] * L, [None] * L, [None] * (L + 1)
    ga[L] = g
    for l in range(L, 0, -1):
        delta = trace.dact[l - 1] * g
        a_prev = trace.a[l - 1]
        if trace.batched:
            gW[l - 1] = delta.T @ a_prev
            gb[l - 1] = delta.sum(axis=0)
        else:
            gW[l - 1] = np.outer(delta, a_prev)
            gb[l - 1] = delta
        g = delta @ params.weights[l - 1]
        ga[l - 1] = g
    return DeepNetGrads(weights=tuple(gW), biases=tuple(gb), a=tuple(ga))


def layer_jacobian(params: DeepNetParams, trace: DeepNetTrace, l: int) -> np.ndarray:
    """∂a_l/∂a_{l-1} = diag(act'(z_l)) W_l, shape (n_l, n_{l-1}) or (B, n_l, n_{l-1}); 1 ≤ l ≤ L.

    Its spectral norm is at most γ‖W_l‖₂, since every entry of act'(z_l) lies in (0, γ].

    Derived in :ref:`ch1-backprop` (chapter 1).
    """
    _check_trace(params, trace)
    if isinstance(l, (bool, np.bool_)) or not isinstance(l, (int, np.integer)):
        raise ValueError(f"l must be an integer layer index, got {l!r}")
    if not 1 <= l <= params.depth:
        raise ValueError(f"l must satisfy 1 <= l <= {params.depth} (the depth L), got {l}")
    return trace.dact[l - 1][..., :, None] * params.weights[l - 1]


# --------------------------------------------------------------------------- norms per layer


def _per_array(fn, arrays) -> np.ndarray:
    """``fn`` of a stack, for each array of a sequence: one call per run of equal shapes."""
    out, i = [], 0
    while i < len(arrays):
        j = i + 1
        while j < len(arrays) and arrays[j].shape == arrays[i].shape:
            j += 1
        out.append(fn(np.stack(arrays[i:j])))
        i = j
    return np.concatenate(out)


def _spectral_norms(stack: np.ndarray) -> np.ndarray:
    """‖W‖₂ of each matrix of a stack."""
    return np.linalg.svd(stack, compute_uv=False)[:, 0]


def _rms_of_norms(stack: np.ndarray) -> np.ndarray:
    """For each array of a stack of (n,) or (B, n) arrays: the root mean square over the
    examples of the Euclidean norms of its rows, scaled like ``vector_norms``."""
    rows = vector_norms(stack).reshape(len(stack), -1)
    return vector_norms(rows) / np.sqrt(rows.shape[1])


def per_layer_norms(params: DeepNetParams, trace: DeepNetTrace, grads: DeepNetGrads,
                    label: str = "", *, weight_norms=None) -> LayerGradientNorms:
    """‖∂E/∂W_l‖_F, the batch-RMS of ‖∂E/∂a_l‖₂ and the bound Π_{k>l} γ‖W_k‖₂ · ‖∂E/∂a_L‖.

    The bound holds example by example (‖∂E/∂a_l‖ ≤ Π_{k>l} ‖diag(act'(z_k)) W_k‖₂ ‖∂E/∂a_L‖),
    hence for the RMS too. It is formed in log space, so it overflows to inf, or underflows to
    0, only when the true value is outside float64 range. ``weight_norms`` (shape (L,)) gives
    the ‖W_l‖₂ when they are already known, instead of one SVD per layer.

    Derived in :ref:`ch1-bound` (chapter 1).
    """
    _check_trace(params, trace)
    if not isinstance(grads, DeepNetGrads):
        raise ValueError(f"grads must be a DeepNetGrads from deepnet.backward, got {type(grads).__name__}")
    if tuple(g.shape for g in grads.a) != tuple(a.shape for a in trace.a):
        raise ValueError("grads does not match trace (the shapes of ∂E/∂a_l differ from a_l)")
    gamma = GAMMA[params.activation]
    grad_W = _per_array(frobenius_norms, grads.weights)
    grad_a = _per_array(_rms_of_norms, grads.a)
    if weight_norms is None:
        weight_norms = _per_array(_spectral_norms, params.weights)
    else:
        weight_norms = as_array(weight_norms, "weight_norms", (params.depth,))
    with np.errstate(divide="ignore", over="ignore", under="ignore", invalid="ignore"):
        log_factors = np.log(gamma * weight_norms)
        # log Π_{k=l+1}^{L} γ‖W_k‖ for l = 0 … L (empty product = 1 at l = L)
        tail = np.concatenate([np.cumsum(log_factors[::-1])[::-1], [0.0]])
        bound_a = grad_a[-1] * np.exp(tail)
    bound_a = np.where(np.isnan(bound_a), np.inf, bound_a)
    return LayerGradientNorms(grad_W=grad_W, grad_a=grad_a, bound_a=bound_a,
                              weight_norms=weight_norms, gamma=gamma, label=label)


def layer_gradient_norms(*, depth: int, width: int = 64, activation: str = "sigmoid",
                         weight_scale: float = 1.0, seed: int = 0, batch: int = 16,
                         input_dim: int | None = None) -> LayerGradientNorms:
    """Per-layer gradient norms of a random network at initialization (the chapter 1 explorer).

    Builds ``init(depth, width, weight_scale=…, activation=…)`` with zero biases, a batch of
    ``batch`` standard normal inputs, and an output gradient ∂E/∂a_L that is a random unit
    vector for every example (so ‖∂E/∂a_L‖ = 1 and bound_a[l] = Π_{k>l} γ‖W_k‖₂). Overflow
    and underflow are not warned about: they show up as inf/NaN or 0 in the result, for the
    plot to label. Deterministic given ``seed``.

    Used in :ref:`ch1-numbers` (chapter 1).
    """
    seed = as_positive_int(seed, "seed", minimum=0)
    batch = as_positive_int(batch, "batch")
    rng = np.random.default_rng(seed)
    params = init(depth, width, rng=rng, weight_scale=weight_scale, activation=activation,
                  input_dim=input_dim)
    x = rng.standard_normal((batch, params.input_dim))
    g = rng.standard_normal((batch, params.output_dim))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    # W_l = weight_scale · (the weight_scale = 1 draw), so ‖W_l‖₂ scales with it.
    unit = _unit_weight_norms(params, weight_scale, seed)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        trace = forward(params, x)
        grads = backward(params, trace, g)
        return per_layer_norms(
            params, trace, grads, weight_norms=float(weight_scale) * unit,
            label=f"{activation}, L = {params.depth}, weight scale {float(weight_scale):g}",
        )


_UNIT_WEIGHT_NORMS: dict = {}


def _unit_weight_norms(params: DeepNetParams, weight_scale: float, seed: int) -> np.ndarray:
    """‖W_l‖₂ / weight_scale for the network ``layer_gradient_norms`` draws from seed ``seed``.

    W_l is weight_scale times a draw that does not depend on the scale, and init draws layer
    by layer, so a deeper network starts with the same matrices: one table per (width, input
    size, seed), extended with the new layers only when a deeper network comes. (Chapter 1's
    depth slider then costs an SVD only for layers it has not seen before.)
    """
    depth, scale = params.depth, float(weight_scale)
    if scale == 0.0:
        return np.zeros(depth)                       # every W_l = 0
    key = (params.output_dim, params.input_dim, seed)
    table = _UNIT_WEIGHT_NORMS.get(key, np.empty(0))
    if len(table) < depth:
        new = _per_array(_spectral_norms, params.weights[len(table):]) / scale
        table = _UNIT_WEIGHT_NORMS[key] = np.concatenate([table, new])
    return table[:depth]
