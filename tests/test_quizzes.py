"""The self-test pages book/quiz_part1.md and book/quiz_part2.md (written by tools/quizzes.py).

* The committed pages are what tools/quizzes.py writes (no hand edits drift away).
* Every numeric answer stored in a page agrees with an independent computation with rnngrad
  (or SymPy), and so does the fact behind each multiple-choice answer that has one.
* Every question has its feedback element; every multiple-choice question exactly one
  correct option; the page carries its script and no CDN.
(The rendered HTML is checked in test_student_edition.py; clicking in a browser in
tests/browser/test_quiz.py.)
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from rnngrad import cell, exploding, gradients, gru, lag_curves, lstm, rnn, survival, symbolic
from rnngrad.activations import GAMMA, derivative_from_output, sigmoid

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import quizzes  # noqa: E402

PAGES = {"quiz-part1": ROOT / "book" / "quiz_part1.md", "quiz-part2": ROOT / "book" / "quiz_part2.md"}


def parse(path: Path) -> dict[str, dict]:
    """Questions by id: kind, stored answer and tolerances, options (text, correct?)."""
    text = path.read_text(encoding="utf-8")
    out = {}
    blocks = re.split(r'(?=<div class="quiz-q")', text)[1:]
    for block in blocks:
        head = re.match(r'<div class="quiz-q"([^>]*)>', block).group(1)
        attrs = {k: html.unescape(v) for k, v in re.findall(r'([\w-]+)="([^"]*)"', head)}
        options = [(html.unescape(re.sub(r"<[^>]+>", "", label)).strip(), correct == "true")
                   for correct, label in re.findall(
                       r'<button type="button" class="quiz-option"[^>]*data-correct="(true|false)"'
                       r'[^>]*>(.*?)</button>', block)]
        out[attrs["id"]] = dict(attrs, options=options, block=block)
    return out


@pytest.fixture(scope="module")
def questions():
    return {label: parse(path) for label, path in PAGES.items()}


def answer(questions, qid):
    q = questions[qid.rsplit("-q", 1)[0]][qid]
    assert q["data-kind"] == "number"
    return float(q["data-answer"]), float(q["data-rtol"]), float(q["data-atol"])


def correct_option(questions, qid):
    q = questions[qid.rsplit("-q", 1)[0]][qid]
    right = [text for text, ok in q["options"] if ok]
    assert len(right) == 1, q["options"]
    return right[0]


def test_pages_are_what_the_generator_writes():
    assert quizzes.main(["--check"]) == 0, "run .venv/bin/python tools/quizzes.py"


def test_structure(questions):
    for label, qs in questions.items():
        assert len(qs) >= 5, label
        text = PAGES[label].read_text(encoding="utf-8")
        assert f"({label})=" in text and "<script>" in text and "<style>" in text
        assert "http://" not in text and "https://" not in text      # nothing from a CDN
        for qid, q in qs.items():
            assert 'class="quiz-feedback"' in q["block"], qid
            assert "*Where to read:* {" in q["block"], qid
            if q["data-kind"] == "choice":
                assert len(q["options"]) >= 3 and sum(ok for _, ok in q["options"]) == 1, qid
            else:
                assert np.isfinite(float(q["data-answer"]))
                assert 'class="quiz-input"' in q["block"] and 'class="quiz-check"' in q["block"]
                for key in ("data-right", "data-low", "data-high"):
                    assert q[key].strip(), (qid, key)
    kinds = [q["data-kind"] for qs in questions.values() for q in qs.values()]
    assert kinds.count("number") >= 4 and kinds.count("choice") >= 6


# --------------------------------------------------------------------------- Part I


def test_part1_factor_count(questions):
    """2L + 1 factors, counted by SymPy on the nested derivative (as chapter 1 does)."""
    L = 5
    x, phi, E = sp.Symbol("x"), sp.Function("phi"), sp.Function("E")
    w, b = sp.symbols(f"w1:{L + 1}"), sp.symbols(f"b1:{L + 1}")
    a = x
    for layer in range(L):
        a = phi(w[layer] * a + b[layer])
    n_factors = len(sp.Mul.make_args(sp.diff(E(a), w[0])))
    assert correct_option(questions, "quiz-part1-q1") == f"(c) {n_factors}"


def test_part1_max_sigmoid_slope(questions):
    value, rtol, _ = answer(questions, "quiz-part1-q2")
    s = sigmoid(np.linspace(-30, 30, 600001))
    measured = derivative_from_output("sigmoid", s).max()
    assert value == pytest.approx(measured, rel=1e-9) and value == GAMMA["sigmoid"]
    assert rtol < 0.01


def test_part1_eq1_is_one_term(questions):
    """Eq. (1) is term 0; with c_{-1} = 0 its W_rec block is zero, the gradient's is not."""
    assert "zero gradient" in correct_option(questions, "quiz-part1-q3")
    rng = np.random.default_rng(7)
    p = rnn.init(4, 2, rng=rng, scale=1.5)
    tr = rnn.forward(p, rng.standard_normal((8, 2)))
    dL = np.zeros(tr.c.shape)
    dL[-1] = rng.standard_normal(4)
    assert not rnn.bptt_terms(p, tr, dL).W_rec[0].any()
    assert np.linalg.norm(rnn.backward(p, tr, dL).W_rec) > 1e-3


def test_part1_jacobian_is_diag_on_the_left(questions):
    assert r"\operatorname{diag}(\sigma'(z_t))\,W_\mathrm{rec}" in correct_option(questions, "quiz-part1-q4")
    rng = np.random.default_rng(3)
    p = rnn.init(3, 1, rng=rng, scale=2.0)
    tr = rnn.forward(p, rng.standard_normal((4, 1)))
    J = rnn.step_jacobian(p, tr, 2)
    assert np.allclose(J, np.diag(tr.dact[2]) @ p.W_rec)
    assert not np.allclose(J, p.W_rec @ np.diag(tr.dact[2]))


def test_part1_bound(questions):
    value, rtol, _ = answer(questions, "quiz-part1-q5")
    assert value == pytest.approx(0.75 ** 20, rel=1e-12)
    for seed in range(4):                       # and the bound holds on random networks
        rng = np.random.default_rng(seed)
        p = rnn.init(8, 1, rng=rng, scale=3.0)
        norms = gradients.gradient_norm_vs_lag(p, rnn.forward(p, rng.standard_normal((21, 1))))
        assert norms[20] <= value * (1 + 1e-9)
    assert 0 < rtol <= 0.02


def test_part1_above_threshold_most_vanish(questions):
    assert "most such networks still vanish" in correct_option(questions, "quiz-part1-q6")
    norms = []
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        p = rnn.init(16, 1, rng=rng, scale=8.0)
        norms.append(gradients.gradient_norm_vs_lag(p, rnn.forward(p, rng.standard_normal((51, 1))))[50])
    assert np.median(norms) < 1


def test_part1_clipping_keeps_direction_and_ratios(questions):
    assert "keeping its direction" in correct_option(questions, "quiz-part1-q7")
    g = np.array([300.0, 4.0, 1e-6])
    c = exploding.clip_by_norm(g, 1.0)
    assert np.linalg.norm(c) == pytest.approx(1.0)
    assert c[2] / c[0] == pytest.approx(g[2] / g[0])


# --------------------------------------------------------------------------- Part II


def test_part2_parameter_count(questions):
    value, rtol, atol = answer(questions, "quiz-part2-q1")
    p = lstm.init(16, 8, rng=np.random.default_rng(1))
    assert value == sum(getattr(p, f"{k}_{g}").size for g in "fico" for k in "Wb")
    assert value == cell.parameter_count(p) and rtol == atol == 0


def test_part2_forget_path_has_no_weights(questions):
    assert r"B_t = \operatorname{diag}(f_t)" in correct_option(questions, "quiz-part2-q2")
    params, trace = lag_curves.random_lstm_trace(n=4, T=6, seed=2)
    A, B, C, D = lstm.cell_jacobian_terms(params, trace, 3)
    assert np.array_equal(B, np.diag(trace.f[3]))


def _constant_gate_path(forget_bias: float, T: int) -> np.ndarray:
    """Forget-path norms of an LSTM with zero weights: gates constant at σ(b_f)."""
    base = lstm.init(2, 1, rng=np.random.default_rng(0), forget_bias=forget_bias, weight_scale=0.0)
    return survival.forget_path_norms(lstm.forward(base, np.zeros((T + 1, 1))))[0]


def test_part2_steps_below(questions):
    value, _, atol = answer(questions, "quiz-part2-q3")
    path = _constant_gate_path(2.0, 200)
    assert value == int(np.argmax(path < 1e-4))
    assert atol <= 1


def test_part2_lstms_can_vanish(questions):
    assert "decays" in correct_option(questions, "quiz-part2-q4")
    _, trace = lag_curves.random_lstm_trace(n=16, T=101, forget_bias=0.0, seed=0)
    assert survival.forget_path_norms(trace)[0][100] < 1e-8


def test_part2_printed_D_is_four_times_too_small(questions):
    assert correct_option(questions, "quiz-part2-q5") == "(b) 4 times too small."
    z = sp.Symbol("z")
    ratio = sp.diff(1 / (1 + sp.exp(-z)), z) / sp.diff(sp.tanh(z), z)
    assert sp.nsimplify(ratio.subs(z, 0)) == sp.Rational(1, 4)


def test_part2_kept_fraction(questions):
    value, rtol, _ = answer(questions, "quiz-part2-q6")
    assert value == pytest.approx(_constant_gate_path(3.0, 25)[20], rel=1e-9)
    assert value == pytest.approx(float(sigmoid(np.array(3.0))) ** 20, rel=1e-9)
    assert 0 < rtol <= 0.05


def test_part2_product_of_terms_misses_paths(questions):
    assert "exact for one step" in correct_option(questions, "quiz-part2-q7")
    gap = gradients.cell_path_gap(*lag_curves.random_lstm_trace(n=8, T=21, weight_scale=2.0, seed=0))
    assert gap.rel_diff[1] < 1e-12 and gap.rel_diff[20] > 0.01


def test_part2_gru_update_gate_is_the_direct_path(questions):
    assert r"\operatorname{diag}(z_t)" in correct_option(questions, "quiz-part2-q8")
    params, trace = lag_curves.random_gru_trace(n=4, T=6, seed=2)
    terms = gru.step_jacobian_terms(params, trace, 3)
    assert np.array_equal(terms.direct, np.diag(trace.z[3]))


def test_part2_gru_conventions(questions):
    assert "relabelling" in correct_option(questions, "quiz-part2-q9")
    checks = symbolic.gru_conventions(2, 1)
    assert checks["z ↔ 1 - z"].holds and not checks["reset after = before"].holds


def test_part2_gru_written_and_kept(questions):
    value, rtol, _ = answer(questions, "quiz-part2-q10")
    z = float(sigmoid(np.array(3.0)))
    assert value == pytest.approx((1 - z) * z ** 20, rel=1e-9)
    assert 0 < rtol <= 0.05


# --------------------------------------------------------------------------- reading a typed number

HARNESS = r"""
// Runs a quiz page's own <script> against a stand-in for one numeric question's DOM, types
// each input, clicks Check and prints the feedback texts as JSON.
const vm = require("vm");
const data = JSON.parse(require("fs").readFileSync(0, "utf8"));
const out = [];
for (const q of data.questions) {
  const handlers = {};
  const fb = {textContent: "", className: ""};
  const input = {value: "", addEventListener(ev, fn) { handlers["input-" + ev] = fn; }};
  const check = {addEventListener(ev, fn) { handlers["check-" + ev] = fn; }};
  const parts = {".quiz-feedback": fb, "button.quiz-check": check, "input.quiz-input": input};
  const el = {dataset: q.dataset, querySelectorAll() { return []; },
              querySelector(sel) { return parts[sel] || null; }};
  const document = {querySelectorAll(sel) { return sel === ".quiz-q" ? [el] : []; }};
  vm.runInNewContext(data.script, {document});
  out.push(q.inputs.map(function (typed) {
    input.value = typed;
    handlers["check-click"]();
    return fb.textContent;
  }));
}
console.log(JSON.stringify(out));
"""


def _type_into(questions, cases: dict[str, list[str]]) -> dict[str, list[str]]:
    """Feedback of the page's script for each number typed into each question."""
    import json
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    page = PAGES["quiz-part1"].read_text(encoding="utf-8")
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    qs = []
    for qid, inputs in cases.items():
        q = questions[qid.rsplit("-q", 1)[0]][qid]
        qs.append({"dataset": {k[5:]: v for k, v in q.items() if k.startswith("data-")},
                   "inputs": inputs})
    run = subprocess.run([node, "-e", HARNESS],
                         input=json.dumps({"script": script, "questions": qs}),
                         capture_output=True, text=True, check=True, timeout=60)
    return dict(zip(cases, json.loads(run.stdout)))


def test_both_pages_carry_the_same_script():
    scripts = {label: path.read_text(encoding="utf-8").split("<script>", 1)[1]
               for label, path in PAGES.items()}
    assert len(set(scripts.values())) == 1


def test_numbers_with_thousands_separators_and_decimal_commas(questions):
    """Class report: "1,600" was read as 1.6. A comma between groups of three digits is a
    thousands separator; any other single comma is a decimal comma; the feedback says how a
    comma was read. Text that is not a plain decimal number is not read."""
    low2 = questions["quiz-part2"]["quiz-part2-q1"]["data-low"]            # answer 1600
    high1 = questions["quiz-part1"]["quiz-part1-q2"]["data-high"]          # answer 0.25
    got = _type_into(questions, {
        "quiz-part2-q1": ["1600", "1,600", "+1,600", "1 600", "1,600.0", "1.6", "1,6", "16,00",
                          "1,60,0", "1.600,5", "0x640", "1600 units", ""],
        "quiz-part1-q2": ["0.25", "0,25", "0,250", ".25", ",25", "1,250", "2.5e-1", "2,5e-1",
                          "12,345,678", "12 345 678", "12,345 678"],
        "quiz-part1-q5": ["3.17e-3", "3,17e-3", "3.17e\u22123", "\u22123.17e-3"],
    })
    p2, p1, bound = got["quiz-part2-q1"], got["quiz-part1-q2"], got["quiz-part1-q5"]
    for text in p2[:5]:
        assert text.startswith("Correct. "), p2
    assert "Read 1,600 as 1600" in p2[1] and "thousands" in p2[1]
    assert "Read" not in p2[0] and "Read" not in p2[3]          # nothing ambiguous to explain
    assert p2[5] == "Not quite. " + low2                         # 1.6: a decimal point, as before
    assert p2[6].startswith("Not quite. " + low2) and "Read 1,6 as 1.6" in p2[6]
    assert "decimal comma" in p2[6]
    assert p2[7].startswith("Not quite. " + low2) and "as 16" in p2[7]
    for text in p2[8:]:
        assert text.startswith("Not quite. Type a number"), p2
    for text in p1[:5]:
        assert text.startswith("Correct. "), p1
    assert "decimal comma" in p1[1] and "decimal comma" in p1[2]
    assert p1[5].startswith("Not quite. " + high1) and "as 1250" in p1[5]
    assert p1[6].startswith("Correct. ") and p1[7].startswith("Correct. ")
    assert p1[8].startswith("Not quite. " + high1) and "Read 12,345,678 as 12345678" in p1[8]
    assert p1[9] == "Not quite. " + high1                      # spaces are not ambiguous
    assert p1[10].startswith("Not quite. Type a number")       # one separator per number
    assert all(text.startswith("Correct. ") for text in bound[:3]), bound
    assert bound[3].startswith("Not quite. ") and "Type a number" not in bound[3]


def test_generator_reports_in_agreement(tmp_path, monkeypatch, capsys):
    """"(1 questions)": the count printed by tools/quizzes.py agrees with its noun."""
    (tmp_path / "book").mkdir()
    monkeypatch.setattr(quizzes, "ROOT", tmp_path)
    one = quizzes.Quiz("quiz_one", "quiz-one", "One", "One question.", [
        quizzes.Number("Two?", 2.0, "Yes.", "Too small.", "Too large.", "{ref}`x`")])
    monkeypatch.setattr(quizzes, "QUIZZES", (lambda: one,))
    assert quizzes.main([]) == 0
    assert "(1 question)" in capsys.readouterr().out
