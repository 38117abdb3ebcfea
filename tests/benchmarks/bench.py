"""The course's benchmark suite (`make bench`; not part of `make test`).

Prints one Markdown table: every explorer (compute only, and compute + draw with Agg; median
over 20 positions of each control, as the target is stated; in brackets the median of the
slowest control, and the table says when that one misses the target: a cache that makes one
slider free cannot hide another), rnn/lstm forward + backward at the sizes students meet
(with torch.nn.LSTM + autograd on one thread when PyTorch is importable), chapter 9's training
step with the readable LSTM and with the training kernel _fast_lstm, gradient_norm_vs_lag
at T = 1000, n = 64, and, with --notebooks / --book, per-chapter execution and `make book` times.
Targets are printed next to each figure; nothing here asserts (speed is measured, not tested).
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread, like torch below: on 2 cores a multithreaded BLAS on these small matrices
# mostly waits for itself (and for anything else running), which makes timings meaningless.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import statistics
import subprocess
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402

from rnngrad import gradients, lstm, rnn, widgets  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROWS: list[tuple[str, str, str, str]] = []


def timeit(fn, *, repeat: int = 7, min_time: float = 0.05) -> float:
    """Median seconds of one call of ``fn`` (each sample loops until ``min_time`` passed)."""
    fn()                                                    # warm-up
    samples = []
    for _ in range(repeat):
        n, t0 = 0, time.perf_counter()
        while True:
            fn()
            n += 1
            if time.perf_counter() - t0 >= min_time:
                break
        samples.append((time.perf_counter() - t0) / n)
    return statistics.median(samples)


def row(what: str, value: str, target: str = "", ok: bool | None = None,
        slowest_ok: bool = True) -> None:
    mark = "" if ok is None else ("yes" if ok else "**no**")
    if ok and not slowest_ok:
        mark += " (not for the slowest control)"
    ROWS.append((what, value, target, mark))


def ms(s: float) -> str:
    return f"{s * 1e3:.2f} ms"


def bench_explorers(positions: int = 20) -> None:
    for name, declare in widgets.EXPLORERS.items():
        args = ()
        if name == "long_range_explorer":
            args = (ROOT / "book" / "data" / "long_range_results.csv",)
            if not args[0].is_file():
                continue
        # Two instances, so that an explorer's own cache (the forget explorer keeps its
        # measurements per forget bias) never lets one timing profit from the other.
        spec, drawn = declare(*args), declare(*args)
        fig = drawn.canvas()                                 # the live view's figure
        drawn.png(fig)                                       # warm-up
        compute, full = {}, {}                               # per control
        for cname, control in spec.controls.items():
            for v in control.span(positions):
                values = {**spec.defaults(), cname: v}
                t0 = time.perf_counter()
                spec.compute(**values)
                compute.setdefault(cname, []).append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                drawn.png(fig, **values)                     # exactly what one update does
                full.setdefault(cname, []).append(time.perf_counter() - t0)
        for what, times, limit in [("compute", compute, 0.010), ("compute + draw (PNG)", full, 0.080)]:
            overall = statistics.median([t for ts in times.values() for t in ts])
            slow = max(times, key=lambda c: statistics.median(times[c]))
            worst = statistics.median(times[slow])
            n = sum(len(ts) for ts in times.values())
            row(f"explorer `{name}`: {what}, {n} positions (in brackets: slowest control, `{slow}`)",
                f"{ms(overall)} ({ms(worst)})", f"≤ {limit * 1e3:.0f} ms", overall <= limit,
                slowest_ok=worst <= limit)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def bench_models() -> None:
    torch = _torch()
    rng = np.random.default_rng(0)
    for (n, m, T, B) in [(8, 1, 100, 1), (32, 1, 100, 32), (64, 8, 200, 32), (128, 16, 100, 64)]:
        xs = rng.standard_normal((T, B, m))
        rp = rnn.init(n, m, rng=rng, scale=1.0, activation="tanh")
        lp = lstm.init(n, m, rng=rng)
        G = rng.standard_normal((T, B, n))

        def run_rnn():
            tr = rnn.forward(rp, xs)
            rnn.backward(rp, tr, G)

        def run_lstm():
            tr = lstm.forward(lp, xs)
            lstm.backward(lp, tr, G)

        size = f"(n, m, T, B) = ({n}, {m}, {T}, {B})"
        t_rnn = timeit(run_rnn)
        t_lstm = timeit(run_lstm)
        row(f"rnn forward + backward {size}", ms(t_rnn))
        small = n <= 8                      # the readable lstm.py's targets (ch. 5 code = running code)
        target = "≤ 0.5× torch" if small else "≤ 1.0× torch"
        if torch is None:
            row(f"lstm forward + backward {size}", ms(t_lstm), target + " (torch not installed)")
            continue
        net = torch.nn.LSTM(m, n).double()
        x_t = torch.tensor(xs)
        g_t = torch.tensor(G)

        def run_torch():
            net.zero_grad()
            out, _ = net(x_t)
            out.backward(g_t)

        t_torch = timeit(run_torch)
        ratio = t_lstm / t_torch
        row(f"lstm forward + backward {size}", f"{ms(t_lstm)} (torch {ms(t_torch)}, {ratio:.2f}×)",
            target, ratio <= (0.5 if small else 1.0))


def bench_training_kernel() -> None:
    """Chapter 9's training step (forward + backward of the LSTM core at the sweep's sizes:
    n = 16, B = 64, first bit at lag 50 and 150): the readable lstm.py against the training
    loop's kernel _fast_lstm.py, which exists only while this ratio is one a user feels."""
    from rnngrad import _fast_lstm

    rng = np.random.default_rng(3)
    p = lstm.init(16, 1, rng=rng)
    for T in (51, 151):
        xs = rng.standard_normal((T, 64, 1))
        G = np.zeros((T, 64, 16))
        G[-1] = rng.standard_normal((64, 16))

        def readable():
            lstm.backward(p, lstm.forward(p, xs), G)

        def fast():
            _fast_lstm.backward(p, _fast_lstm.forward(p, xs), G)

        t_read, t_fast = timeit(readable), timeit(fast)
        row(f"lstm training step (n, m, T, B) = (16, 1, {T}, 64): readable lstm.py",
            f"{ms(t_read)} (_fast_lstm {ms(t_fast)}: readable {t_read / t_fast:.2f}× slower)")


def bench_lag() -> None:
    rng = np.random.default_rng(1)
    T, n = 1000, 64
    rp = rnn.init(n, 1, rng=rng, scale=1.0)
    rtr = rnn.forward(rp, rng.standard_normal((T, 1)))
    lp = lstm.init(n, 1, rng=rng)
    ltr = lstm.forward(lp, rng.standard_normal((T, 1)))
    for label, p, tr in [("rnn", rp, rtr), ("lstm", lp, ltr)]:
        for norm in ("spectral", "fro"):
            t = timeit(lambda p=p, tr=tr, norm=norm: gradients.gradient_norm_vs_lag(p, tr, norm=norm),
                       repeat=3, min_time=0.0)
            what = "" if norm == "spectral" else ", norm='fro'"
            row(f"gradient_norm_vs_lag{what}, {label}, T = 1000, n = 64", ms(t), "≤ 50 ms",
                t <= 0.050)


def bench_notebooks() -> None:
    import nbformat
    from nbclient import NotebookClient

    # Without this workaround nbclient can miss a widget cell's reply and wait out the whole
    # 300 s cell timeout (chapter 4 once "took" 311.8 s): see _ext/nbclient_wakeup.py.
    sys.path.insert(0, str(ROOT / "_ext"))
    import nbclient_wakeup

    nbclient_wakeup.apply()
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        t0 = time.perf_counter()
        NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(path.parent)}}).execute()
        dt = time.perf_counter() - t0
        row(f"execute `{path.name}` (kernel start included)", f"{dt:.1f} s", "< 60 s", dt < 60)


def bench_book() -> None:
    def make_book():
        t0 = time.perf_counter()
        subprocess.run(["make", "book"], cwd=ROOT, check=True, capture_output=True)
        return time.perf_counter() - t0

    subprocess.run(["rm", "-rf", "_build/.jupyter_cache", "_build/.doctrees", "_build/html"],
                   cwd=ROOT, check=True)
    cold = make_book()
    warm = make_book()
    row("`make book`, cold (no cache: every page executes)", f"{cold:.1f} s")
    row("`make book`, warm (nothing changed)", f"{warm:.1f} s", "≤ 10 s", warm <= 10)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebooks", action="store_true", help="also time every chapter")
    ap.add_argument("--book", action="store_true", help="also time cold and warm `make book`")
    args = ap.parse_args(argv)
    bench_explorers()
    bench_models()
    bench_training_kernel()
    bench_lag()
    if args.notebooks:
        bench_notebooks()
    if args.book:
        bench_book()
    import platform

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"numpy {np.__version__}")
    print()
    print("| what | median time | target | met |")
    print("|---|---|---|---|")
    for r in ROWS:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
