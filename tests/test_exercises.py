"""rnngrad.exercises: every checker accepts the book's solution and rejects typical mistakes
with the right feedback; every code exercise of the chapters has a checker and a check cell.

The reference answers here are computed the way the book's solutions compute them (not by
calling the checkers' own helpers), so a checker whose reference drifted would fail.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from rnngrad import (activations, bptt, cell, deepnet, exercises, exploding, gradients, gru,
                     gru_survival, lag_curves, lstm, numdiff, rnn, survival)
from rnngrad.activations import sigmoid

BOOK = Path(__file__).resolve().parents[1] / "book"
#: The pages with exercises: the linear-algebra page and the chapters.
CHAPTERS = [BOOK / "linear_algebra.ipynb"] + sorted(BOOK.glob("ch[0-9][0-9]_*.ipynb"))


def _chapter_of(label: str) -> Path:
    """The chapter whose markdown defines the exercise ``label``."""
    found = [path for path in CHAPTERS
             if label in dict(_exercises_in(nbformat.read(path, 4)))]
    assert len(found) == 1, f"{label}: defined in {found}"
    return found[0]


def run(capsys, label, answer):
    ok = exercises.check(label, answer)
    return ok, capsys.readouterr().out


def accepts(capsys, label, answer):
    ok, out = run(capsys, label, answer)
    assert ok is True, out
    assert out.startswith(f"✔ {label}: correct."), out
    return out


def rejects(capsys, label, answer, *fragments):
    ok, out = run(capsys, label, answer)
    assert ok is False, out
    assert out.startswith(f"✘ {label}: not yet."), out
    for fragment in fragments:
        assert fragment.lower() in out.lower(), f"{fragment!r} not in {out!r}"
    return out


# --------------------------------------------------------------------------- the book


def _exercises_in(nb):
    """(label, gated?) for every exercise of a notebook, from the markdown sources."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    labels = re.findall(r"\{exercise\}[^\n]*\n:label: (\S+)", text)
    gated = set(re.findall(r"\{solution-start\}\s+(\S+)", text))
    return [(label, label in gated) for label in labels]


def _check_cells(nb, label):
    call = f'exercises.check("{label}",'
    return [c for c in nb.cells if c.cell_type == "code" and call in c.source]


def _stream(cell_):
    return "".join(o.get("text", "") for o in cell_.outputs if o.output_type == "stream")


def test_every_code_exercise_has_a_checker():
    gated = [label for path in CHAPTERS
             for label, is_gated in _exercises_in(nbformat.read(path, 4)) if is_gated]
    assert len(gated) >= 19
    missing = [label for label in gated if label not in exercises.CHECKS]
    assert not missing, f"code exercises without a checker: {missing}"
    every = [label for path in CHAPTERS for label, _ in _exercises_in(nbformat.read(path, 4))]
    assert set(exercises.labels()) <= set(every), "a checker for an exercise the book lacks"


@pytest.mark.parametrize("label", exercises.labels())
def test_check_cells_in_the_book(label):
    """The student's cell (answer = None, untagged) sits right after the exercise and says
    "no answer yet"; a gated solution runs the checker on its own result, which passes."""
    nb = nbformat.read(_chapter_of(label), 4)
    cells = _check_cells(nb, label)
    student = [c for c in cells if "solution" not in c.metadata.get("tags", [])]
    solution = [c for c in cells if "solution" in c.metadata.get("tags", [])]
    assert len(student) == 1, f"{label}: expected one check cell for students"
    assert "answer = None" in student[0].source
    k = nb.cells.index(student[0])
    before = nb.cells[k - 1]
    assert before.cell_type == "markdown" and f":label: {label}" in before.source
    assert "**Check your answer**" in before.source
    assert f"… {label}: no answer yet." in _stream(student[0])
    if dict(_exercises_in(nb))[label]:
        assert len(solution) == 1, f"{label}: the gated solution should run the checker"
        assert _stream(solution[0]).startswith(f"✔ {label}: correct.")


# --------------------------------------------------------------------------- any checker


@pytest.mark.parametrize("label", exercises.labels())
def test_no_answer_yet(capsys, label):
    ok, out = run(capsys, label, None)
    assert ok is False
    assert out.startswith(f"… {label}: no answer yet.")


@pytest.mark.parametrize("label", exercises.labels())
def test_text_is_never_evaluated(capsys, tmp_path, label):
    marker = tmp_path / "evaluated"
    rejects(capsys, label, f"__import__('pathlib').Path({str(marker)!r}).touch()", "text",
            "does not evaluate")
    assert not marker.exists()


@pytest.mark.parametrize("label", exercises.labels())
def test_booleans_are_not_answers(capsys, label):
    rejects(capsys, label, True, "True")


def test_unknown_label():
    with pytest.raises(ValueError, match="label must be one of"):
        exercises.check("ch0-ex-1", 1.0)


# --------------------------------------------------------------------------- the linear-algebra page


def test_la_ex1(capsys):
    A = np.array([[3.0, 0.0], [4.0, 5.0]])
    sigma = np.sqrt(np.linalg.eigvalsh(A.T @ A))[::-1]           # by hand: AᵀA has 45 and 5
    np.testing.assert_allclose(sigma, [np.sqrt(45), np.sqrt(5)])
    accepts(capsys, "la-ex-1", sigma)
    accepts(capsys, "la-ex-1", [np.sqrt(45), np.sqrt(5)])
    rejects(capsys, "la-ex-1", sigma[::-1], "wrong order")
    rejects(capsys, "la-ex-1", [5.0, 3.0], "eigenvalues of A", "AᵀA")
    rejects(capsys, "la-ex-1", [3.0, 5.0], "eigenvalues of A")
    rejects(capsys, "la-ex-1", [45.0, 5.0], "square roots")
    rejects(capsys, "la-ex-1", [-np.sqrt(45), np.sqrt(5)], "never negative")
    rejects(capsys, "la-ex-1", [7.0, 2.0], "not the singular values")
    rejects(capsys, "la-ex-1", 6.7, "shape (2,)")
    rejects(capsys, "la-ex-1", [np.nan, 1.0], "not finite")


def _la_ex2_norms():
    W = np.array([[0.95, 1.0], [0.0, 0.95]])
    P, out = np.eye(2), []
    for _ in range(400):
        out.append(np.linalg.norm(P, 2))
        P = P @ W
    return np.array(out)


def test_la_ex2(capsys):
    norms = _la_ex2_norms()
    k = int(np.argmax(norms))
    assert k == 19
    accepts(capsys, "la-ex-2", (k, norms[k]))
    accepts(capsys, "la-ex-2", np.array([k, norms[k]]))
    rejects(capsys, "la-ex-2", (norms[k], k), "wrong order")
    rejects(capsys, "la-ex-2", (k, k * 0.95 ** (k - 1)), "off-diagonal entry")
    rejects(capsys, "la-ex-2", (k + 1, norms[k + 1]), "off by one")
    rejects(capsys, "la-ex-2", (k - 1, norms[k]), "off by one")
    rejects(capsys, "la-ex-2", (5, norms[5]), "not the largest")
    rejects(capsys, "la-ex-2", (40, 0.95 ** 40), "normal matrix")
    rejects(capsys, "la-ex-2", (k, 7.0), "k* is right")
    rejects(capsys, "la-ex-2", (2.5, 3.5), "whole number")
    rejects(capsys, "la-ex-2", (60, 1.0), "neither number")
    rejects(capsys, "la-ex-2", 19, "shape (2,)")


def jacobian(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    columns = []
    for j in range(x.size):
        e = np.zeros_like(x)
        e[j] = h
        columns.append((f(x + e) - f(x - e)) / (2 * h))
    return np.stack(columns, axis=1)


def test_la_ex3(capsys):
    accepts(capsys, "la-ex-3", jacobian)
    rejects(capsys, "la-ex-3", lambda f, x: 2 * jacobian(f, x), "twice as large", "2h")
    rejects(capsys, "la-ex-3", lambda f, x: jacobian(f, x) / 2, "half as large")
    rejects(capsys, "la-ex-3", lambda f, x: jacobian(f, x).T, "transposed")

    def forward_difference(f, x, h=1e-3):
        return np.stack([(f(x + h * e) - f(x)) / h for e in np.eye(x.size)], axis=1)
    rejects(capsys, "la-ex-3", forward_difference, "close but not accurate", "central")
    rejects(capsys, "la-ex-3", lambda f, x: np.zeros((len(f(x)), x.size)), "differs")
    rejects(capsys, "la-ex-3", lambda f, x: np.full((len(f(x)), x.size), np.nan), "not finite")
    rejects(capsys, "la-ex-3", lambda f, x: 1 / 0, "ZeroDivisionError")
    rejects(capsys, "la-ex-3", np.eye(3), "without parentheses")
    rejects(capsys, "la-ex-3", 3, "expected a function")


# --------------------------------------------------------------------------- chapter 1


def _chain_dE_dx(w, x, L=50):
    params = deepnet.DeepNetParams(tuple(np.array([[w]]) for _ in range(L)),
                                   tuple(np.array([-w / 2]) for _ in range(L)), "sigmoid")
    return deepnet.backward(params, deepnet.forward(params, np.array([x])), np.array([1.0])).a[0][0]


@pytest.fixture(scope="module")
def ch1_ex3():
    return np.array([[_chain_dE_dx(w, x) for w in (3.6, 4.0, 4.4)] for x in (0.5, 0.9)])


def test_ch1_ex3(capsys, ch1_ex3):
    ref = ch1_ex3
    accepts(capsys, "ch1-ex-3", ref)
    accepts(capsys, "ch1-ex-3", ref.tolist())
    rejects(capsys, "ch1-ex-3", ref.T, "shape (3, 2)", "transposed")
    rejects(capsys, "ch1-ex-3", ref[0], "shape (2, 3)")
    rejects(capsys, "ch1-ex-3", -ref, "sign")
    # σ' left out (or tanh' used): every layer gives w instead of w/4
    rejects(capsys, "ch1-ex-3", np.array([np.array([3.6, 4.0, 4.4]) ** 50, ref[1]]), "4^50", "σ'")
    rejects(capsys, "ch1-ex-3", np.array([ref[0] * np.array([3.6, 4.0, 4.4]) / 4, ref[1]]),
            "one layer's factor too many")
    rejects(capsys, "ch1-ex-3", np.array([ref[0], ref[0]]), "x = 0.9")
    bad = ref.copy()
    bad[1, 2] = np.nan
    rejects(capsys, "ch1-ex-3", bad, "not finite")
    rejects(capsys, "ch1-ex-3", [[1, 2, 3], [4, 5]], "cannot be read")


def input_gradient(params, x, dE_da_out):
    trace = deepnet.forward(params, x)
    g = dE_da_out
    for l in range(params.depth, 0, -1):
        g = params.weights[l - 1].T @ (trace.dact[l - 1] * g)
    return g


def _input_gradient_with(*, dact=None, transposed=True, upward=False, last=1):
    """A student's input_gradient with one mistake: ``dact(name, a_l)`` for φ'(z_l), W_l for
    W_lᵀ, the layers from 1 up, or a loop that stops at layer ``last``."""
    def wrong(params, x, g):
        trace = deepnet.forward(params, x)
        layers = list(range(params.depth, last - 1, -1))
        for l in (layers[::-1] if upward else layers):
            W = params.weights[l - 1]
            d = trace.dact[l - 1] if dact is None else dact(params.activation, trace.a[l])
            g = (W.T if transposed else W) @ (d * g)
        return g
    return wrong


def test_ch1_ex4(capsys):
    out = accepts(capsys, "ch1-ex-4", input_gradient)
    assert "central differences" in out
    other = {"sigmoid": "tanh", "tanh": "sigmoid"}
    rejects(capsys, "ch1-ex-4", _input_gradient_with(dact=activations.derivative),
            "at the output a_l", "pre-activation")
    rejects(capsys, "ch1-ex-4", _input_gradient_with(
        dact=lambda name, a: activations.derivative_from_output(other[name], a)),
        "derivative of tanh")
    rejects(capsys, "ch1-ex-4", _input_gradient_with(dact=lambda name, a: 1.0), "is missing")
    rejects(capsys, "ch1-ex-4", _input_gradient_with(transposed=False), "W_lᵀ")
    rejects(capsys, "ch1-ex-4", _input_gradient_with(upward=True), "wrong order")
    rejects(capsys, "ch1-ex-4", _input_gradient_with(last=2), "∂E/∂a_1", "one layer early")
    rejects(capsys, "ch1-ex-4", lambda p, x, g: -input_gradient(p, x, g), "sign")
    rejects(capsys, "ch1-ex-4", lambda p, x, g: 2 * input_gradient(p, x, g),
            "central differences", "relative error 1.0e+00")
    rejects(capsys, "ch1-ex-4", lambda p, x, g: input_gradient(p, x, g)[:, None], "shape (4,)")
    rejects(capsys, "ch1-ex-4", lambda p, x, g: deepnet.backward(p, deepnet.forward(p, x), g),
            "deepnet.DeepNetGrads", "write the loop yourself")
    rejects(capsys, "ch1-ex-4", lambda p, x, g: 1 / 0, "raised ZeroDivisionError")
    p = deepnet.init(2, 3, rng=np.random.default_rng(0))
    rejects(capsys, "ch1-ex-4", input_gradient(p, np.ones(3), np.ones(3)), "you gave its result")


def test_ch1_ex4_loop_one_layer_short_on_rectangular_layers(capsys):
    """The first (square) network is answered right; the second has a_1 wider than x."""
    def short_unless_square(params, x, g):
        square = len(set(params.widths)) == 1
        return (input_gradient if square else _input_gradient_with(last=2))(params, x, g)

    rejects(capsys, "ch1-ex-4", short_unless_square, "width of a_1", "one layer early")


# --------------------------------------------------------------------------- chapter 2


def augment(p):
    return rnn.RNNParams(p.W_rec, np.column_stack([p.W_in, p.b]), np.zeros(p.n), p.activation)


def test_ch2_ex3(capsys):
    accepts(capsys, "ch2-ex-3", augment)
    first = lambda p: rnn.RNNParams(p.W_rec, np.column_stack([p.b, p.W_in]), np.zeros(p.n),  # noqa: E731
                                    p.activation)
    rejects(capsys, "ch2-ex-3", first, "first column", "last")
    twice = lambda p: rnn.RNNParams(p.W_rec, np.column_stack([p.W_in, p.b]), p.b, p.activation)  # noqa: E731
    rejects(capsys, "ch2-ex-3", twice, "added twice")
    two = lambda p: rnn.RNNParams(p.W_rec, np.column_stack([p.W_in, p.b, p.b]), np.zeros(p.n),  # noqa: E731
                                  p.activation)
    rejects(capsys, "ch2-ex-3", two, "should have shape (4, 3)")
    rows = lambda p: rnn.RNNParams(p.W_rec, np.vstack([p.W_in, np.ones(p.m)]), np.zeros(p.n))  # noqa: E731
    rejects(capsys, "ch2-ex-3", rows, "raised ValueError", "W_in")
    no_act = lambda p: rnn.RNNParams(p.W_rec, np.column_stack([p.W_in, p.b]), np.zeros(p.n))  # noqa: E731
    rejects(capsys, "ch2-ex-3", no_act, "activation")
    rejects(capsys, "ch2-ex-3", lambda p: (p.W_in, p.b), "should return an rnn.RNNParams")
    rejects(capsys, "ch2-ex-3", lambda p: 1 / 0, "raised ZeroDivisionError")
    p = rnn.init(3, 2, rng=np.random.default_rng(0))
    rejects(capsys, "ch2-ex-3", augment(p), "you gave its result", "without parentheses")


def my_forward(params, xs, c0=None):
    act = np.tanh if params.activation == "tanh" else sigmoid
    c = np.zeros(params.n) if c0 is None else c0
    states = []
    for x in xs:
        c = act(params.W_rec @ c + params.W_in @ x + params.b)
        states.append(c)
    return np.array(states)


def _forward_with(*, swap=False, rec_T=False, in_T=False, bias=True, use_c0=True, act=None,
                  with_c0=False, rows=slice(None)):
    """A student's my_forward with one mistake switched on."""
    def wrong(params, xs, c0=None):
        phi = act or (np.tanh if params.activation == "tanh" else sigmoid)
        W_rec, W_in = (params.W_in, params.W_rec) if swap else (params.W_rec, params.W_in)
        W_rec, W_in = (W_rec.T if rec_T else W_rec), (W_in.T if in_T else W_in)
        c = c0 if (use_c0 and c0 is not None) else np.zeros(params.n)
        states = [c] if with_c0 else []
        for x in xs:
            c = phi(W_rec @ c + W_in @ x + (params.b if bias else 0.0))
            states.append(c)
        return np.array(states)[rows]
    return wrong


def test_ch2_ex4(capsys):
    out = accepts(capsys, "ch2-ex-4", my_forward)
    assert "rnn.forward" in out
    rejects(capsys, "ch2-ex-4", _forward_with(swap=True), "swapped")
    rejects(capsys, "ch2-ex-4", _forward_with(rec_T=True), "W_rec is transposed")
    rejects(capsys, "ch2-ex-4", _forward_with(in_T=True), "W_in is transposed")
    rejects(capsys, "ch2-ex-4", _forward_with(bias=False), "bias b is missing")
    rejects(capsys, "ch2-ex-4", _forward_with(use_c0=False), "starting state is not used")
    rejects(capsys, "ch2-ex-4", _forward_with(with_c0=True), "T + 1 = 6 rows", "c_{-1}")
    rejects(capsys, "ch2-ex-4", _forward_with(rows=slice(None, -1)), "last state", "missing")
    rejects(capsys, "ch2-ex-4", _forward_with(rows=slice(1, None)), "first state", "missing")
    rejects(capsys, "ch2-ex-4", _forward_with(act=lambda z: z), "no activation")
    rejects(capsys, "ch2-ex-4", _forward_with(act=sigmoid), "activation is tanh", "sigmoid")
    rejects(capsys, "ch2-ex-4", lambda p, xs, c0=None: my_forward(p, xs, c0).T, "transposed")
    rejects(capsys, "ch2-ex-4", lambda p, xs, c0=None: rnn.forward(p, xs, c0),
            "rnn.RNNTrace", "write the loop")

    def late(p, xs, c0=None):
        c = my_forward(p, xs, c0)
        c[2:] *= 1.01
        return c

    rejects(capsys, "ch2-ex-4", late, "first at step t = 2", "Step 0 is right")
    rejects(capsys, "ch2-ex-4", lambda p, xs: my_forward(p, xs), "raised TypeError")

    def overwrites_its_input(p, xs, c0=None):
        states = my_forward(p, xs, c0)
        xs[:] = 0.0                       # the checker's reference must not move with it
        return states

    accepts(capsys, "ch2-ex-4", overwrites_its_input)
    p = rnn.init(3, 2, rng=np.random.default_rng(0))
    rejects(capsys, "ch2-ex-4", my_forward(p, np.ones((4, 2))), "you gave its result")


# --------------------------------------------------------------------------- chapter 3


def term0(p, tr, dL):
    terms = rnn.bptt_terms(p, tr, dL)
    return terms.W_rec[0], terms.W_in[0]


def test_ch3_ex2(capsys):
    accepts(capsys, "ch3-ex-2", term0)

    def last(p, tr, dL):
        terms = rnn.bptt_terms(p, tr, dL)
        return terms.W_rec[-1], terms.W_in[-1]

    def full(p, tr, dL):
        g = rnn.backward(p, tr, dL)
        return g.W_rec, g.W_in

    def zeros(p, tr, dL):
        return np.zeros((p.n, p.n)), term0(p, tr, dL)[1]

    rejects(capsys, "ch3-ex-2", last, "last term", "first step")
    rejects(capsys, "ch3-ex-2", full, "whole gradient")
    rejects(capsys, "ch3-ex-2", zeros, "non-zero state", "instead of writing zeros")
    rejects(capsys, "ch3-ex-2", lambda p, tr, dL: term0(p, tr, dL)[::-1], "wrong order")
    rejects(capsys, "ch3-ex-2", lambda p, tr, dL: (term0(p, tr, dL)[0], term0(p, tr, dL)[1].T),
            "transposed")
    rejects(capsys, "ch3-ex-2", lambda p, tr, dL: tuple(-x for x in term0(p, tr, dL)), "sign")
    rejects(capsys, "ch3-ex-2", lambda p, tr, dL: term0(p, tr, dL)[0], "two arrays")


def loss_step_norms(p, tr, ys):
    M = np.zeros((tr.T, tr.T))
    for k in range(tr.T):
        dL_k = np.zeros(tr.c.shape)
        dL_k[k] = tr.c[k] - ys[k]
        M[k] = gradients.step_contribution_norms(rnn.bptt_terms(p, tr, dL_k))
    return M


def test_ch3_ex3(capsys):
    accepts(capsys, "ch3-ex-3", loss_step_norms)
    rejects(capsys, "ch3-ex-3", lambda p, tr, ys: loss_step_norms(p, tr, ys).T, "transposed")
    rejects(capsys, "ch3-ex-3", lambda p, tr, ys: loss_step_norms(p, tr, ys) ** 2, "squared")
    every = lambda p, tr, ys: np.tile(gradients.step_contribution_norms(  # noqa: E731
        rnn.bptt_terms(p, tr, bptt.every_step_loss_grad(tr, ys))), (tr.T, 1))
    rejects(capsys, "ch3-ex-3", every, "rows are the same", "only in row k")
    fixed_T = lambda p, tr, ys: np.pad(loss_step_norms(p, tr, ys), (0, 6 - tr.T))  # T = 6 only  # noqa: E731
    rejects(capsys, "ch3-ex-3", fixed_T, "shape (4, 4)")


def my_bptt(params, xs, y, c0=None):
    trace = rnn.forward(params, xs, c0)
    dL_dc = bptt.last_state_loss_grad(trace, y)
    dW_rec, dW_in, db = (np.zeros_like(a) for a in (params.W_rec, params.W_in, params.b))
    carry = np.zeros(params.n)
    for t in range(trace.T - 1, -1, -1):
        delta = (dL_dc[t] + carry) * trace.dact[t]
        dW_rec += np.outer(delta, trace.c_prev[t])
        dW_in += np.outer(delta, xs[t])
        db += delta
        carry = delta @ params.W_rec
    return dW_rec, dW_in, db


def _bptt_with(*, dact=None, carry="row", first=0, state_at_t=False, from_zero=False):
    """A student's my_bptt with one mistake: ``dact(name, c_t)`` for φ'(z_t), the carry
    W_rec δ ("column") or none, a loop that stops at ``first``, c_t for c_{t-1}, or c0
    ignored."""
    def wrong(params, xs, y, c0=None):
        trace = rnn.forward(params, xs, None if from_zero else c0)
        dL_dc = bptt.last_state_loss_grad(trace, y)
        dW_rec, dW_in, db = (np.zeros_like(a) for a in (params.W_rec, params.W_in, params.b))
        back = np.zeros(params.n)
        for t in range(trace.T - 1, first - 1, -1):
            d = trace.dact[t] if dact is None else dact(params.activation, trace.c[t])
            delta = (dL_dc[t] + back) * d
            dW_rec += np.outer(delta, trace.c[t] if state_at_t else trace.c_prev[t])
            dW_in += np.outer(delta, xs[t])
            db += delta
            back = {"row": delta @ params.W_rec, "column": params.W_rec @ delta,
                    "none": 0.0}[carry]
        return dW_rec, dW_in, db
    return wrong


def test_ch3_ex5(capsys):
    out = accepts(capsys, "ch3-ex-5", my_bptt)
    assert "rnn.backward" in out and "central differences" in out
    rejects(capsys, "ch3-ex-5", _bptt_with(carry="none"), "only the term of the last step",
            "sums the paths")
    rejects(capsys, "ch3-ex-5", _bptt_with(carry="column"), "transpose in the carry")
    rejects(capsys, "ch3-ex-5", _bptt_with(state_at_t=True), "uses c_t", "c_{t-1}")
    rejects(capsys, "ch3-ex-5", _bptt_with(dact=activations.derivative), "at the state c_t",
            "pre-activation")
    other = {"sigmoid": "tanh", "tanh": "sigmoid"}
    rejects(capsys, "ch3-ex-5", _bptt_with(
        dact=lambda name, c: activations.derivative_from_output(other[name], c)),
        "derivative of tanh")
    rejects(capsys, "ch3-ex-5", _bptt_with(dact=lambda name, c: 1.0), "φ′(z_t) is missing")
    rejects(capsys, "ch3-ex-5", _bptt_with(first=1), "first step, t = 0, is missing")
    rejects(capsys, "ch3-ex-5", _bptt_with(from_zero=True), "c_{-1} ≠ 0", "pass c0")

    def term0(params, xs, y, c0=None):
        tr = rnn.forward(params, xs, c0)
        terms = rnn.bptt_terms(params, tr, bptt.last_state_loss_grad(tr, y))
        return terms.W_rec[0], terms.W_in[0], terms.b[0]

    rejects(capsys, "ch3-ex-5", term0, "term 0", "eq. (1)")

    def from_T_minus_2(params, xs, y, c0=None):     # the loop starts one step early
        trace = rnn.forward(params, xs, c0)
        dL_dc = bptt.last_state_loss_grad(trace, y)
        grads = [np.zeros_like(a) for a in (params.W_rec, params.W_in, params.b)]
        carry = np.zeros(params.n)
        for t in range(trace.T - 2, -1, -1):
            delta = (dL_dc[t] + carry) * trace.dact[t]
            grads[0] += np.outer(delta, trace.c_prev[t])
            grads[1] += np.outer(delta, xs[t])
            grads[2] += delta
            carry = delta @ params.W_rec
        return tuple(grads)

    rejects(capsys, "ch3-ex-5", from_T_minus_2, "all zero", "t = T − 1")
    rejects(capsys, "ch3-ex-5", lambda p, xs, y, c0=None: tuple(-a for a in my_bptt(p, xs, y, c0)),
            "wrong sign")
    rejects(capsys, "ch3-ex-5", lambda p, xs, y, c0=None: (
        my_bptt(p, xs, y, c0)[0].T,) + my_bptt(p, xs, y, c0)[1:], "dW_rec is transposed")
    rejects(capsys, "ch3-ex-5", lambda p, xs, y, c0=None: (
        my_bptt(p, xs, y, c0)[0], my_bptt(p, xs, y, c0)[1].T, my_bptt(p, xs, y, c0)[2]),
        "shape (2, 4)", "transposed")
    rejects(capsys, "ch3-ex-5", lambda p, xs, y, c0=None: (
        my_bptt(p, xs, y, c0)[1], my_bptt(p, xs, y, c0)[0], my_bptt(p, xs, y, c0)[2]),
        "wrong order")
    rejects(capsys, "ch3-ex-5", lambda p, xs, y, c0=None: (
        *my_bptt(p, xs, y, c0)[:2], 2 * my_bptt(p, xs, y, c0)[2]),
        "your db differs from central differences")
    rejects(capsys, "ch3-ex-5", lambda p, xs, y, c0=None: my_bptt(p, xs, y, c0)[:2],
            "three arrays")
    rejects(capsys, "ch3-ex-5", lambda p, xs, y: my_bptt(p, xs, y), "raised TypeError")

    def backward(p, xs, y, c0=None):
        tr = rnn.forward(p, xs, c0)
        return rnn.backward(p, tr, bptt.last_state_loss_grad(tr, y))

    rejects(capsys, "ch3-ex-5", backward, "rnn.RNNGrads", "write the loop")
    p = rnn.init(4, 2, rng=np.random.default_rng(0))
    rejects(capsys, "ch3-ex-5", my_bptt(p, np.ones((3, 2)), np.zeros(4)), "you gave its result")


def _truncated_relative_error(params, trace, dL_dc, K):
    full = bptt.stacked_gradient(rnn.backward(params, trace, dL_dc))
    part = bptt.stacked_gradient(bptt.truncated_backward(params, trace, dL_dc, K))
    return np.linalg.norm(part - full) / np.linalg.norm(full)


def smallest_K(params, trace, dL_dc, tol):
    return next(K for K in range(trace.T)
                if _truncated_relative_error(params, trace, dL_dc, K) <= tol)


def test_ch3_ex6(capsys):
    accepts(capsys, "ch3-ex-6", smallest_K)
    rejects(capsys, "ch3-ex-6", lambda p, tr, dL, tol: smallest_K(p, tr, dL, tol) + 1,
            "one too large", "lag")
    rejects(capsys, "ch3-ex-6", lambda p, tr, dL, tol: max(smallest_K(p, tr, dL, tol) - 1, 0),
            "still above tol")
    rejects(capsys, "ch3-ex-6", lambda p, tr, dL, tol: min(smallest_K(p, tr, dL, tol) + 3,
                                                           tr.T - 1), "smaller k already")

    def absolute(p, tr, dL, tol):
        full = bptt.stacked_gradient(rnn.backward(p, tr, dL))
        return next(K for K in range(tr.T) if np.linalg.norm(
            bptt.stacked_gradient(bptt.truncated_backward(p, tr, dL, K)) - full) <= tol)
    rejects(capsys, "ch3-ex-6", absolute, "absolute error", "relative")
    rejects(capsys, "ch3-ex-6", lambda p, tr, dL, tol: tr.T, "outside 0")
    rejects(capsys, "ch3-ex-6", lambda p, tr, dL, tol: 2.5, "whole number of steps")
    rejects(capsys, "ch3-ex-6", lambda p, tr, dL, tol: "3", "whole number K", "a string")
    rejects(capsys, "ch3-ex-6", 3, "function", "without parentheses")
    rejects(capsys, "ch3-ex-6", [3], "expected a function")


# --------------------------------------------------------------------------- chapter 4


def test_ch4_ex3(capsys):
    base = rnn.init(n=16, m=1, rng=np.random.default_rng(0), scale=8.0)
    accepts(capsys, "ch4-ex-3", rnn.RNNParams(base.W_rec, base.W_in, b=np.full(16, 20.0)))
    rejects(capsys, "ch4-ex-3", base, "not below 1e-20", "σ'")
    rejects(capsys, "ch4-ex-3", rnn.RNNParams(base.W_rec, base.W_in, b=np.full(16, 10.0)),
            "not below 1e-20")
    rejects(capsys, "ch4-ex-3", rnn.RNNParams(2 * base.W_rec, base.W_in, b=np.full(16, 20.0)),
            "is 16, not 8")
    rejects(capsys, "ch4-ex-3", rnn.RNNParams(base.W_rec, base.W_in, np.full(16, 20.0), "tanh"),
            "sigmoid")
    rejects(capsys, "ch4-ex-3", (base.W_rec, base.W_in), "rnn.RNNParams")


def test_ch4_ex4(capsys):
    keep = []
    for theta in (0.1, 1, 10, 100, 1000):
        P = exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30, clip=theta).params
        if np.all((P[:, 0] >= 3) & (P[:, 0] <= 8) & (P[:, 1] >= -4.5) & (P[:, 1] <= -1)):
            keep.append(theta)
    assert keep and len(keep) < 5
    accepts(capsys, "ch4-ex-4", keep)
    accepts(capsys, "ch4-ex-4", set(keep))
    accepts(capsys, "ch4-ex-4", np.array(keep[::-1]))
    rejects(capsys, "ch4-ex-4", keep + [1000], "θ = 1000", "leaves the plotted surface")
    rejects(capsys, "ch4-ex-4", keep[:-1], "missing")
    rejects(capsys, "ch4-ex-4", [3.0], "not one of the exercise's thresholds")
    rejects(capsys, "ch4-ex-4", [[0.1, 1], [10]], "flat list")


def test_ch4_ex5(capsys):
    net = rnn.init(16, 1, rng=np.random.default_rng(0), scale=4.0, activation="sigmoid",
                   recurrent="orthogonal")
    half = np.full(16, 0.5)
    b = -net.W_rec @ half
    out = accepts(capsys, "ch4-ex-5", b)
    assert "orthogonal" in out
    accepts(capsys, "ch4-ex-5", list(b))
    # the solution's claim: at c = ½·1 and zero input the step Jacobian is W_rec / 4
    centred = rnn.RNNParams(net.W_rec, net.W_in, b, "sigmoid")
    tr = rnn.forward(centred, np.zeros((2, 1)), c0=half)
    np.testing.assert_allclose(tr.c[-1], half, atol=1e-12)
    np.testing.assert_allclose(rnn.step_jacobian(centred, tr, 1), net.W_rec / 4, atol=1e-12)
    rejects(capsys, "ch4-ex-5", -b, "sign is flipped")
    rejects(capsys, "ch4-ex-5", 2 * b, "at c = 1")
    rejects(capsys, "ch4-ex-5", -net.W_rec.T @ half, "columns of W_rec", "transposed")
    rejects(capsys, "ch4-ex-5", np.zeros(16), "your bias is 0", "rnn.init")
    rejects(capsys, "ch4-ex-5", np.full(16, -2.0), "same for every unit", "mixes")
    rejects(capsys, "ch4-ex-5", b + 0.1 * np.arange(16), "pre-activations", "not 0")
    rejects(capsys, "ch4-ex-5", b[:15], "shape (16,)")
    rejects(capsys, "ch4-ex-5", centred, "bias alone")
    rejects(capsys, "ch4-ex-5", "b", "text")
    bad = b.copy()
    bad[3] = np.nan
    rejects(capsys, "ch4-ex-5", bad, "not finite")


# --------------------------------------------------------------------------- chapter 5


def test_ch5_ex2(capsys):
    def counts(n, m):
        rng = np.random.default_rng(1)
        return (cell.parameter_count(lstm.init(n, m, rng=rng)),
                cell.parameter_count(rnn.init(n, m, rng=rng)))

    accepts(capsys, "ch5-ex-2", counts)
    rejects(capsys, "ch5-ex-2", lambda n, m: (4 * n * (n + m), n * (n + m + 1)), "four biases")
    rejects(capsys, "ch5-ex-2", lambda n, m: counts(n, m)[::-1], "wrong order")
    rejects(capsys, "ch5-ex-2", lambda n, m: (counts(n, m)[1], counts(n, m)[1]), "simple RNN's")
    rejects(capsys, "ch5-ex-2", lambda n, m: (3 * counts(n, m)[1], counts(n, m)[1]), "three maps")
    rejects(capsys, "ch5-ex-2", lambda n, m: (counts(m, n)[0], counts(n, m)[1]), "roles of n")
    rejects(capsys, "ch5-ex-2", lambda n, m: (counts(n, m)[0], n * (n + m)), "the bias b")
    rejects(capsys, "ch5-ex-2", lambda n, m: (counts(n, m)[0] / 2.5, counts(n, m)[1]),
            "whole number")
    rejects(capsys, "ch5-ex-2", lambda n, m: counts(n, m)[0], "two numbers")
    rejects(capsys, "ch5-ex-2", counts(128, 64), "function")


def test_ch5_ex3(capsys):
    lo, hi = 0.0, 10.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cell.memory_run(mid, weight_scale=0.0, T=50).retained[-1] < 0.5 else (lo, mid)
    accepts(capsys, "ch5-ex-3", lo)
    closed_form = np.log(0.5 ** (1 / 50) / (1 - 0.5 ** (1 / 50)))
    accepts(capsys, "ch5-ex-3", closed_form)
    rejects(capsys, "ch5-ex-3", float(sigmoid(lo)), "σ(b_f)")
    rejects(capsys, "ch5-ex-3", np.log(50 / np.log(2)), "approximation")
    p49 = 0.5 ** (1 / 49)
    rejects(capsys, "ch5-ex-3", np.log(p49 / (1 - p49)), "49 steps")
    rejects(capsys, "ch5-ex-3", 3.0, "less than half", "too small")
    rejects(capsys, "ch5-ex-3", 6.0, "more than half", "too large")
    rejects(capsys, "ch5-ex-3", "4.27", "text")


def test_ch5_ex5(capsys):
    runs = [cell.carousel_run(w, activation="tanh", input_scale=0.0, c0=0.5) for w in (1.5, 2, 3)]
    ref = [r.error[100] for r in runs]
    # independent: the product of w · tanh'(z_t) along each run
    np.testing.assert_allclose(ref, [np.prod(w * (1 - r.c ** 2)) for w, r in zip((1.5, 2, 3), runs)],
                               rtol=1e-10)
    accepts(capsys, "ch5-ex-5", ref)
    accepts(capsys, "ch5-ex-5", np.array(ref))
    rejects(capsys, "ch5-ex-5", ref[::-1], "reverse order")
    rejects(capsys, "ch5-ex-5", np.log10(ref), "logarithms")
    rejects(capsys, "ch5-ex-5", [1.5 ** 100, 2.0 ** 100, 3.0 ** 100], "w^100", "c0=0.5")
    rejects(capsys, "ch5-ex-5", [r.error[99] for r in runs], "99 steps")
    rejects(capsys, "ch5-ex-5", [np.prod(1 - r.c ** 2) for r in runs], "weight w")
    rejects(capsys, "ch5-ex-5", [-x for x in ref], "positive")
    rejects(capsys, "ch5-ex-5", [ref[0], ref[1], 1e-100], "w = 3 differs")
    rejects(capsys, "ch5-ex-5", ref[:2], "shape (3,)")


# --------------------------------------------------------------------------- chapter 6


def printed_D(params, trace, t):
    D = lstm.cell_jacobian_terms(params, trace, t)[3]
    z_c = np.arctanh(trace.c_tilde[t])
    return (sigmoid(z_c) * (1 - sigmoid(z_c)) / (1 - trace.c_tilde[t] ** 2))[:, None] * D


def test_ch6_ex3(capsys):
    accepts(capsys, "ch6-ex-3", printed_D)
    rejects(capsys, "ch6-ex-3", lambda p, tr, t: lstm.cell_jacobian_terms(p, tr, t)[3],
            "correct D_t")

    def columns(p, tr, t):
        D = lstm.cell_jacobian_terms(p, tr, t)[3]
        per_unit = printed_D(p, tr, t)[:, 0] / D[:, 0]      # σ'(z_c)/tanh'(z_c), unit by unit
        return D * per_unit[None, :]                         # wrong: scales the columns

    rejects(capsys, "ch6-ex-3", columns, "columns", "row k")
    rejects(capsys, "ch6-ex-3", lambda p, tr, t: lstm.cell_jacobian_terms(p, tr, t)[3] / 4,
            "D_t/4", "unit by unit")

    def with_sigma(p, tr, t):
        D = lstm.cell_jacobian_terms(p, tr, t)[3]
        z_c = np.arctanh(tr.c_tilde[t])
        return (sigmoid(z_c) / (1 - tr.c_tilde[t] ** 2))[:, None] * D

    rejects(capsys, "ch6-ex-3", with_sigma, "σ(z_c)", "derivative")
    rejects(capsys, "ch6-ex-3", lambda p, tr, t: printed_D(p, tr, t).T, "transposed")
    rejects(capsys, "ch6-ex-3", lambda p, tr, t: -printed_D(p, tr, t), "sign")
    rejects(capsys, "ch6-ex-3", lambda p, tr, t: printed_D(p, tr, t)[:2], "shape (3, 3)")


def backward_step(params, trace, t, dh, dc, *, forget=True, h_path=True, candidate="tanh",
                  transpose=True, output_gate=True, c_prev=None):
    """The book's solution of ch6-ex-4; the keywords make the usual mistakes."""
    f, i, c_tilde, o = trace.f[t], trace.i[t], trace.c_tilde[t], trace.o[t]
    tanh_c = trace.tanh_c[t]
    c_prev = trace.c_prev[t] if c_prev is None else c_prev
    if h_path:
        dc = dc + dh * o * (1 - tanh_c ** 2)
    d_cand = 1 - c_tilde ** 2 if candidate == "tanh" else c_tilde * (1 - c_tilde)
    dz = {"f": dc * c_prev * f * (1 - f), "i": dc * c_tilde * i * (1 - i),
          "c": dc * i * d_cand, "o": dh * tanh_c * o * (1 - o)}
    gates = "fico" if output_gate else "fic"
    dh_prev = sum((params.U(g).T if transpose else params.U(g)) @ dz[g] for g in gates)
    return dh_prev, (f * dc if forget else dc)


def _ch6_lstm(n=3, m=2, T=6, seed=5):
    rng = np.random.default_rng(seed)
    params = lstm.init(n, m, rng=rng, forget_bias=0.5, weight_scale=1.5)
    trace = lstm.forward(params, rng.standard_normal((T, m)), h0=rng.standard_normal(n),
                         c0=rng.standard_normal(n))
    return params, trace, rng


def test_ch6_ex4_solution_is_bptt():
    """Chained from the last step to t = 0, the solution gives lstm.backward's ∂L/∂h0 and
    ∂L/∂c0; one step agrees with finite differences of L = dh·h_t + dc·c_t."""
    params, trace, rng = _ch6_lstm()
    dL_dh, dL_dc = rng.standard_normal((2,) + trace.h.shape)
    dh, dc = np.zeros(params.n), np.zeros(params.n)
    for t in range(trace.T - 1, -1, -1):
        dh, dc = backward_step(params, trace, t, dh + dL_dh[t], dc + dL_dc[t])
    grads = lstm.backward(params, trace, dL_dh, dL_dc)
    np.testing.assert_allclose(dh, grads.h0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dc, grads.c0, rtol=1e-12, atol=1e-14)
    n, t = params.n, 3
    dh_t, dc_t = rng.standard_normal((2, n))

    def loss(state):                                       # state = [h_{t-1}, c_{t-1}]
        step = lstm.forward(params, trace.xs[t:t + 1], state[:n], state[n:])
        return float(dh_t @ step.h[0] + dc_t @ step.c[0])

    fd = numdiff.finite_difference_gradient(loss, np.concatenate([trace.h[t - 1], trace.c[t - 1]]))
    assert numdiff.relative_error(np.concatenate(backward_step(params, trace, t, dh_t, dc_t)),
                                  fd) < 1e-7


def test_ch6_ex4(capsys):
    accepts(capsys, "ch6-ex-4", backward_step)
    accepts(capsys, "ch6-ex-4", lambda *a: list(backward_step(*a)))
    rejects(capsys, "ch6-ex-4", lambda *a: backward_step(*a, forget=False),
            "misses the forget gate", "f_t ⊙ ∂L/∂c_t")
    rejects(capsys, "ch6-ex-4", lambda *a: backward_step(*a, h_path=False),
            "through h_t = o_t ⊙ tanh(c_t)", "o_t ⊙ tanh'(c_t)")
    rejects(capsys, "ch6-ex-4", lambda *a: backward_step(*a, candidate="sigma"),
            "σ'", "tanh'(z_c) = 1 − c̃_t²")
    rejects(capsys, "ch6-ex-4", lambda *a: backward_step(*a, transpose=False), "U_gᵀ")
    rejects(capsys, "ch6-ex-4", lambda *a: backward_step(*a, output_gate=False),
            "misses the output gate", "U_oᵀ")
    rejects(capsys, "ch6-ex-4", lambda p, tr, t, dh, dc: backward_step(
        p, tr, t, dh, dc, c_prev=tr.c[t - 1]), "at t = 0", "trace.c0")
    rejects(capsys, "ch6-ex-4", lambda *a: backward_step(*a)[::-1], "swapped")
    rejects(capsys, "ch6-ex-4", lambda *a: tuple(-g for g in backward_step(*a)), "sign")
    rejects(capsys, "ch6-ex-4", lambda p, tr, t, dh, dc: (backward_step(p, tr, t, dh, dc)[0],
                                                          2 * dc), "your ∂L/∂c_{t−1} differs")
    rejects(capsys, "ch6-ex-4", lambda *a: np.concatenate(backward_step(*a)), "a pair",
            "a NumPy array")
    rejects(capsys, "ch6-ex-4", lambda *a: backward_step(*a)[:1], "a pair", "of length 1")
    rejects(capsys, "ch6-ex-4", lambda p, tr, t, dh, dc: (dh[:2], dc), "shape (3,)")
    rejects(capsys, "ch6-ex-4", lambda p, tr, t, dh, dc: (dh + np.inf, dc), "not finite")
    rejects(capsys, "ch6-ex-4", lambda p, tr: None, "raised TypeError")
    params, trace, rng = _ch6_lstm()
    rejects(capsys, "ch6-ex-4", backward_step(params, trace, 2, *rng.standard_normal((2, 3))),
            "you gave its result (a tuple)")
    rejects(capsys, "ch6-ex-4", 3.0, "expected a function")



def state_step(params, trace, t):
    """S_t from the four blocks derived by hand (the book's solution of ch6-ex-5)."""
    n = params.n
    f, i, ct, o, tc = trace.f[t], trace.i[t], trace.c_tilde[t], trace.o[t], trace.tanh_c[t]
    K = ((trace.c_prev[t] * f * (1 - f))[:, None] * params.U("f")
         + (ct * i * (1 - i))[:, None] * params.U("i")
         + (i * (1 - ct ** 2))[:, None] * params.U("c"))
    s = o * (1 - tc ** 2)
    S = np.zeros((2 * n, 2 * n))
    S[:n, :n] = (tc * o * (1 - o))[:, None] * params.U("o") + s[:, None] * K
    S[:n, n:] = np.diag(s * f)
    S[n:, :n] = K
    S[n:, n:] = np.diag(f)
    return S


def test_ch6_ex5(capsys):
    accepts(capsys, "ch6-ex-5", state_step)

    def block(fn, rows, cols, value):
        def wrong(p, tr, t):
            S = state_step(p, tr, t)
            n = p.n
            S[rows(n), cols(n)] = value(p, tr, t, S)
            return S
        return wrong

    first, second = (lambda n: slice(0, n)), (lambda n: slice(n, 2 * n))
    no_o = block(state_step, first, first, lambda p, tr, t, S: S[:p.n, :p.n] - (
        tr.tanh_c[t] * tr.o[t] * (1 - tr.o[t]))[:, None] * p.U("o"))
    rejects(capsys, "ch6-ex-5", no_o, "output gate", "U_o")
    eq6 = block(state_step, second, second,
                lambda p, tr, t, S: sum(lstm.cell_jacobian_terms(p, tr, t)))
    rejects(capsys, "ch6-ex-5", eq6, "eq. (6)", "diag(f_t)")
    bare = block(state_step, first, second, lambda p, tr, t, S: np.diag(tr.f[t]))
    rejects(capsys, "ch6-ex-5", bare, "tanh'(c_t)")
    held = block(state_step, second, first, lambda p, tr, t, S: S[p.n:, :p.n] * (
        tr.o[t - 1] * (1 - tr.tanh_c[t - 1] ** 2)))
    rejects(capsys, "ch6-ex-5", held, "diag(s_{t-1})")

    def swapped(p, tr, t):
        S = state_step(p, tr, t)
        n = p.n
        return np.block([[S[n:, n:], S[n:, :n]], [S[:n, n:], S[:n, :n]]])

    rejects(capsys, "ch6-ex-5", swapped, "[c; h]")
    rejects(capsys, "ch6-ex-5", lambda p, tr, t: state_step(p, tr, t).T, "transposed")
    rejects(capsys, "ch6-ex-5", lambda p, tr, t: 1.01 * state_step(p, tr, t), "differ from")
    rejects(capsys, "ch6-ex-5", lambda p, tr, t: state_step(p, tr, t)[:3], "S_2 should have shape (6, 6)")
    p, tr = lag_curves.random_lstm_trace(n=3, T=5)
    rejects(capsys, "ch6-ex-5", state_step(p, tr, 2), "function")


def eq4(params, trace, dE_dh, terms="eq6", reverse=False, readout=True):
    """The source's eq. (4) from the terms of eq. (6) (the book's solution of ch6-ex-6)."""
    v = dE_dh * (trace.o[-1] * (1 - trace.tanh_c[-1] ** 2) if readout else 1)
    steps = range(1, trace.T) if reverse else range(trace.T - 1, 0, -1)
    for t in steps:
        A, B, C, D = lstm.cell_jacobian_terms(params, trace, t)
        v = v @ (A + B + C + D if terms == "eq6" else B)
    f, i, ct = trace.f[0], trace.i[0], trace.c_tilde[0]
    u0 = np.concatenate([trace.h0, trace.xs[0]])
    dz = np.stack([v * trace.c0 * f * (1 - f), v * ct * i * (1 - i), v * i * (1 - ct ** 2),
                   np.zeros(params.n)])
    return dz[:, :, None] * u0[None, None, :]


def test_ch6_ex6(capsys):
    accepts(capsys, "ch6-ex-6", eq4)
    accepts(capsys, "ch6-ex-6", lambda p, tr, dE: list(eq4(p, tr, dE)))
    rejects(capsys, "ch6-ex-6", lambda p, tr, dE: eq4(p, tr, dE, terms="forget"), "B_t", "A_t+B_t")
    rejects(capsys, "ch6-ex-6", lambda p, tr, dE: eq4(p, tr, dE, reverse=True), "wrong way")
    rejects(capsys, "ch6-ex-6", lambda p, tr, dE: eq4(p, tr, dE, readout=False), "missing")

    def dL(tr, dE):
        d = np.zeros_like(tr.h)
        d[-1] = dE
        return d

    def full(p, tr, dE):
        g = lstm.backward(p, tr, dL(tr, dE))
        return np.stack([g.W_f, g.W_i, g.W_c, g.W_o])

    def term0(p, tr, dE):
        g = lstm.bptt_terms(p, tr, dL(tr, dE))
        return np.stack([g.W_f[0], g.W_i[0], g.W_c[0], g.W_o[0]])

    rejects(capsys, "ch6-ex-6", full, "true gradient", "one path")
    rejects(capsys, "ch6-ex-6", term0, "step 0", "W_o")

    def with_o(p, tr, dE):
        out = eq4(p, tr, dE)
        out[3] = full(p, tr, dE)[3]
        return out

    rejects(capsys, "ch6-ex-6", with_o, "W_o block is not zero")
    rejects(capsys, "ch6-ex-6", lambda p, tr, dE: -eq4(p, tr, dE), "sign")
    rejects(capsys, "ch6-ex-6", lambda p, tr, dE: eq4(p, tr, dE) * np.array([1, 1, 2, 1])[:, None, None],
            "block for W_c differs")
    rejects(capsys, "ch6-ex-6", lambda p, tr, dE: eq4(p, tr, dE)[:3], "shape (4, 3, 5)")
    rejects(capsys, "ch6-ex-6", lambda p, tr, dE: 1 / 0, "ZeroDivisionError")


# --------------------------------------------------------------------------- chapter 7


@pytest.fixture(scope="module")
def ch7_path():
    base = lstm.init(4, 1, rng=np.random.default_rng(0), forget_bias=3.0, weight_scale=0.5)
    W_f = base.W_f.copy()
    W_f[:, 4] = -8.0
    xs = np.zeros((100, 1))
    xs[50] = 2.0
    tr = lstm.forward(dataclasses.replace(base, W_f=W_f), xs)
    return survival.forget_path_norms(tr)[0]


def test_ch7_ex3(capsys, ch7_path):
    path = ch7_path
    ordinary, cue = path[48] / path[47], path[50] / path[49]
    accepts(capsys, "ch7-ex-3", (ordinary, cue))
    accepts(capsys, "ch7-ex-3", (path[20] / path[19], cue))
    rejects(capsys, "ch7-ex-3", (cue, ordinary), "wrong way round")
    rejects(capsys, "ch7-ex-3", (ordinary, 1 / cue), "below 1")
    rejects(capsys, "ch7-ex-3", (ordinary, path[51] / path[50]), "ordinary step", "lag")
    rejects(capsys, "ch7-ex-3", (0.5, cue), "ordinary step")
    rejects(capsys, "ch7-ex-3", (ordinary, cue * 100), "across the cue")


def lag_norms(params, trace, K, *, order="latest left", rows="ch and cc", norm=2):
    """The book's solution of ch7-ex-4; the keywords make the usual mistakes."""
    n, T = params.n, trace.T
    s = trace.o * (1 - trace.tanh_c ** 2)                # s_j = o_j ⊙ tanh'(c_j)
    P = np.eye(2 * n)
    norms = []
    for k in range(1, K + 1):
        j = T - 1 - k
        S = lstm.state_jacobian(params, trace, j + 1)
        P = P @ S if order == "latest left" else S @ P
        M = {"ch and cc": P[n:, :n] * s[j] + P[n:, n:], "cc": P[n:, n:], "all": P}[rows]
        norms.append(np.linalg.norm(M, norm))
    return np.array(norms)


def test_ch7_ex4_solution_is_the_true_derivative():
    params, trace = lag_curves.random_lstm_trace(n=5, T=15, weight_scale=2.0, seed=3)
    full = gradients.gradient_norm_vs_lag(params, trace, path="full")
    np.testing.assert_allclose(lag_norms(params, trace, 14), full[1:], rtol=1e-10)
    cell_ = gradients.gradient_norm_vs_lag(params, trace, path="cell")
    assert not np.allclose(full[2:], cell_[2:], rtol=1e-3)   # the exercise's comparison differs


def test_ch7_ex4(capsys):
    accepts(capsys, "ch7-ex-4", lag_norms)
    accepts(capsys, "ch7-ex-4", lambda *a: list(lag_norms(*a)))
    rejects(capsys, "ch7-ex-4", lambda *a: lag_norms(*a, order="earliest left"),
            "wrong order", "from the right")
    rejects(capsys, "ch7-ex-4", lambda p, tr, K: gradients.gradient_norm_vs_lag(
        p, tr, path="cell")[1:K + 1], "source's product", "output gates")

    def forget_only(p, tr, K):
        B = np.ones(p.n)
        out = []
        for k in range(1, K + 1):
            B = B * tr.f[tr.T - k]                         # the cc blocks diag(f_t), multiplied
            out.append(B.max())
        return out

    rejects(capsys, "ch7-ex-4", forget_only, "forget path", "only the cc blocks")
    rejects(capsys, "ch7-ex-4", lambda *a: lag_norms(*a, rows="cc"), "diag(s_j)", "missing")
    rejects(capsys, "ch7-ex-4", lambda *a: lag_norms(*a, rows="all"), "whole 2n × 2n product")
    rejects(capsys, "ch7-ex-4", lambda *a: lag_norms(*a, norm="fro"), "Frobenius", "spectral")
    full = lambda p, tr: gradients.gradient_norm_vs_lag(p, tr, path="full")  # noqa: E731
    rejects(capsys, "ch7-ex-4", lambda p, tr, K: full(p, tr)[:K], "one too small")
    rejects(capsys, "ch7-ex-4", lambda p, tr, K: full(p, tr)[2:K + 2], "one too large")
    rejects(capsys, "ch7-ex-4", lambda p, tr, K: full(p, tr)[:K + 1], "lags 1 … K", "identity")
    rejects(capsys, "ch7-ex-4", lambda *a: 1.5 * lag_norms(*a), "differ", "first at lag 1")
    rejects(capsys, "ch7-ex-4", lambda *a: lag_norms(*a)[:-1], "shape (10,)")
    params, trace = lag_curves.random_lstm_trace(n=3, T=12, seed=0)
    rejects(capsys, "ch7-ex-4", lag_norms(params, trace, 10), "you gave its result")



# --------------------------------------------------------------------------- chapter 8


def test_ch8_ex1(capsys):
    k = [np.log(1e-8) / np.log(1 / (1 + np.exp(-b))) for b in (0, 1, 3, 5)]
    accepts(capsys, "ch8-ex-1", k)
    accepts(capsys, "ch8-ex-1", np.round(k, 1))
    assert "Rounded up" in accepts(capsys, "ch8-ex-1", np.ceil(k))
    rejects(capsys, "ch8-ex-1", -np.array(k), "positive")
    rejects(capsys, "ch8-ex-1", 18.42 * np.exp([0, 1, 3, 5]), "approximation")
    rejects(capsys, "ch8-ex-1", np.array(k) / np.log(10), "ln 10")
    rejects(capsys, "ch8-ex-1", [k[0], k[1], k[2], 2000], "b_f = 5")


def test_ch8_ex3(capsys):
    params, trace = lag_curves.random_lstm_trace(n=16, T=301, forget_bias=5.0, weight_scale=1.0,
                                                seed=0)
    u = np.random.default_rng(1).standard_normal(16)
    u /= np.linalg.norm(u)
    g = survival.lstm_last_step_gradient(params, trace.xs[:100], u)
    assert 1 < np.linalg.norm(g) < 1000
    curves = survival.last_step_contributions(n=16, T=200, forget_bias=-2.0, weight_scale=1.0, seed=0)
    ratio = curves[2].norms[100] / curves[2].norms[0]
    clipped = [np.linalg.norm(exploding.clip_by_norm(g, th)) for th in (1.0, 1000.0)]
    accepts(capsys, "ch8-ex-3", (*clipped, ratio))
    rejects(capsys, "ch8-ex-3", (np.linalg.norm(g), clipped[1], ratio), "unclipped")
    rejects(capsys, "ch8-ex-3", (clipped[0], 1000.0, ratio), "does not lengthen")
    rejects(capsys, "ch8-ex-3", (*clipped, 1 / ratio), "inverted")
    rnn_ratio = curves[0].norms[100] / curves[0].norms[0]
    rejects(capsys, "ch8-ex-3", (*clipped, rnn_ratio), "RNN's", "LSTM")
    rejects(capsys, "ch8-ex-3", (clipped[0], 2 * clipped[1], ratio), "θ = 1000")


def clip(grads, threshold):
    """The book's solution of ch8-ex-4."""
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))     # the global norm ‖g‖
    scale = threshold / norm if norm > threshold else 1.0
    return [g * scale for g in grads]


def test_ch8_ex4_solution_clips_as_train_does():
    """train clips the flattened gradient with exploding.clip_by_norm: the same numbers."""
    params, trace = lag_curves.random_lstm_trace(n=4, T=30, forget_bias=5.0, seed=0)
    dL_dh = np.zeros(trace.h.shape)
    dL_dh[-1] = 1.0
    g = lstm.backward(params, trace, dL_dh)
    fields = [g.W_f, g.W_i, g.W_c, g.W_o, g.b_f, g.b_i, g.b_c, g.b_o]
    flat = np.concatenate([a.ravel() for a in fields])
    for theta in (0.1 * np.linalg.norm(flat), 10 * np.linalg.norm(flat)):
        np.testing.assert_allclose(np.concatenate([a.ravel() for a in clip(fields, theta)]),
                                   exploding.clip_by_norm(flat, theta), rtol=1e-14)


def test_ch8_ex4(capsys):
    accepts(capsys, "ch8-ex-4", clip)
    accepts(capsys, "ch8-ex-4", lambda gs, th: tuple(clip(gs, th)))
    rejects(capsys, "ch8-ex-4", lambda gs, th: [exploding.clip_by_norm(g, th) for g in gs],
            "each array on its own", "global norm", "direction")

    def always(gs, th):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in gs))
        return [g * th / norm for g in gs] if norm > 0 else gs

    rejects(capsys, "ch8-ex-4", always, "shorter than θ", "only shortens")
    def divides_by_zero(gs, th):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in gs))
        return [g / norm * min(norm, th) for g in gs]      # direction times length: 0/0

    with np.errstate(invalid="ignore", divide="ignore"):
        rejects(capsys, "ch8-ex-4", divides_by_zero, "NaN or inf", "all zeros", "its norm is 0")

    def inverted(gs, th):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in gs))
        return [g * norm / th for g in gs] if norm > th else gs

    rejects(capsys, "ch8-ex-4", inverted, "‖g‖/θ", "θ/‖g‖")

    def in_place(gs, th):
        norm = np.sqrt(sum(np.sum(g ** 2) for g in gs))
        for g in gs:
            g *= min(1.0, th / norm) if norm > 0 else 1.0
        return gs

    rejects(capsys, "ch8-ex-4", in_place, "changed the arrays it was given", "in place")
    rejects(capsys, "ch8-ex-4", lambda gs, th: [in_place(gs, th)][1:] or None, "returned None",
            "changed the arrays")
    rejects(capsys, "ch8-ex-4", lambda gs, th: None, "returned None", "new list")
    rejects(capsys, "ch8-ex-4", lambda gs, th: gs, "unchanged", "length θ")
    rejects(capsys, "ch8-ex-4", lambda gs, th: np.concatenate([g.ravel() for g in clip(gs, th)]),
            "list of arrays", "a NumPy array")
    rejects(capsys, "ch8-ex-4", lambda gs, th: clip(gs, th)[:-1], "returned 7 arrays for 8 arrays")
    rejects(capsys, "ch8-ex-4", lambda gs, th: [g.T for g in clip(gs, th)], "transposed")
    rejects(capsys, "ch8-ex-4", lambda gs, th: [0.5 * g for g in clip(gs, th)], "differ",
            "above θ")
    rejects(capsys, "ch8-ex-4", clip([np.ones(3)], 1.0), "you gave its result (a list)")


# --------------------------------------------------------------------------- the GRU chapter


def test_every_chapter_is_searched():
    assert [p.name[:4] for p in CHAPTERS] == ["line"] + [f"ch0{k}" for k in range(1, 10)] + ["ch10"]
    assert _chapter_of("gru-ex-1").name == "ch10_gru.ipynb"
    assert _chapter_of("la-ex-1").name == "linear_algebra.ipynb"


def test_gru_ex1(capsys):
    def counts(n, m):
        ours = sum(a.size for a in dataclasses.astuple(gru.init(n, m, rng=np.random.default_rng(2))))
        return ours, ours + 2 * n                  # PyTorch: b_iz, b_hz and b_ir, b_hr apart

    accepts(capsys, "gru-ex-1", counts)
    rejects(capsys, "gru-ex-1", lambda n, m: counts(n, m)[::-1], "wrong order")
    rejects(capsys, "gru-ex-1", lambda n, m: (counts(n, m)[0] - n, counts(n, m)[1]), "b_hn")
    rejects(capsys, "gru-ex-1", lambda n, m: (counts(n, m)[0], counts(n, m)[0]), "two biases")
    rejects(capsys, "gru-ex-1", lambda n, m: (4 * n * (n + m + 1), counts(n, m)[1]), "three maps")
    rejects(capsys, "gru-ex-1", lambda n, m: (counts(m, n)[0], counts(n, m)[1]), "roles of n")
    rejects(capsys, "gru-ex-1", lambda n, m: (counts(n, m)[0] + 0.5, counts(n, m)[1]),
            "whole number")
    rejects(capsys, "gru-ex-1", lambda n, m: (counts(n, m)[0], counts(n, m)[1] + 1), "too large")
    rejects(capsys, "gru-ex-1", lambda n, m: counts(n, m)[0], "two numbers")
    rejects(capsys, "gru-ex-1", counts(16, 8), "function")


def _gru_ex2_best(k: int = 100) -> float:
    """The best constant update bias, by a grid refined three times around the largest value of
    ‖∂h_k/∂x_0‖ of a one-unit GRU that reads no state (independent of the checker's search)."""
    def kept(b):
        zero = np.zeros((1, 2))
        unit = gru.GRUParams(W_z=zero, W_r=zero, W_n=np.array([[0.0, 1.0]]), b_z=[b], b_r=[0.0],
                             b_n=[0.0], b_hn=[0.0])
        return gru_survival.input_gradient_norms(unit, gru.forward(unit, np.zeros((k + 1, 1))))[k]

    lo, hi = 0.0, 10.0
    for _ in range(4):
        grid = np.linspace(lo, hi, 201)
        best = grid[int(np.argmax([kept(b) for b in grid]))]
        step = grid[1] - grid[0]
        lo, hi = best - step, best + step
    return float(best)


def test_gru_ex2(capsys):
    best = _gru_ex2_best()
    assert abs(best - np.log(100)) < 1e-6                      # the closed form of the solution
    assert "keeps" in accepts(capsys, "gru-ex-2", best)
    rejects(capsys, "gru-ex-2", float(sigmoid(best)), "gate's value")
    rejects(capsys, "gru-ex-2", np.log(101), "lag 101")
    rejects(capsys, "gru-ex-2", np.log(99), "lag 99")
    rejects(capsys, "gru-ex-2", best + 2, "writes less")
    rejects(capsys, "gru-ex-2", best - 2, "forgets faster")
    rejects(capsys, "gru-ex-2", [best, best], "one number")


# --------------------------------------------------------------------------- chapter 9


def test_ch9_ex1(capsys):
    real = [np.log(1e-3) / np.log(sigmoid(b)) for b in (2.0, 5.0)]
    accepts(capsys, "ch9-ex-1", np.ceil(real))
    assert "exact ratio" in accepts(capsys, "ch9-ex-1", real)
    rejects(capsys, "ch9-ex-1", np.floor(real), "one step later")
    rejects(capsys, "ch9-ex-1", np.log(1e3) * np.exp([2.0, 5.0]), "approximation")
    rejects(capsys, "ch9-ex-1", np.array(real) / np.log(10), "ln 10")
    rejects(capsys, "ch9-ex-1", [55, 55], "do not match")


def test_ch9_ex2(capsys):
    from rnngrad import train

    ref = [train.train("first_bit", "lstm_bf3", 70, seed=0, clip=c, probe_steps=()).steps
           for c in (1.0, None)]
    accepts(capsys, "ch9-ex-2", ref)
    rejects(capsys, "ch9-ex-2", ref[::-1], "swapped")
    rejects(capsys, "ch9-ex-2", [ref[0] + 1, ref[1]], "differs")


def test_ch9_ex3(capsys):
    from rnngrad import train

    W = train.train("first_bit", "rnn_tanh", 50, seed=0, noise=0.0, probe_steps=()).params.core.W_rec
    eig = np.linalg.eigvals(W)
    accepts(capsys, "ch9-ex-3", np.abs(eig).max())
    rejects(capsys, "ch9-ex-3", np.linalg.norm(W, 2), "singular value")
    rejects(capsys, "ch9-ex-3", eig[np.argmax(np.abs(eig))].real, "real part")
    rejects(capsys, "ch9-ex-3", 1.0, "differs")



# --------------------------------------------------------------------------- wording of messages


def _ch8_k():
    return np.array([np.log(1e-8) / np.log(1 / (1 + np.exp(-b))) for b in (0, 1, 3, 5)])


def test_sentence_capitalises_words_not_symbols():
    s = exercises._sentence
    assert s("your answer is text") == "Your answer is text"
    assert s("a ratio of two norms is positive.") == "A ratio of two norms is positive."
    assert s("at θ = 1 the gradient") == "At θ = 1 the gradient"
    for symbol in ("k* is positive", "b' still holds the bias", "g = 20 is outside", "x_t is",
                   "ln ε is negative", "e^{b_f} steps", "k is a lag", "np.linalg.eigvals(W)",
                   "σ(b_f) is", "‖W_rec‖₂ is 16", "`augment(params)` should", "4 is 1/γ"):
        assert s(symbol) == symbol


def test_symbols_at_the_start_keep_their_case(capsys):
    """Class report: "K* is positive", "B' still holds": a symbol was capitalised."""
    out = rejects(capsys, "ch8-ex-1", -_ch8_k(), "positive")
    assert "K*" not in out and "k*" in out
    twice = lambda p: rnn.RNNParams(p.W_rec, np.column_stack([p.W_in, p.b]), p.b, p.activation)  # noqa: E731
    out = rejects(capsys, "ch2-ex-3", twice, "added twice")
    assert "B'" not in out and "b'" in out


def _message_literals():
    """(line, text, literal text) of every message a checker can print: the first argument
    of _Wrong(…) and of problems.append(…), and the `what` phrase of _number/_array/_as_matrix
    (messages begin with it). In `text` a placeholder is kept as '{expression}'; the literal
    text leaves placeholders out."""
    import ast

    source = Path(exercises.__file__).read_text(encoding="utf-8")
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        index = {"_Wrong": 0, "append": 0, "_number": 1, "_array": 2, "_as_matrix": 2}.get(name)
        if index is None or len(node.args) <= index:
            continue
        arg = node.args[index]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            out.append((node.lineno, arg.value, arg.value))
        elif isinstance(arg, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else
                           "{" + ast.unparse(v.value) + "}" for v in arg.values)
            literal = "".join(v.value for v in arg.values if isinstance(v, ast.Constant))
            out.append((node.lineno, text, literal))
    return out


def test_every_message_starts_with_a_word():
    """No message starts with a symbol, a number or code (which a capital would change or a
    reader would misread); placeholders at the start hold phrases that start with a word."""
    literals = _message_literals()
    assert len(literals) > 100
    starts_with_phrase = {"{what}", "{at}", "{which}", "{_a(answer)}"}
    bad = []
    for line, text, _ in literals:
        first = text.split(" ", 1)[0]
        if any(first.startswith(p) for p in starts_with_phrase):
            continue
        if not re.fullmatch(r"[a-z]{2,}[,:;]?|a|no", first):
            bad.append((line, text[:50]))
    assert not bad, bad
    assert not [t for _, _, t in literals if "(s)" in t or "(es)" in t], "plurals by count"


def test_counts_agree_with_their_nouns(capsys, ch1_ex3):
    """Class report: "1 of your entries are not finite"."""
    one = ch1_ex3.copy()
    one[1, 2] = np.nan
    out = rejects(capsys, "ch1-ex-3", one, "1 entry that is not finite")
    assert "entries are" not in out
    two = ch1_ex3.copy()
    two[0, :2] = np.inf
    rejects(capsys, "ch1-ex-3", two, "2 entries that are not finite")

    def nan_at_diagonal(p, tr, ys):
        M = loss_step_norms(p, tr, ys)
        M[0, 0] = np.nan
        return M

    rejects(capsys, "ch3-ex-3", nan_at_diagonal, "1 entry that is not finite")
    k = _ch8_k()
    out = rejects(capsys, "ch8-ex-1", [k[0], k[1], k[2], 2000], "for b_f = 5 differs")
    assert "(s)" not in out
    rejects(capsys, "ch8-ex-1", [1.0, 1.0, k[2], k[3]], "for b_f = 0 and 1 differ")
    out = rejects(capsys, "ch8-ex-4", lambda gs, th: [np.zeros(3)], "returned 1 array for 8 arrays")
    assert "(s)" not in out
    keep = sorted(exercises._ch4_ex4_reference())
    out = rejects(capsys, "ch4-ex-4", keep[:-1], "missing 1 threshold that keeps")


def test_types_are_named_with_their_article(capsys):
    rejects(capsys, "ch3-ex-2", 3, "expected a function", "got an int")
    rejects(capsys, "ch4-ex-3", np.eye(2), "got a NumPy array")
    p = rnn.init(3, 2, rng=np.random.default_rng(0))
    out = rejects(capsys, "ch2-ex-3", augment(p), "you gave its result (an rnn.RNNParams)")
    assert "a RNNParams" not in out
    assert exercises._a(lstm.LSTMParams) == "an lstm.LSTMParams"
    assert exercises._a(deepnet.DeepNetParams) == "a deepnet.DeepNetParams"
    assert exercises._a(np.float64(1.0)) == "a NumPy float64"
    assert exercises._a(1.0) == "a float" and exercises._a({}) == "a dict"


def test_dicts_sets_and_text_in_lists_are_named(capsys):
    """Class report: a dict or a set got "(a list of lists of unequal length?)"."""
    k = _ch8_k()
    by_bias = dict(zip((0, 1, 3, 5), k))
    out = rejects(capsys, "ch8-ex-1", by_bias, "your answer is a dict", "list or a NumPy array",
                  "in the order")
    assert "unequal length" not in out
    out = rejects(capsys, "ch8-ex-1", set(k), "your answer is a set", "no order")
    assert "unequal length" not in out
    out = rejects(capsys, "ch5-ex-3", {4.0}, "your answer is a set;", "that number itself")
    assert "unequal length" not in out
    rejects(capsys, "ch5-ex-3", {"b_f": 4.0}, "your answer is a dict", "that number itself")
    rejects(capsys, "ch4-ex-4", {0.1: True, 1000: False}, "your answer is a dict")
    rejects(capsys, "ch8-ex-1", [str(x) for x in k], "text", "does not evaluate")
    rejects(capsys, "ch8-ex-1", [k[0], None, k[2], k[3]], "None")
    rejects(capsys, "ch1-ex-3", [[1, 2, 3], [4, 5]], "unequal length")
    rejects(capsys, "ch5-ex-3", (x for x in [1.0]), "a generator")


def test_ch8_ex1_rounded_down_gets_the_off_by_one(capsys):
    """Class report: k* rounded down got only "your k* … differ(s)"; ch9-ex-1 names it."""
    k = _ch8_k()
    out = rejects(capsys, "ch8-ex-1", np.floor(k), "rounded down", "still just above",
                  "one step later")
    assert "differ" not in out
    assert "b_f = 0 and 1" in out                 # at b_f = 3 and 5 the floor is within 0.5 %
    rejects(capsys, "ch8-ex-1", [np.floor(k[0]), k[1], k[2], k[3]], "b_f = 0 is rounded down")
    accepts(capsys, "ch8-ex-1", [np.ceil(k[0]), k[1], k[2], k[3]])     # mixing is fine
    real = [np.log(1e-3) / np.log(sigmoid(b)) for b in (2.0, 5.0)]
    rejects(capsys, "ch9-ex-1", [np.floor(real[0]), np.ceil(real[1])], "b_f = 2",
            "one step later")
    accepts(capsys, "ch9-ex-1", [np.ceil(real[0]), real[1]])
