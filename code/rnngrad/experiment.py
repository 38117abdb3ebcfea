"""The long-range sweep of chapter 9: which model learns which lag, with the course's own BPTT.

    python -m rnngrad.experiment --out book/data/long_range_results.csv

trains every (task, model, lag, seed) of a :class:`SweepConfig` with ``train.train`` on a pool of
worker processes (each NumPy single-threaded), prints a plain-text progress bar to stderr and
writes three files next to each other:

* ``<out>.csv``: one row per run: task, model, lag, seed, steps, final_accuracy, solved (yes/no),
  wall_seconds (the columns of :data:`COLUMNS`);
* ``<out>.npz``: the curves of every run, compressed: loss, accuracy and ‖∂L/∂θ‖ averaged over
  blocks of ``block`` steps, the validation accuracy, and mean_b ‖∂ℓ_b/∂c_t‖ over t at the first
  and the last step (rows in the order of the CSV);
* ``<out>.md``: the provenance of the data: the command, the date, the configuration, the wall
  time, the measured cost of a training step and the results table; below the line
  :data:`NOTES_MARKER`, notes written by hand (how the grid was planned, what changed between
  sweeps), which a new sweep keeps.

``--models`` runs only the named models; with ``--add`` their runs are merged into the files
already at ``--out`` (the other models' rows and curves are kept as they are, the notes keep
the earlier commands and wall times), so one model can join the sweep without re-running the
others:

    python -m rnngrad.experiment --models rnn_tanh_orth --add

The chapter reads these files with :func:`read_results`, :func:`success_table` and
:func:`load_curves`; nothing here is needed to read the book.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as _dt
import multiprocessing as mp
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import tasks as _tasks
from . import train as _train
from ._checks import as_array, as_positive_int, as_real

__all__ = ["COLUMNS", "SweepConfig", "Job", "sweep_jobs", "run_job", "run_sweep", "RunCurves",
           "curves_from_history", "write_results", "read_results", "merge_results", "SuccessTable",
           "success_table", "model_limits", "gradient_horizon", "CurveStore", "load_curves",
           "NOTES_MARKER", "main"]

#: The columns of the results CSV, in order.
COLUMNS = ("task", "model", "lag", "seed", "steps", "final_accuracy", "solved", "wall_seconds")

#: The line of the notes (.md) after which the text is written by hand: :func:`write_results`
#: regenerates everything above it and keeps everything from it on.
NOTES_MARKER = "<!-- Notes below this line are written by hand; a new sweep keeps them. -->"


@dataclass(frozen=True)
class SweepConfig:
    """What the sweep trains. ``lags`` maps each task to its lags (for the adding problem the
    'lag' is the sequence length T). Every run uses the same training settings."""

    lags: dict = dataclasses.field(default_factory=lambda: {
        "first_bit": (5, 10, 15, 20, 30, 50, 70, 100, 150),
        "adding": (10, 20, 30, 50),
    })
    models: tuple = _train.MODELS
    seeds: tuple = (0, 1, 2)
    steps: int = 2000
    batch: int = 64
    hidden: int = 16
    lr: float = 1e-2
    clip: float | None = 1.0
    threshold: float = 0.95
    noise: float = 1.0
    block: int = 20

    def train_kwargs(self) -> dict:
        return dict(steps=self.steps, batch=self.batch, hidden=self.hidden, lr=self.lr,
                    clip=self.clip, threshold=self.threshold, noise=self.noise)


@dataclass(frozen=True)
class Job:
    """One training run of the sweep."""

    task: str
    model: str
    lag: int
    seed: int

    @property
    def key(self) -> str:
        return f"{self.task}/{self.model}/{self.lag}/{self.seed}"


#: Measured cost of one training step per time step (ms) at n = 16, B = 64 on the course machine;
#: only used to start the longest runs first, so the two workers finish together.
_MS_PER_TIME_STEP = {"rnn": 0.03, "lstm": 0.14, "gru": 0.25}


def _cost(job: Job, steps: int) -> float:
    kind = _train.model_spec(job.model).kind
    return _MS_PER_TIME_STEP[kind] * _tasks.sequence_length(job.task, job.lag) * steps


def sweep_jobs(config: SweepConfig) -> list[Job]:
    """All runs of ``config``, the most expensive (at full length) first."""
    if not isinstance(config, SweepConfig):
        raise ValueError(f"config must be a SweepConfig, got {type(config).__name__}")
    jobs = [Job(task, model, int(lag), int(seed))
            for task, lags in config.lags.items() for lag in lags
            for model in config.models for seed in config.seeds]
    for job in jobs:
        _tasks.sequence_length(job.task, job.lag)       # validates task and lag
        _train.model_spec(job.model)
    return sorted(jobs, key=lambda j: -_cost(j, config.steps))


@dataclass(frozen=True)
class RunCurves(_train._RunRecord):
    """A run's curves, at full resolution (``block`` = 1) or averaged over blocks of steps.

    ``steps[k]`` is the last step of block k; ``loss``, ``accuracy``, ``grad_norm`` are block
    means of the per-step values. ``state_grad[p]`` is mean_b ‖∂ℓ_b/∂c_t‖ over t = 0 … T-1 at
    step ``probe_steps[p]``.
    """

    steps: np.ndarray
    solved: bool

    @property
    def label(self) -> str:
        name = _train.model_spec(self.model).label
        what = "T" if self.task == "adding" else "lag"
        return f"{name}, {what} {self.lag}, seed {self.seed}"


def _block_means(x: np.ndarray, block: int) -> np.ndarray:
    k = -(-x.size // block)
    pad = np.full(k * block, np.nan)
    pad[: x.size] = x
    with np.errstate(invalid="ignore"):
        return np.nanmean(pad.reshape(k, block), axis=1)


def curves_from_history(history: _train.History, block: int = 1) -> RunCurves:
    """The curves of a ``train.History``, averaged over blocks of ``block`` steps."""
    if not isinstance(history, _train.History):
        raise ValueError(f"history must be a train.History, got {type(history).__name__}")
    block = as_positive_int(block, "block")
    n = history.steps
    shared = {f.name: getattr(history, f.name) for f in dataclasses.fields(_train._RunRecord)}
    means = {name: _block_means(shared[name], block) for name in ("loss", "accuracy", "grad_norm")}
    return RunCurves(**{**shared, **means}, steps=np.minimum(np.arange(block, n + block, block), n),
                     solved=history.solved)


def run_job(job: Job, config: SweepConfig) -> tuple[dict, RunCurves]:
    """Train one run; returns its CSV row (a dict with :data:`COLUMNS`) and its block curves."""
    h = _train.train(job.task, job.model, job.lag, seed=job.seed, **config.train_kwargs())
    row = dict(task=job.task, model=job.model, lag=job.lag, seed=job.seed, steps=h.steps,
               final_accuracy=round(h.final_accuracy, 4), solved="yes" if h.solved else "no",
               wall_seconds=round(h.wall_seconds, 2))
    return row, curves_from_history(h, config.block)


def _worker_init() -> None:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"


def _run_packed(args):
    return run_job(*args)


def _format_seconds(s: float) -> str:
    s = int(round(s))
    return f"{s // 60}m{s % 60:02d}s"


def run_sweep(config: SweepConfig, *, processes: int = 2, progress=sys.stderr):
    """Run every job of ``config`` on ``processes`` workers (1: in this process).

    Returns (rows, curves, wall_seconds) with rows and curves sorted by task, model, lag, seed.
    Progress goes to ``progress`` (a text stream, or None for silence) as plain text.
    """
    processes = as_positive_int(processes, "processes")
    jobs = sweep_jobs(config)
    results = []
    start = time.perf_counter()

    def report(done: int, last: Job) -> None:
        if progress is None:
            return
        elapsed = time.perf_counter() - start
        eta = elapsed / done * (len(jobs) - done)
        bar = "#" * (30 * done // len(jobs))
        end = "\r" if getattr(progress, "isatty", lambda: False)() and done < len(jobs) else "\n"
        progress.write(f"[{bar:<30}] {done:3d}/{len(jobs)} elapsed {_format_seconds(elapsed)} "
                       f"eta {_format_seconds(eta)}  last: {last.key}{' ' * 8}{end}")
        progress.flush()

    if processes == 1:
        for k, job in enumerate(jobs, 1):
            results.append(run_job(job, config))
            report(k, job)
    else:
        # spawn, not fork: the workers import NumPy afresh with OPENBLAS_NUM_THREADS=1.
        old = os.environ.get("OPENBLAS_NUM_THREADS")
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
        try:
            with mp.get_context("spawn").Pool(processes, initializer=_worker_init) as pool:
                for k, res in enumerate(pool.imap_unordered(
                        _run_packed, [(job, config) for job in jobs], chunksize=1), 1):
                    results.append(res)
                    report(k, Job(res[0]["task"], res[0]["model"], res[0]["lag"], res[0]["seed"]))
        finally:
            if old is None:
                os.environ.pop("OPENBLAS_NUM_THREADS", None)
            else:
                os.environ["OPENBLAS_NUM_THREADS"] = old
    wall = time.perf_counter() - start
    results.sort(key=lambda r: _row_order(r[0], config.models))
    return [r[0] for r in results], [r[1] for r in results], wall


def _row_order(row: dict, models) -> tuple:
    """Rows sorted by task, model (in the order of ``models``, then by name), lag, seed."""
    models = tuple(models)
    rank = models.index(row["model"]) if row["model"] in models else len(models)
    return (row["task"], rank, row["model"], int(row["lag"]), int(row["seed"]))


# --------------------------------------------------------------------------- files


def _padded(arrays, shape_tail=()) -> np.ndarray:
    """Stack 1-d (or 2-d) float arrays of different lengths into one NaN-padded float32 array."""
    arrays = [np.asarray(a, dtype=float) for a in arrays]
    size = tuple(max(a.shape[k] for a in arrays) for k in range(arrays[0].ndim))
    out = np.full((len(arrays),) + size, np.nan, dtype=np.float32)
    for i, a in enumerate(arrays):
        out[(i,) + tuple(slice(0, s) for s in a.shape)] = a
    return out


def write_results(rows, curves, csv_path, *, command: str = "", config: SweepConfig | None = None,
                  wall_seconds: float | None = None,
                  processes: int | None = None, earlier: str = "",
                  added: int | None = None) -> tuple[Path, Path, Path]:
    """Write the CSV, the curves (.npz, same stem) and the sidecar notes (.md, same stem).

    ``processes`` is the number of worker processes the sweep ran on (recorded beside the wall
    time). If the .md exists and holds the line :data:`NOTES_MARKER`, the text from that line on
    is kept below the newly generated part. ``earlier`` is the provenance of runs made
    before (from :func:`merge_results`): the notes then keep it and name ``command`` and
    ``wall_seconds`` as those of the ``added`` runs.
    """
    csv_path = Path(csv_path)
    if csv_path.suffix != ".csv":
        raise ValueError(f"csv_path must end in .csv, got {str(csv_path)!r}")
    if len(rows) != len(curves):
        raise ValueError(f"rows and curves must have one entry per run, got {len(rows)} and {len(curves)}")
    if processes is not None:
        processes = as_positive_int(processes, "processes")
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with open(csv_path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row[k] for k in COLUMNS})
    npz_path = csv_path.with_suffix(".npz")
    np.savez_compressed(
        npz_path,
        key=np.array([f"{c.task}/{c.model}/{c.lag}/{c.seed}" for c in curves]),
        steps=_padded([c.steps for c in curves]),
        loss=_padded([c.loss for c in curves]),
        accuracy=_padded([c.accuracy for c in curves]),
        grad_norm=_padded([c.grad_norm for c in curves]),
        eval_steps=_padded([c.eval_steps for c in curves]),
        eval_accuracy=_padded([c.eval_accuracy for c in curves]),
        probe_steps=_padded([c.probe_steps for c in curves]),
        state_grad=_padded([c.state_grad for c in curves]),
        final_accuracy=np.array([c.final_accuracy for c in curves]),
        solved=np.array([c.solved for c in curves], dtype=bool),
    )
    md_path = csv_path.with_suffix(".md")
    kept = _hand_notes(md_path)
    md_path.write_text(_notes(rows, command, config, wall_seconds, processes, csv_path.name,
                              npz_path.name, earlier, added) + kept)
    return csv_path, npz_path, md_path


def _hand_notes(md_path: Path) -> str:
    """The hand-written part of existing notes: from the line NOTES_MARKER on ('' if none)."""
    if not md_path.is_file():
        return ""
    text = md_path.read_text()
    start = text.find(NOTES_MARKER)
    return "\n" + text[start:] if start >= 0 else ""


#: Where the notes' provenance (commands and wall times) ends: the configuration line.
_CONFIG_LINE = "Configuration (`rnngrad.experiment.SweepConfig`): "


def _provenance(md_text: str) -> str:
    """The provenance part of a notes file: everything between its title and its
    configuration line (the commands, dates and wall times of the runs it describes), without
    the measured step cost, which the new notes compute again over all runs."""
    lines = md_text.splitlines()
    if not lines or not lines[0].startswith("# ") or not any(
            line.startswith(_CONFIG_LINE) for line in lines):
        raise ValueError("the notes (.md) next to the results must be those write_results "
                         "writes: a title line, then the commands, then the configuration")
    end = next(k for k, line in enumerate(lines) if line.startswith(_CONFIG_LINE))
    kept = [line for line in lines[1:end] if not line.startswith(_COST_LINE)]
    return "\n".join(kept).strip("\n")


#: How the line of the measured step cost begins.
_COST_LINE = "Cost of one training step per time step "

#: Runs shorter than this are left out of the measured step cost (set-up and the final test
#: dominate them).
_COST_MIN_STEPS = 500


def _step_costs(rows) -> dict:
    """Median wall time of one training step per time step (ms), per kind of model, over the
    runs of at least _COST_MIN_STEPS steps, validation included: {kind: (median ms, runs)}."""
    costs: dict = {}
    for r in rows:
        if r["steps"] >= _COST_MIN_STEPS:
            per_step = r["wall_seconds"] / (r["steps"] * _tasks.sequence_length(r["task"], r["lag"]))
            costs.setdefault(_train.model_spec(r["model"]).kind, []).append(1e3 * per_step)
    return {kind: (float(np.median(c)), len(c)) for kind, c in costs.items()}


def _notes(rows, command, config, wall_seconds, processes, csv_name, npz_name, earlier="",
           added=None) -> str:
    lines = [f"# {csv_name}", ""]
    if earlier:
        lines += [earlier, "", f"Runs added on {_dt.date.today().isoformat()} with"]
    else:
        lines += [f"Made on {_dt.date.today().isoformat()} with"]
    lines += ["", "```", command or "(unknown)", "```", ""]
    if wall_seconds is not None:
        what = "of the added runs" if earlier else "of the sweep"
        runs = len(rows) if added is None else added
        workers = f"{processes} worker processes, " if processes else ""
        lines += [f"Wall time {what}: {_format_seconds(wall_seconds)} "
                  f"({runs} runs, {workers}{os.cpu_count()} cores, "
                  f"Python {platform.python_version()}, NumPy {np.__version__}).", ""]
    costs = _step_costs(rows)
    if costs:
        lines += [_COST_LINE + "(median over the runs of at least "
                  f"{_COST_MIN_STEPS} steps, validation included, measured during the sweep, "
                  "its runs in parallel): "
                  + ", ".join(f"{kind.upper()} {ms:.3f} ms ({n} runs)"
                              for kind, (ms, n) in costs.items())
                  + f". Sum of the runs' wall times: "
                  f"{sum(r['wall_seconds'] for r in rows) / 60:.1f} minutes.", ""]
    if config is not None:
        lines += [_CONFIG_LINE
                  + ", ".join(f"{f.name} = {getattr(config, f.name)!r}"
                              for f in dataclasses.fields(config)) + ".", ""]
    lines += [f"`{npz_name}` holds every run's curves (block means of {config.block if config else '?'} "
              "steps; rows in the order of the CSV).", "",
              "Success rate (runs solved / runs) per model and lag (for the adding problem the lag "
              "column is the sequence length T):", ""]
    for task in sorted({r["task"] for r in rows}):
        table = success_table(rows, task)
        lines += [f"**{task}**", "", "| model | " + " | ".join(str(l) for l in table.lags) + " |",
                  "|---" * (len(table.lags) + 1) + "|"]
        for mi, model in enumerate(table.models):
            cells = [f"{table.solved[mi, li]}/{table.runs[mi, li]}" if table.runs[mi, li] else "–"
                     for li in range(len(table.lags))]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


_TYPES = {"lag": int, "seed": int, "steps": int, "final_accuracy": float, "wall_seconds": float}


def read_results(csv_path) -> list[dict]:
    """The rows of a results CSV, typed (lag, seed, steps int; accuracy, seconds float).

    Raises ValueError if the header is not exactly :data:`COLUMNS` or a value is malformed.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise ValueError(f"csv_path: no such file {str(csv_path)!r}")
    with open(csv_path, newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{csv_path.name}: columns must be {COLUMNS}, got {reader.fieldnames}")
        rows = []
        for k, raw in enumerate(reader, 2):
            try:
                row = {c: _TYPES.get(c, str)(raw[c]) for c in COLUMNS}
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{csv_path.name}, line {k}: malformed value ({exc})") from None
            if row["solved"] not in ("yes", "no"):
                raise ValueError(f"{csv_path.name}, line {k}: solved must be yes or no, got {row['solved']!r}")
            rows.append(row)
    return rows


def merge_results(rows, curves, csv_path) -> tuple[list, list, str]:
    """The runs stored at ``csv_path`` (its CSV, curves and notes) with ``rows``/``curves`` added.

    A stored run with the same task, model, lag and seed as an added one is replaced by it.
    Returns (rows, curves, earlier): every run sorted as :func:`run_sweep` sorts them (models in
    the order of ``train.MODELS``), and the stored notes' provenance, for
    ``write_results(..., earlier=earlier)``. The stored runs are read back unchanged (the curves
    as stored, in float32).
    """
    csv_path = Path(csv_path)
    if len(rows) != len(curves):
        raise ValueError(f"rows and curves must have one entry per run, got {len(rows)} and {len(curves)}")
    md_path = csv_path.with_suffix(".md")
    if not md_path.is_file():
        raise ValueError(f"csv_path: no notes {str(md_path)!r} next to the results")
    earlier = _provenance(md_path.read_text())
    stored = read_results(csv_path)
    store = load_curves(csv_path.with_suffix(".npz"))

    def key(row):
        return (row["task"], row["model"], int(row["lag"]), int(row["seed"]))

    new = {key(r) for r in rows}
    kept = []
    for row in stored:
        if key(row) in new:
            continue
        run = store.get(*key(row))
        if run is None:
            raise ValueError(f"{csv_path.with_suffix('.npz').name} has no curves for the run "
                             f"{'/'.join(map(str, key(row)))} of the CSV")
        kept.append((row, run))
    merged = kept + list(zip(rows, curves))
    merged.sort(key=lambda rc: _row_order(rc[0], _train.MODELS))
    return [r for r, _ in merged], [c for _, c in merged], earlier


@dataclass(frozen=True)
class SuccessTable:
    """Runs solved and runs made, per model (rows) and lag (columns), for one task."""

    task: str
    models: tuple
    lags: np.ndarray
    solved: np.ndarray
    runs: np.ndarray

    @property
    def rate(self) -> np.ndarray:
        """solved / runs, NaN where there was no run."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.runs > 0, self.solved / np.maximum(self.runs, 1), np.nan)


def success_table(rows, task: str) -> SuccessTable:
    """Count the solved runs per (model, lag) for ``task``; models in the order of
    ``train.MODELS`` (then any others, sorted), lags ascending."""
    if task not in _tasks.TASKS:
        raise ValueError(f"task must be one of {_tasks.TASKS}, got {task!r}")
    rows = [r for r in rows if r["task"] == task]
    if not rows:
        raise ValueError(f"rows hold no run of task {task!r}")
    present = {r["model"] for r in rows}
    models = tuple(m for m in _train.MODELS if m in present) + tuple(sorted(present - set(_train.MODELS)))
    lags = np.array(sorted({int(r["lag"]) for r in rows}))
    solved = np.zeros((len(models), len(lags)), dtype=int)
    runs = np.zeros_like(solved)
    for r in rows:
        i, j = models.index(r["model"]), int(np.searchsorted(lags, int(r["lag"])))
        runs[i, j] += 1
        solved[i, j] += r["solved"] == "yes"
    return SuccessTable(task, models, lags, solved, runs)


def model_limits(table: SuccessTable) -> dict:
    """Per model: the largest lag at which at least half the runs were solved ('last_solved',
    None if none), and the smallest lag at which none was ('first_failed', None if none)."""
    if not isinstance(table, SuccessTable):
        raise ValueError(f"table must be a SuccessTable, got {type(table).__name__}")
    out = {}
    for i, model in enumerate(table.models):
        have = table.runs[i] > 0
        ok = have & (2 * table.solved[i] >= table.runs[i])
        none = have & (table.solved[i] == 0)
        out[model] = {"last_solved": int(table.lags[ok].max()) if ok.any() else None,
                      "first_failed": int(table.lags[none].min()) if none.any() else None}
    return out


def gradient_horizon(state_grad, ratio: float = 1e-3) -> int | None:
    """The first lag k at which mean_b ‖∂ℓ_b/∂c_{T-1-k}‖ drops below ``ratio`` times its value at
    the last step (k = 0): how far back the loss gradient still reaches (chapter 9).

    ``state_grad`` is one probe's curve over t = 0 … T-1 (e.g. ``RunCurves.state_grad[0]``, at
    initialization). Returns None when it never drops that far within the sequence.
    """
    g = as_array(state_grad, "state_grad", (None,))
    if g.size == 0:
        raise ValueError("state_grad must not be empty")
    ratio = as_real(ratio, "ratio")
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"ratio must lie in (0, 1), got {ratio}")
    back = g[::-1]                                  # lag k = 0, 1, …, T-1
    if not back[0] > 0.0:
        raise ValueError("state_grad must be positive at the last step (t = T-1)")
    below = np.flatnonzero(back < ratio * back[0])
    return int(below[0]) if below.size else None


class CurveStore:
    """The curves of a sweep (the .npz written by :func:`write_results`), looked up by run."""

    def __init__(self, npz_path):
        npz_path = Path(npz_path)
        if not npz_path.is_file():
            raise ValueError(f"npz_path: no such file {str(npz_path)!r}")
        with np.load(npz_path) as data:
            self._data = {k: data[k] for k in data.files}
        self._index = {str(k): i for i, k in enumerate(self._data["key"])}

    def get(self, task: str, model: str, lag: int, seed: int) -> RunCurves | None:
        """The run's curves, or None when the sweep has no such run."""
        i = self._index.get(f"{task}/{model}/{int(lag)}/{int(seed)}")
        if i is None:
            return None
        d = self._data

        def row(name, dtype=float):
            a = d[name][i]
            a = a[~np.isnan(a)] if a.ndim == 1 else a
            return a.astype(dtype)

        sg = d["state_grad"][i]
        probes = row("probe_steps", int)
        T = _tasks.sequence_length(task, int(lag))
        sg = sg[: probes.size, :T].astype(float)
        return RunCurves(task=task, model=model, lag=int(lag), seed=int(seed),
                         steps=row("steps", int), loss=row("loss"), accuracy=row("accuracy"),
                         grad_norm=row("grad_norm"), eval_steps=row("eval_steps", int),
                         eval_accuracy=row("eval_accuracy"), probe_steps=probes, state_grad=sg,
                         final_accuracy=float(d["final_accuracy"][i]),
                         solved=bool(d["solved"][i]))


def load_curves(npz_path) -> CurveStore:
    """Open the curves written next to the results CSV."""
    return CurveStore(npz_path)


# --------------------------------------------------------------------------- command line


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m rnngrad.experiment", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="book/data/long_range_results.csv",
                   help="the results CSV; the curves (.npz) and notes (.md) go next to it")
    p.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0 … N-1 per configuration")
    p.add_argument("--steps", type=int, default=2000, help="training steps per run at most")
    p.add_argument("--quick", action="store_true",
                   help="a tiny sweep (lags 5 and 10, one seed, at most 100 steps) to check the setup")
    p.add_argument("--models", nargs="+", default=None, metavar="MODEL",
                   help="run only these models (default: every model of train.MODELS)")
    p.add_argument("--add", action="store_true",
                   help="merge the runs into the results already at --out instead of replacing "
                        "them (runs of the same task, model, lag and seed are replaced)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    """``python -m rnngrad.experiment`` (``make experiment``): run the sweep and write its files.

    ``argv`` are the command-line arguments (``--help`` lists them; default: ``sys.argv[1:]``).
    Returns the exit status, 0.
    """
    args = _parse(sys.argv[1:] if argv is None else argv)
    config = SweepConfig(seeds=tuple(range(as_positive_int(args.seeds, "seeds"))),
                         steps=as_positive_int(args.steps, "steps"))
    if args.models is not None:
        config = dataclasses.replace(config, models=tuple(args.models))
    if args.quick:
        config = dataclasses.replace(config, lags={"first_bit": (5, 10), "adding": (10,)},
                                     seeds=(0,), steps=min(100, config.steps))
    command = "python -m rnngrad.experiment " + " ".join(
        sys.argv[1:] if argv is None else list(argv))
    jobs = sweep_jobs(config)
    print(f"{len(jobs)} runs on {args.processes} worker(s); writing {args.out}", file=sys.stderr)
    rows, curves, wall = run_sweep(config, processes=args.processes)
    earlier, added = "", None
    if args.add:
        added = len(rows)
        rows, curves, earlier = merge_results(rows, curves, args.out)
        present = {r["model"] for r in rows}
        config = dataclasses.replace(config, models=tuple(
            m for m in _train.MODELS if m in present) + tuple(sorted(present - set(_train.MODELS))))
    paths = write_results(rows, curves, args.out, command=command.strip(), config=config,
                          wall_seconds=wall, processes=args.processes,
                          earlier=earlier, added=added)
    print(f"done in {_format_seconds(wall)}: " + ", ".join(str(p) for p in paths), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
