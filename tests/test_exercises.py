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
                     gru_survival, lag_curves, lstm, rnn, survival)
from rnngrad.activations import sigmoid

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("ch[0-9][0-9]_*.ipynb"))


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


def test_ch6_ex4(capsys):
    gaps = [gradients.cell_path_gap(*lag_curves.random_lstm_trace(
        n=8, T=21, forget_bias=1.0, weight_scale=ws, seed=0)).rel_diff[20]
        for ws in (0.25, 0.5, 1.0, 2.0, 4.0)]
    accepts(capsys, "ch6-ex-4", gaps)
    rejects(capsys, "ch6-ex-4", gaps[::-1], "reverse order")
    rejects(capsys, "ch6-ex-4", 100 * np.array(gaps), "percentages")
    rejects(capsys, "ch6-ex-4", gaps[:4], "shape (5,)")
    rejects(capsys, "ch6-ex-4", [gaps[0], gaps[1], gaps[2], gaps[3], 0.5], "weight scale 4 differs")


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


def test_ch7_ex4(capsys):
    ratios, rnn_ratios = [], []
    for b in (0.0, 1.0, 3.0):
        curves = survival.last_step_contributions(n=16, T=200, forget_bias=b, weight_scale=1.0,
                                                  seed=0)
        ratios.append(curves[2].norms[100] / curves[2].norms[0])
        rnn_ratios.append(curves[1].norms[100] / curves[1].norms[0])
    accepts(capsys, "ch7-ex-4", ratios)
    rejects(capsys, "ch7-ex-4", 1 / np.array(ratios), "inverted")
    rejects(capsys, "ch7-ex-4", ratios[::-1], "reverse order")
    rejects(capsys, "ch7-ex-4", rnn_ratios, "tanh RNN", "LSTM")
    rejects(capsys, "ch7-ex-4", [1.0, 1.0, 1.0], "differ")


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


def test_ch8_ex4(capsys):
    grid = np.arange(0.0, 3.01, 0.25)
    sw = survival.forget_bias_sweep(grid, lags=(300,), n=16, weight_scale=1.0, seeds=range(5))
    median = np.median(sw.norms[:, :, 0], axis=1)
    first = float(grid[np.argmax(median > 1e-8)])
    assert 0 < first < 3
    accepts(capsys, "ch8-ex-4", first)
    rejects(capsys, "ch8-ex-4", first - 0.25, "not above 1e-8")
    rejects(capsys, "ch8-ex-4", first + 0.5, "smallest")
    rejects(capsys, "ch8-ex-4", -np.log(np.expm1(-np.log(1e-8) / 300)), "constant-gate estimate")
    rejects(capsys, "ch8-ex-4", first + 0.1, "not a point of the grid")


# --------------------------------------------------------------------------- the GRU chapter


def test_every_chapter_is_searched():
    assert [p.name[:4] for p in CHAPTERS] == [f"ch0{k}" for k in range(1, 10)] + ["ch10"]
    assert _chapter_of("gru-ex-1").name == "ch10_gru.ipynb"


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
    gaps = [gradients.cell_path_gap(*lag_curves.random_lstm_trace(
        n=8, T=21, forget_bias=1.0, weight_scale=ws, seed=0)).rel_diff[20]
        for ws in (0.25, 0.5, 1.0, 2.0, 4.0)]
    out = rejects(capsys, "ch6-ex-4", gaps[:4] + [0.5], "your value for the weight scale 4 differs")
    assert "(s)" not in out
    rejects(capsys, "ch6-ex-4", gaps[:3] + [0.5, 0.5],
            "your values for the weight scales 2 and 4 differ")
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
