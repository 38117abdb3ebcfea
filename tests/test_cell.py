"""Chapter 5 (rnngrad.cell): parameter counts, the cell-state equations and bounds on traces,
the memory experiment against its closed form, the gate trajectories behind the explorer, and
the explorer's compute + plot functions over the whole slider range with warnings as errors."""

import itertools
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from reference import (HYP, assert_every_control_changes_the_picture, legend_texts,  # noqa: E402
                       lstm_weights, random_lstm, ref_lstm_step, replace)
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rnngrad import cell, lstm, plots, rnn, widgets  # noqa: E402
from rnngrad.activations import sigmoid  # noqa: E402


# --------------------------------------------------------------------------- parameter_count


@pytest.mark.parametrize("n, m", [(1, 1), (3, 2), (16, 5), (128, 64)])
def test_parameter_count_closed_forms(n, m):
    rng = np.random.default_rng(0)
    p_lstm = lstm.init(n, m, rng=rng)
    p_rnn = rnn.init(n, m, rng=rng)
    assert cell.parameter_count(p_lstm) == 4 * n * (n + m + 1)
    assert cell.parameter_count(p_rnn) == n * (n + m + 1)
    # independent count: every distinct array field of the dataclasses, summed by hand
    by_hand = sum(getattr(p_lstm, f"{k}_{g}").size for g in "fico" for k in "Wb")
    assert by_hand == cell.parameter_count(p_lstm)


@pytest.mark.parametrize("bad", [None, 3, np.zeros((2, 3)), "lstm"])
def test_parameter_count_validation(bad):
    with pytest.raises(ValueError, match="params"):
        cell.parameter_count(bad)


# --------------------------------------------------------------------------- cell_invariants


@pytest.mark.parametrize("n, m, T, B", [(1, 1, 1, None), (3, 2, 7, None), (4, 1, 5, 3), (2, 3, 4, 2)])
def test_cell_invariants_hold_on_random_traces(rng, n, m, T, B):
    params, xs, h0, c0 = random_lstm(rng, n, m, T, B)
    tr = lstm.forward(params, xs, h0, c0)
    inv = cell.cell_invariants(params, tr)
    assert inv.holds
    assert set(inv.equation_errors) == {"f", "i", "c_tilde", "o", "c", "h"}
    assert max(inv.equation_errors.values()) < 1e-13
    assert inv.growth_slack >= 0.0 and inv.linear_slack >= 0.0
    assert inv.max_abs_h < 1.0
    assert inv.max_abs_c == pytest.approx(np.abs(tr.c).max())


def test_cell_invariants_agree_with_independent_reference(rng):
    """The trace fields match a step written from the equations (conftest.ref_lstm_step)."""
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 6)
    tr = lstm.forward(params, xs, h0, c0)
    W, b = lstm_weights(params)
    h, c = h0, c0
    for t in range(tr.T):
        h, c, g = ref_lstm_step(W, b, {k: h for k in "fico"}, xs[t], c)
        np.testing.assert_allclose(tr.c[t], c, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(tr.h[t], h, rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(tr.c_tilde[t], g["c"], rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(tr.c[t], tr.f[t] * tr.c_prev[t] + tr.i[t] * tr.c_tilde[t],
                                   rtol=0, atol=0)


sizes = st.tuples(st.integers(1, 5), st.integers(1, 3), st.integers(1, 12),
                  st.one_of(st.none(), st.integers(1, 3)), st.integers(0, 2**31 - 1))


@HYP
@given(case=sizes, scale=st.sampled_from([0.5, 1.5, 10.0, 1e3]))
def test_growth_bounds_hold_for_any_weights(case, scale):
    n, m, T, B, seed = case
    params, xs, h0, c0 = random_lstm(np.random.default_rng(seed), n, m, T, B, weight_scale=scale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = lstm.forward(params, 5 * xs, h0, c0)
        inv = cell.cell_invariants(params, tr)
    # The bounds hold exactly; in float64, |c_{t-1}| + 1 and |c_{-1}| + t + 1 are rounded, so
    # the slacks may be a rounding below 0 (e.g. -4.4e-16 at weight scale 1e3), as
    # cell_invariants allows with its tol.
    assert inv.growth_slack >= -1e-12 and inv.linear_slack >= -1e-12 and inv.holds
    assert inv.max_abs_h <= 1.0
    assert max(inv.equation_errors.values()) < 1e-12


def test_linear_bound_is_nearly_attained_by_saturated_cell():
    """W = 0 and large biases: f = i = σ(30), c̃ = tanh(30) = 1, so c_t ≈ t + 1."""
    n, m, T = 2, 1, 50
    Z = np.zeros((n, n + m))
    big = np.full(n, 30.0)
    p = lstm.LSTMParams(W_f=Z, W_i=Z, W_c=Z, W_o=Z, b_f=big, b_i=big, b_c=big, b_o=np.zeros(n))
    tr = lstm.forward(p, np.zeros((T, m)))
    inv = cell.cell_invariants(p, tr)
    assert inv.holds
    np.testing.assert_allclose(tr.c[:, 0], np.arange(1, T + 1), rtol=1e-11)
    assert inv.linear_slack < 1e-9
    np.testing.assert_allclose(tr.h[20:], 0.5, rtol=1e-12)  # σ(0)·tanh(c ≥ 21) = 0.5: saturated


def test_cell_invariants_detects_a_tampered_trace(rng):
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 5)
    tr = lstm.forward(params, xs, h0, c0)
    bad_c = tr.c.copy()
    bad_c[2, 1] += 3.0
    bad = replace(tr, c=bad_c)
    inv = cell.cell_invariants(params, bad)
    assert not inv.holds
    assert inv.equation_errors["c"] > 1.0
    assert inv.growth_slack < 0.0


def test_cell_invariants_validation(rng):
    params, xs, h0, c0 = random_lstm(rng, 3, 2, 5)
    tr = lstm.forward(params, xs, h0, c0)
    other = lstm.init(4, 2, rng=rng)
    with pytest.raises(ValueError, match="params"):
        cell.cell_invariants("p", tr)
    with pytest.raises(ValueError, match="trace"):
        cell.cell_invariants(params, "t")
    with pytest.raises(ValueError, match="does not match"):
        cell.cell_invariants(other, tr)
    with pytest.raises(ValueError, match="tol"):
        cell.cell_invariants(params, tr, tol=-1.0)


# --------------------------------------------------------------------------- memory_run


@pytest.mark.parametrize("bf", [-4.0, 0.0, 2.0, 4.27, 10.0])
def test_memory_run_zero_weights_matches_closed_form(bf):
    run = cell.memory_run(bf, weight_scale=0.0, T=60, n=3)
    np.testing.assert_allclose(run.retained, sigmoid(bf) ** np.arange(1.0, 61.0), rtol=1e-12,
                               atol=1e-300)
    np.testing.assert_allclose(run.retained, run.reference, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(run.f, sigmoid(bf))
    assert run.t.shape == (60,) and run.c.shape == run.h.shape == run.f.shape == (60, 3)


def test_memory_run_half_life_at_logit():
    """Half of the value after 50 steps at b_f = logit(2^(-1/50)) (the chapter's exercise)."""
    p = 0.5 ** (1 / 50)
    b = np.log(p / (1 - p))
    run = cell.memory_run(b, weight_scale=0.0, T=50)
    assert run.retained[-1] == pytest.approx(0.5, rel=1e-12)


def test_memory_run_keeps_more_with_larger_forget_bias():
    kept = [cell.memory_run(bf, T=100).retained[-1] for bf in (-2.0, 0.0, 2.0, 4.0, 6.0, 8.0)]
    assert all(a < b for a, b in zip(kept[2:], kept[3:]))
    assert kept[-1] > 0.9 and abs(kept[0]) < 1e-3
    run = cell.memory_run(6.0)
    assert np.all(run.i < 1e-2)  # input bias -8: input gate nearly closed


def test_memory_run_output_gate_closed_keeps_memory():
    closed = cell.memory_run(6.0, output_bias=-30.0)
    assert np.abs(closed.h).max() < 1e-10
    assert closed.retained[-1] > 0.7


def test_memory_run_is_deterministic_and_scales_with_c0():
    a, b = cell.memory_run(3.0, seed=5), cell.memory_run(3.0, seed=5)
    np.testing.assert_array_equal(a.c, b.c)
    z = cell.memory_run(3.0, weight_scale=0.0, c0=-2.5)
    np.testing.assert_allclose(z.c[:, 0], -2.5 * z.reference, rtol=1e-12)


@pytest.mark.parametrize("kw, name", [
    (dict(forget_bias=np.nan), "forget_bias"), (dict(forget_bias="x"), "forget_bias"),
    (dict(input_bias=np.inf), "input_bias"), (dict(output_bias=None), "output_bias"),
    (dict(T=0), "T"), (dict(n=0), "n"), (dict(m=1.5), "m"), (dict(weight_scale=-1), "weight_scale"),
    (dict(input_scale=-0.1), "input_scale"), (dict(c0=0.0), "c0"), (dict(seed=-1), "seed"),
])
def test_memory_run_validation(kw, name):
    args = dict(forget_bias=1.0)
    args.update(kw)
    bf = args.pop("forget_bias")
    with pytest.raises(ValueError, match=name):
        cell.memory_run(bf, **args)


def test_plot_memory_runs():
    runs = [cell.memory_run(bf, T=30) for bf in (4.0, -2.0)]
    ax = plots.plot_memory_runs(runs)
    assert len(legend_texts(ax)) == 3 and "sigma(b_f)" in legend_texts(ax)[-1]
    assert "time step" in ax.get_xlabel() and "c_{t,j}" in ax.get_ylabel()
    one = plots.plot_memory_runs(runs[0], reference=False)
    assert len(legend_texts(one)) == 1
    with pytest.raises(ValueError, match="runs"):
        plots.plot_memory_runs([])


# --------------------------------------------------------------------------- gate_trajectories


def test_gate_trajectories_shapes_and_ranges():
    g = cell.gate_trajectories(forget_bias=1.0, input_scale=2.0, n=5, m=3, T=17)
    for field in ("t", "f_mean", "i_mean", "o_mean", "bound"):
        assert getattr(g, field).shape == (17,)
    assert g.c.shape == g.h.shape == (17, 5)
    for gate in (g.f_mean, g.i_mean, g.o_mean):
        assert np.all((gate > 0) & (gate < 1))
    assert np.all(np.abs(g.c) <= g.bound[:, None])
    assert np.all(np.abs(g.h) < 1)


def test_gate_trajectories_match_lstm_forward():
    g = cell.gate_trajectories(forget_bias=2.0, input_scale=1.5, n=4, m=2, T=9, seed=3)
    rng = np.random.default_rng(3)
    p = lstm.init(4, 2, rng=rng, forget_bias=2.0)
    tr = lstm.forward(p, 1.5 * rng.standard_normal((9, 2)))
    np.testing.assert_array_equal(g.c, tr.c)
    np.testing.assert_array_equal(g.f_mean, tr.f.mean(axis=1))
    const = cell.gate_trajectories(forget_bias=2.0, input_scale=1.5, inputs="constant", n=4, m=2,
                                   T=9, seed=3)
    p = lstm.init(4, 2, rng=np.random.default_rng(3), forget_bias=2.0)
    np.testing.assert_array_equal(const.c, lstm.forward(p, np.full((9, 2), 1.5)).c)


def test_gate_trajectories_forget_bias_moves_forget_gate():
    lo = cell.gate_trajectories(forget_bias=-6.0, input_scale=1.0)
    hi = cell.gate_trajectories(forget_bias=10.0, input_scale=1.0)
    assert lo.f_mean.max() < 0.05 and hi.f_mean.min() > 0.99
    zero = cell.gate_trajectories(input_scale=0.0)
    assert np.all(zero.c == 0)  # x = 0, h = c = 0: c̃ = tanh(0) = 0 forever


@pytest.mark.parametrize("kw, name", [
    (dict(forget_bias=np.nan), "forget_bias"), (dict(input_scale=-1.0), "input_scale"),
    (dict(inputs="pulse"), "inputs"), (dict(n=0), "n"), (dict(m=0), "m"), (dict(T=0), "T"),
    (dict(weight_scale=-2.0), "weight_scale"), (dict(seed=1.5), "seed"),
])
def test_gate_trajectories_validation(kw, name):
    with pytest.raises(ValueError, match=name):
        cell.gate_trajectories(**kw)


# --------------------------------------------------------------------------- explorer

FORGET_BIASES = [-6.0, 2.0, 10.0]      # slider min, middle, max
INPUT_SCALES = [0.0, 5.0, 10.0]


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("forget_bias, input_scale, inputs",
                         list(itertools.product(FORGET_BIASES, INPUT_SCALES, cell.INPUT_KINDS)))
def test_gate_explorer_compute_and_plot_at_every_slider_corner(forget_bias, input_scale, inputs):
    traj = cell.gate_trajectories(forget_bias=forget_bias, input_scale=input_scale,
                                  inputs=inputs, n=8, T=60, seed=0)
    assert np.all(np.isfinite(traj.c)) and np.all(np.abs(traj.c) <= traj.bound[:, None])
    fig, (ax, gates) = plt.subplots(2, 1, sharex=True)
    assert plots.plot_gate_trajectories(traj, ax=ax) is ax
    assert plots.plot_gate_trajectories(traj, ax=gates, which="gates") is gates
    assert "cell state" in ax.get_ylabel() and "time step" in ax.get_xlabel()
    assert "gate" in gates.get_ylabel() and len(fig.axes) == 2      # no twin axes
    assert any("bound" in s for s in legend_texts(ax))
    assert [s.split()[0] for s in legend_texts(gates)] == ["forget", "input", "output"]
    lo, hi = ax.get_ylim()
    assert lo <= traj.c.min() and traj.c.max() <= hi
    assert gates.get_ylim()[0] <= 0 and gates.get_ylim()[1] >= 1
    assert "max $|c_t|$" in ax.get_title()
    fig.canvas.draw()


def test_plot_gate_trajectories_options():
    traj = cell.gate_trajectories(n=2, T=5)
    ax = plots.plot_gate_trajectories(traj, units=10, title=False)
    assert ax.get_title() == ""
    assert len([ln for ln in ax.get_lines() if ln.get_label().startswith("$c_")]) == 2
    with pytest.raises(ValueError, match="units"):
        plots.plot_gate_trajectories(traj, units=0)
    with pytest.raises(ValueError, match="which"):
        plots.plot_gate_trajectories(traj, which="both")


def test_gate_explorer_responds_to_every_control():
    box = widgets.gate_explorer(T=20)
    assert len(box.children[0].children) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_every_control_changes_the_picture(
            box, lambda c: [c.min, (c.min + c.max) / 2, c.max] if hasattr(c, "min") else list(c.options))


# --------------------------------------------------------------------------- carousel_run


def _unit_end_state(w, activation, xs, c_prev):
    phi = {"tanh": np.tanh, "sigmoid": sigmoid, "linear": lambda z: z}[activation]
    for x in xs:
        c_prev = phi(w * c_prev + x)
    return c_prev


@pytest.mark.parametrize("w, activation, scale", [(1.0, "tanh", 1.0), (1.2, "tanh", 0.3),
                                                  (4.0, "sigmoid", 1.0), (0.9, "linear", 1.0),
                                                  (-1.5, "tanh", 0.5)])
def test_carousel_error_is_the_derivative_along_the_loop(w, activation, scale):
    """error[k] = ∂c_{T-1}/∂c_{T-1-k}, checked by central differences for every lag."""
    run = cell.carousel_run(w, activation=activation, T=12, input_scale=scale, c0=0.3, seed=2)
    xs = run.z - w * np.concatenate([[0.3], run.c[:-1]])          # the inputs x_t
    starts = np.concatenate([[0.3], run.c])                        # c_{-1}, c_0, …, c_{T-1}
    eps = 1e-6
    for k in range(run.t.size + 1):
        j = run.t.size - 1 - k                                     # perturb c_j
        tail = xs[j + 1:]
        fd = (_unit_end_state(w, activation, tail, starts[j + 1] + eps)
              - _unit_end_state(w, activation, tail, starts[j + 1] - eps)) / (2 * eps)
        assert run.error[k] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert run.c[-1] == pytest.approx(_unit_end_state(w, activation, xs, 0.3), abs=1e-14)


def test_carousel_linear_unit_with_weight_one_is_exact():
    run = cell.carousel_run(1.0, activation="linear", T=100, input_scale=2.0)
    assert np.all(run.factors == 1.0) and np.all(run.error == 1.0)
    assert np.allclose(run.c, np.cumsum(run.z - np.concatenate([[0.0], run.c[:-1]])))


def test_carousel_tanh_unit_vanishes_unless_its_input_stays_at_zero():
    assert cell.carousel_run(1.0, T=100).error[-1] < 1e-30
    quiet = cell.carousel_run(1.0, T=100, input_scale=0.0)         # z_t = 0 at every step
    assert np.all(quiet.error == 1.0)
    assert cell.carousel_run(1.2, T=100, input_scale=0.0).error[-1] == pytest.approx(1.2 ** 100)
    assert cell.carousel_run(1.2, T=100, input_scale=0.0, c0=0.5).error[-1] < 1e-10


@pytest.mark.parametrize("kwargs, match", [
    (dict(w="x"), r"^w\b"), (dict(w=np.inf), r"^w\b"), (dict(w=1.0, activation="relu"), "^activation"),
    (dict(w=1.0, T=0), "^T"), (dict(w=1.0, input_scale=-1.0), "^input_scale"),
    (dict(w=1.0, c0=np.nan), "^c0"), (dict(w=1.0, seed=-1), "^seed")])
def test_carousel_run_rejects_bad_input(kwargs, match):
    w = kwargs.pop("w")
    with pytest.raises(ValueError, match=match):
        cell.carousel_run(w, **kwargs)


def test_carousel_run_draws_as_a_lag_curve():
    runs = [cell.carousel_run(1.0), cell.carousel_run(1.2, input_scale=0.0, c0=0.5),
            cell.carousel_run(1.0, activation="linear")]
    assert runs[1].c0 == 0.5 and "c_{-1} = 0.5" in runs[1].label and "x_t = 0" in runs[1].label
    assert np.array_equal(runs[0].lags, np.arange(101)) and runs[0].bound is None
    assert np.array_equal(runs[0].norms, np.abs(runs[0].error))
    ax = plots.plot_lag_comparison(runs)
    assert len(legend_texts(ax)) == 3
    plt.close(ax.figure)
