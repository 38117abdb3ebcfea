"""Chapter 9's explorer: every control position draws a plot or a labelled empty panel."""

import itertools
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnngrad import experiment, plots, widgets  # noqa: E402

CSV = Path(__file__).resolve().parents[1] / "book" / "data" / "long_range_results.csv"
VIEWS = ("loss", "accuracy", "grad_norm", "state_grad")


@pytest.fixture(scope="module")
def sweep():
    rows = experiment.read_results(CSV)
    return rows, experiment.load_curves(CSV.with_suffix(".npz"))


def test_every_model_view_and_extreme_lag(sweep):
    rows, store = sweep
    lags = sorted({r["lag"] for r in rows})
    seeds = sorted({r["seed"] for r in rows})
    chosen_lags = [lags[0], lags[len(lags) // 2], lags[-1]]
    for task, model, lag, seed in itertools.product(("first_bit", "adding"),
                                                    sorted({r["model"] for r in rows}),
                                                    chosen_lags, [seeds[0], seeds[-1]]):
        run = store.get(task, model, lag, seed)
        for view in VIEWS:
            fig, ax = plt.subplots()
            plots.plot_run_view(run, ax=ax, view=view)
            texts = [t.get_text() for t in ax.texts]
            if run is None:
                assert any("no run stored" in s for s in texts)
            else:
                assert ax.get_lines(), (task, model, lag, seed, view)
                assert ax.get_xlabel() and ax.get_ylabel()
            plt.close(fig)


def test_success_plot_and_training_curves(sweep):
    rows, store = sweep
    for task in ("first_bit", "adding"):
        table = experiment.success_table(rows, task)
        fig, ax = plt.subplots()
        plots.plot_success_vs_lag(table, ax=ax)
        assert len(ax.get_lines()) == len(table.models)
        assert "log scale" in ax.get_xlabel()
        plt.close(fig)
    runs = [store.get("first_bit", m, 30, 0) for m in ("rnn_tanh", "lstm_bf3")]
    fig, ax = plt.subplots()
    plots.plot_training_curves(runs, ax=ax, which="loss")
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    plt.close(fig)
    with pytest.raises(ValueError, match="which"):
        plots.plot_training_curves(runs, which="speed")
    with pytest.raises(ValueError, match="view"):
        plots.plot_run_view(runs[0], view="speed")


def test_off_scale_values_are_labelled(sweep):
    _, store = sweep
    run = store.get("first_bit", "rnn_sigmoid", 150, 0)
    bad = experiment.RunCurves(**{**run.__dict__, "state_grad": np.zeros_like(run.state_grad),
                                  "loss": np.zeros_like(run.loss)})
    fig, ax = plt.subplots()
    plots.plot_state_gradient(bad, ax=ax)
    assert all("off the scale" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(fig)
    fig, ax = plt.subplots()
    plots.plot_training_curves(bad, ax=ax, which="loss")
    assert any("off the scale" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(fig)


def test_explorer_builds_and_redraws():
    box = widgets.long_range_explorer(CSV)
    controls = box.children[0].children
    assert len(controls) == 5
    task, model, lag, seed, view = controls
    lag.value = lag.options[-1]
    assert model.options[0] == ("sigmoid RNN", "rnn_sigmoid")   # readable names, stored keys
    model.value = "rnn_sigmoid"
    view.value = "state_grad"
    task.value = "adding"            # lag 150 has no adding run: a labelled empty panel
    plt.close("all")


def test_readout_trajectories_plot():
    from rnngrad import tasks, train

    mdl = train.init_model("rnn_tanh", 4, 1, rng=np.random.default_rng(0))
    xs, ys = tasks.first_bit(10, 30, rng=np.random.default_rng(1))
    fig, ax = plt.subplots()
    plots.plot_readout_trajectories(train.readout_trajectory(mdl, xs), ys, ax=ax)
    assert len(ax.get_legend().get_texts()) == 2 and "linear scale" in ax.get_ylabel()
    plt.close(fig)
    fig, ax = plt.subplots()
    plots.plot_readout_trajectories(train.readout_trajectory(mdl, xs), ys, ax=ax, every=2)
    assert list(ax.get_lines()[0].get_xdata()) == [0, 2, 4, 6, 8, 10]     # ends at T-1 = 10
    plt.close(fig)
    with pytest.raises(ValueError, match="labels"):
        plots.plot_readout_trajectories(np.zeros((10, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="every"):
        plots.plot_readout_trajectories(np.zeros((10, 3)), np.zeros(3), every=0)
