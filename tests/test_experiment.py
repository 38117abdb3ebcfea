"""Tests of rnngrad.experiment and of the committed sweep results (chapter 9).

The sweep itself (about 15 minutes) is not run here: the tests check the committed files'
schema and consistency, re-run one cheap committed run to see it reproduced, and run a tiny
sweep end to end.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from rnngrad import experiment, tasks, train

DATA = Path(__file__).resolve().parents[1] / "book" / "data"
CSV = DATA / "long_range_results.csv"
NPZ = CSV.with_suffix(".npz")
MD = CSV.with_suffix(".md")


@pytest.fixture(scope="module")
def committed():
    return experiment.read_results(CSV)


def test_committed_csv_schema(committed):
    assert CSV.read_text().splitlines()[0] == ",".join(experiment.COLUMNS)
    config = experiment.SweepConfig()
    for row in committed:
        assert row["task"] in tasks.TASKS
        assert row["model"] in train.MODELS
        assert row["lag"] in config.lags[row["task"]]
        assert row["seed"] in config.seeds
        assert 1 <= row["steps"] <= config.steps
        assert 0.0 <= row["final_accuracy"] <= 1.0
        assert row["solved"] in ("yes", "no")
        assert (row["solved"] == "yes") == (row["final_accuracy"] >= config.threshold)
        assert row["wall_seconds"] >= 0.0


def test_committed_csv_covers_the_whole_sweep_once(committed):
    keys = [(r["task"], r["model"], r["lag"], r["seed"]) for r in committed]
    want = {(j.task, j.model, j.lag, j.seed) for j in experiment.sweep_jobs(experiment.SweepConfig())}
    assert len(keys) == len(set(keys)) == len(want)
    assert set(keys) == want


def test_committed_curves_and_notes(committed):
    assert CSV.stat().st_size + NPZ.stat().st_size + MD.stat().st_size < 2_000_000
    store = experiment.load_curves(NPZ)
    with np.load(NPZ) as data:
        assert list(data["key"]) == [f"{r['task']}/{r['model']}/{r['lag']}/{r['seed']}" for r in committed]
    for row in committed[:: max(1, len(committed) // 12)]:
        run = store.get(row["task"], row["model"], row["lag"], row["seed"])
        assert run.steps[-1] == row["steps"]
        assert run.final_accuracy == pytest.approx(row["final_accuracy"], abs=5e-5)
        assert run.solved == (row["solved"] == "yes")
        assert run.state_grad.shape == (run.probe_steps.size, tasks.sequence_length(row["task"], row["lag"]))
        assert run.probe_steps[0] == 0 and run.probe_steps[-1] == row["steps"]
    assert store.get("first_bit", "lstm_bf3", 9999, 0) is None
    notes = MD.read_text()
    assert "python -m rnngrad.experiment" in notes and "Made on" in notes
    # the sweep's runs and the runs added later add up to the committed rows
    made = [int(m) for m in re.findall(r"^Wall time [^(]*\((\d+) runs,", notes, re.M)]
    assert made and sum(made) == len(committed) and "Cost of one training step" in notes
    assert notes.count(experiment.NOTES_MARKER) == 1     # the hand-written part is there


@pytest.mark.parametrize("model", ["rnn_tanh", "rnn_tanh_orth"])
def test_a_committed_run_is_reproduced(committed, model):
    row = next(r for r in committed if r["task"] == "first_bit" and r["model"] == model
               and r["lag"] == 5 and r["seed"] == 0)
    got, _ = experiment.run_job(experiment.Job("first_bit", model, 5, 0), experiment.SweepConfig())
    assert got["steps"] == row["steps"]
    assert got["final_accuracy"] == row["final_accuracy"]
    assert got["solved"] == row["solved"]


def test_tiny_sweep_round_trip(tmp_path):
    config = experiment.SweepConfig(lags={"first_bit": (3,), "adding": (8,)},
                                    models=("rnn_tanh", "lstm_bf3"), seeds=(0, 1), steps=30,
                                    hidden=4, block=7)
    rows, curves, wall = experiment.run_sweep(config, processes=1, progress=None)
    assert len(rows) == len(curves) == 8 and wall > 0
    assert [(r["task"], r["model"]) for r in rows][:2] == [("adding", "rnn_tanh")] * 2
    csv_path, npz_path, md_path = experiment.write_results(rows, curves, tmp_path / "r.csv",
                                                           command="test", config=config,
                                                           wall_seconds=wall)
    back = experiment.read_results(csv_path)
    assert [r["final_accuracy"] for r in back] == [r["final_accuracy"] for r in rows]
    store = experiment.load_curves(npz_path)
    for row, c in zip(rows, curves):
        run = store.get(row["task"], row["model"], row["lag"], row["seed"])
        np.testing.assert_allclose(run.loss, c.loss, rtol=1e-6)
        np.testing.assert_array_equal(run.steps, c.steps)
        np.testing.assert_allclose(run.state_grad, c.state_grad, rtol=1e-6)
        assert run.steps[-1] == row["steps"]
    notes = md_path.read_text()
    assert "| model | 3 |" in notes and experiment.NOTES_MARKER not in notes
    # a new sweep keeps the notes written by hand below the marker, and only those
    hand = f"{experiment.NOTES_MARKER}\n\n## History\n\nwritten by hand\n"
    md_path.write_text(notes.replace("| model | 3 |", "| stale | 3 |") + "\n" + hand)
    experiment.write_results(rows, curves, csv_path, command="again", config=config,
                             wall_seconds=wall, processes=3)
    again = md_path.read_text()
    assert again.endswith(hand) and again.count(experiment.NOTES_MARKER) == 1
    assert "again" in again and "| stale |" not in again and "3 worker processes" in again
    with pytest.raises(ValueError, match="processes"):
        experiment.write_results(rows, curves, csv_path, processes=0)


def test_step_costs_are_computed_from_the_rows():
    rows = [dict(task="first_bit", model="rnn_tanh", lag=9, steps=1000, wall_seconds=1.0),
            dict(task="first_bit", model="rnn_tanh", lag=9, steps=1000, wall_seconds=3.0),
            dict(task="first_bit", model="rnn_tanh", lag=9, steps=499, wall_seconds=99.0),
            dict(task="adding", model="lstm_bf1", lag=20, steps=500, wall_seconds=2.0)]
    rows = [dict(r, seed=k, solved="no") for k, r in enumerate(rows)]
    # ms per training step and time step: first bit at lag 9 has 10 steps, adding T = 20 has 20
    assert experiment._step_costs(rows) == {"rnn": (pytest.approx(0.2), 2),
                                            "lstm": (pytest.approx(0.2), 1)}
    notes = experiment._notes(rows, "cmd", None, 5.0, 2, "r.csv", "r.npz")
    assert "RNN 0.200 ms (2 runs), LSTM 0.200 ms (1 runs)" in notes


def test_block_curves_average_the_history():
    h = train.train("first_bit", "rnn_tanh", 4, steps=23, hidden=3, stop_when_solved=False,
                    probe_steps=())
    c = experiment.curves_from_history(h, block=10)
    assert list(c.steps) == [10, 20, 23]
    assert c.loss[0] == pytest.approx(h.loss[:10].mean())
    assert c.loss[2] == pytest.approx(h.loss[20:].mean())
    full = experiment.curves_from_history(h)
    np.testing.assert_array_equal(full.loss, h.loss)
    with pytest.raises(ValueError, match="history"):
        experiment.curves_from_history(c)


def _rows(spec):
    return [dict(task="first_bit", model=m, lag=lag, seed=s, steps=1, final_accuracy=1.0,
                 solved=v, wall_seconds=0.0) for (m, lag, s, v) in spec]


def test_success_table_and_limits():
    rows = _rows([("rnn_tanh", 5, 0, "yes"), ("rnn_tanh", 5, 1, "yes"), ("rnn_tanh", 20, 0, "no"),
                  ("rnn_tanh", 20, 1, "yes"), ("rnn_tanh", 50, 0, "no"), ("rnn_tanh", 50, 1, "no"),
                  ("lstm_bf3", 5, 0, "yes"), ("lstm_bf3", 50, 0, "yes")])
    t = experiment.success_table(rows, "first_bit")
    assert t.models == ("rnn_tanh", "lstm_bf3")
    assert list(t.lags) == [5, 20, 50]
    np.testing.assert_array_equal(t.solved, [[2, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(t.runs, [[2, 2, 2], [1, 0, 1]])
    assert np.isnan(t.rate[1, 1]) and t.rate[0, 1] == 0.5
    limits = experiment.model_limits(t)
    assert limits["rnn_tanh"] == {"last_solved": 20, "first_failed": 50}
    assert limits["lstm_bf3"] == {"last_solved": 50, "first_failed": None}
    with pytest.raises(ValueError, match="task"):
        experiment.success_table(rows, "copy")
    with pytest.raises(ValueError, match="no run"):
        experiment.success_table(rows, "adding")


def test_read_results_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("task,model,lag\nfirst_bit,rnn_tanh,5\n")
    with pytest.raises(ValueError, match="columns"):
        experiment.read_results(bad)
    bad.write_text(",".join(experiment.COLUMNS) + "\nfirst_bit,rnn_tanh,five,0,1,1.0,yes,0.1\n")
    with pytest.raises(ValueError, match="line 2"):
        experiment.read_results(bad)
    bad.write_text(",".join(experiment.COLUMNS) + "\nfirst_bit,rnn_tanh,5,0,1,1.0,maybe,0.1\n")
    with pytest.raises(ValueError, match="solved"):
        experiment.read_results(bad)
    with pytest.raises(ValueError, match="csv_path"):
        experiment.read_results(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="npz_path"):
        experiment.load_curves(tmp_path / "missing.npz")


def test_jobs_longest_first_and_validation():
    jobs = experiment.sweep_jobs(experiment.SweepConfig())
    assert jobs[0].model.startswith("gru") and jobs[0].lag == 150       # the costliest step
    assert len(jobs) == (9 + 4) * len(train.MODELS) * 3
    with pytest.raises(ValueError, match="config"):
        experiment.sweep_jobs({"lags": {}})
    with pytest.raises(ValueError, match="T"):
        experiment.sweep_jobs(experiment.SweepConfig(lags={"adding": (3,)}))


def test_command_line_quick(tmp_path, capsys):
    out = tmp_path / "quick.csv"
    assert experiment.main(["--quick", "--steps", "10", "--processes", "1", "--out", str(out)]) == 0
    rows = experiment.read_results(out)
    assert len(rows) == 3 * len(train.MODELS)
    assert "--quick" in out.with_suffix(".md").read_text()
    assert "done in" in capsys.readouterr().err


def test_command_line_adds_one_model_to_stored_results(tmp_path, capsys):
    """--models M --add runs only M and merges it: the other rows stay byte for byte, the
    curves stay as stored, the notes keep the first command and name the second."""
    out = tmp_path / "r.csv"
    base = ["--quick", "--steps", "10", "--processes", "1", "--out", str(out)]
    assert experiment.main(base + ["--models", "lstm_bf3", "rnn_tanh"]) == 0
    before = out.read_text().splitlines()
    with np.load(out.with_suffix(".npz")) as data:
        stored = {k: data[k] for k in data.files}
    assert experiment.main(base + ["--models", "rnn_tanh_orth", "--add"]) == 0
    rows = experiment.read_results(out)
    assert [r["model"] for r in rows if r["task"] == "adding"] == ["rnn_tanh", "rnn_tanh_orth",
                                                                   "lstm_bf3"]
    assert len(rows) == 9
    after = out.read_text().splitlines()
    assert set(before) <= set(after) and len(after) == len(before) + 3
    with np.load(out.with_suffix(".npz")) as data:
        keys = list(data["key"])
        assert keys == [f"{r['task']}/{r['model']}/{r['lag']}/{r['seed']}" for r in rows]
        for i, key in enumerate(stored["key"]):
            j = keys.index(key)
            np.testing.assert_array_equal(data["loss"][j], stored["loss"][i])
            np.testing.assert_array_equal(data["state_grad"][j], stored["state_grad"][i])
    notes = out.with_suffix(".md").read_text()
    assert notes.count("python -m rnngrad.experiment") == 2 and "Runs added on" in notes
    assert "(6 runs, " in notes and "(3 runs, " in notes
    assert "models = ('rnn_tanh', 'rnn_tanh_orth', 'lstm_bf3')" in notes
    # adding the same model again replaces its runs instead of doubling them
    assert experiment.main(base + ["--models", "rnn_tanh_orth", "--add"]) == 0
    assert len(experiment.read_results(out)) == 9
    capsys.readouterr()


def test_merge_results_needs_the_stored_notes(tmp_path):
    config = experiment.SweepConfig(lags={"first_bit": (3,)}, models=("rnn_tanh",), seeds=(0,),
                                    steps=5, hidden=2)
    rows, curves, _ = experiment.run_sweep(config, processes=1, progress=None)
    csv_path, _, md_path = experiment.write_results(rows, curves, tmp_path / "r.csv",
                                                    command="c", config=config)
    with pytest.raises(ValueError, match="one entry per run"):
        experiment.merge_results(rows, [], csv_path)
    md_path.write_text("notes written by hand\n")
    with pytest.raises(ValueError, match="notes"):
        experiment.merge_results(rows, curves, csv_path)
    md_path.unlink()
    with pytest.raises(ValueError, match="no notes"):
        experiment.merge_results(rows, curves, csv_path)


def test_gradient_horizon():
    g = 0.5 ** np.arange(20)[::-1]            # halves with every step back from t = T-1
    assert experiment.gradient_horizon(g, 1e-3) == 10          # 2^-10 < 1e-3 <= 2^-9
    assert experiment.gradient_horizon(g, 0.3) == 2
    assert experiment.gradient_horizon(np.ones(5)) is None
    with pytest.raises(ValueError, match="ratio"):
        experiment.gradient_horizon(g, 1.5)
    with pytest.raises(ValueError, match="last step"):
        experiment.gradient_horizon(np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="state_grad"):
        experiment.gradient_horizon(np.array([]))
