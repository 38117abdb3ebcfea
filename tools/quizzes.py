"""Write the two self-test pages, book/quiz_part1.md and book/quiz_part2.md.

    .venv/bin/python tools/quizzes.py           # rewrite both pages
    .venv/bin/python tools/quizzes.py --check   # exit 1 if a page differs from this script

The questions live here, once; every numeric answer (and the number behind a multiple-choice
answer, where there is one) is computed with rnngrad when the pages are written, and
tests/test_quizzes.py checks them again independently. The pages work in the static site,
without a kernel and offline: each question is a block of HTML with the question text in
MyST markdown (so math and cross-references work), and a few lines of vanilla JavaScript at
the end of the page give immediate feedback. Answers are compared, never evaluated.
"""

from __future__ import annotations

import argparse
import html
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rnngrad import cell, gru, gru_survival, lstm
from rnngrad.activations import GAMMA, sigmoid

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Choice:
    """A multiple-choice question: exactly one option is correct."""

    text: str                                   # MyST markdown
    options: list[tuple[str, bool, str]]        # (option, correct?, feedback); $math$ allowed
    see: str                                    # MyST markdown: where to read


@dataclass
class Number:
    """A numeric question: right when |x − answer| ≤ max(atol, rtol·|answer|)."""

    text: str
    answer: float
    right: str
    low: str
    high: str
    see: str
    rtol: float = 0.0
    atol: float = 0.0
    placeholder: str = "a number"


@dataclass
class Quiz:
    name: str
    label: str
    title: str
    intro: str
    questions: list = field(default_factory=list)


# --------------------------------------------------------------------------- computed answers


def factors_of_first_layer_gradient(L: int) -> int:
    """2L + 1: E'(a_L), L activation derivatives, L − 1 weights and the input (chapter 1)."""
    return 2 * L + 1


def max_sigmoid_slope() -> float:
    z = np.linspace(-10.0, 10.0, 20001)
    s = sigmoid(z)
    return float(np.max(s * (1 - s)))


def rnn_bound(norm: float, lag: int, activation: str = "sigmoid") -> float:
    """Chapter 4's bound (γ‖W_rec‖₂)^k on ‖∂c_k/∂c_{k−lag}‖₂."""
    return float((GAMMA[activation] * norm) ** lag)


def lstm_parameters(n: int, m: int) -> int:
    return cell.parameter_count(lstm.init(n, m, rng=np.random.default_rng(0)))


def steps_below(forget_bias: float, eps: float) -> int:
    """First number of steps after which a constant gate σ(b_f) keeps less than eps."""
    kept = cell.memory_run(forget_bias, weight_scale=0.0, T=2000).retained   # σ(b_f)^(t+1)
    return int(np.argmax(kept < eps)) + 1


def kept_after(forget_bias: float, steps: int) -> float:
    return float(cell.memory_run(forget_bias, weight_scale=0.0, T=steps).retained[-1])


def printed_over_correct_D(z_c: float = 0.0) -> float:
    """σ'(z_c)/tanh'(z_c): the source's D_t relative to the correct one (chapter 6)."""
    s = float(sigmoid(np.array(z_c)))
    return s * (1 - s) / (1 - math.tanh(z_c) ** 2)


def written_and_kept(update_bias: float, steps: int) -> float:
    """‖∂h_k/∂x_0‖ for a one-unit GRU whose update gate is held at σ(b_z) (it reads no state):
    the part of a write that survives ``steps`` steps, (1 - z) z^k (the GRU chapter)."""
    zero = np.zeros((1, 2))
    unit = gru.GRUParams(W_z=zero, W_r=zero, W_n=np.array([[0.0, 1.0]]), b_z=[update_bias],
                         b_r=[0.0], b_n=[0.0], b_hn=[0.0])
    trace = gru.forward(unit, np.zeros((steps + 1, 1)))
    return float(gru_survival.input_gradient_norms(unit, trace)[steps])


# --------------------------------------------------------------------------- the questions


def part1() -> Quiz:
    L = 5
    n_factors = factors_of_first_layer_gradient(L)
    bound = rnn_bound(3.0, 20)
    return Quiz("quiz_part1", "quiz-part1", "Self-test: Part I",
                "Questions on chapters 1–4, from {doc}`ch01_deep_networks` to "
                "{doc}`ch04_rnn_jacobian`.",
                [
        Choice(rf"A network of width one has $L = {L}$ sigmoid layers. How many factors does the "
               r"chain rule give for $\partial E/\partial w_1$, the gradient of the first layer's "
               r"weight?",
               [(str(L), False, "That is one factor per layer. Every layer above the first "
                                "contributes a weight and an activation derivative."),
                (str(2 * L), False, "One short. A weight and a σ′ per layer gives 2L, but w_1 is "
                                    "what we differentiate by, not a factor; the factors that "
                                    "appear only once, E′(a_L) and the input x, come on top."),
                (str(n_factors), True, "One loss derivative, L activation derivatives, L − 1 "
                                       "weights and the input: 2L + 1."),
                (str(3 * L), False, "Three per layer is the classroom note's count; each extra "
                                    "layer adds two factors, a weight and a σ′.")],
               "{ref}`ch1-counting`"),
        Number(r"What is the largest value of the sigmoid's derivative $\sigma'(z)$, over all "
               r"real $z$?", max_sigmoid_slope(),
               "σ′(z) = σ(z)(1 − σ(z)) = 1/4 − (σ(z) − 1/2)², largest at z = 0.",
               "Too small. Where is σ′ largest, and what is σ there?",
               "Too large. σ′(z) = σ(z)(1 − σ(z)) with σ(z) between 0 and 1.",
               "{ref}`ch1-sigma-bound`", rtol=1e-3),
        Choice(r"The source article writes the gradient of an RNN as one product, its eq. (1). "
               r"What is it, compared with the gradient that BPTT computes?",
               [("The full gradient, written compactly.", False,
                 "It follows one path only: the one on which W acts at the first step. W acts "
                 "at every step, and the gradient sums over all of them."),
                ("One term of the sum over steps; with $c_{-1} = 0$ it even gives the recurrent "
                 "weights a zero gradient.", True,
                 "It keeps the term j = 0 only. The other terms, with the immediate derivative "
                 "∂⁺c_j/∂W, carry almost all of the gradient."),
                ("Right for the sigmoid, wrong for tanh.", False,
                 "The activation is not the issue: what is missing is the sum over the steps "
                 "where W enters."),
                ("The same number up to rounding errors.", False,
                 "Its relative error is close to 1 for every T ≥ 3.")],
               "{ref}`ch3-eq1` and {ref}`ch3-paths`"),
        Choice(r"For an RNN with $n$ units, what is $\partial c_t/\partial c_{t-1}$?",
               [(r"A vector of length $n$, $\sigma'(z_t) \odot W_\mathrm{rec}$.", False,
                 "The derivative of a vector with respect to a vector is a matrix: entry (i, j) "
                 "is ∂c_{t,i}/∂c_{t−1,j}."),
                (r"The $n \times n$ matrix $\operatorname{diag}(\sigma'(z_t))\,W_\mathrm{rec}$.",
                 True, "Unit i's slope σ′(z_{t,i}) scales row i: the diagonal factor is on the "
                       "left."),
                (r"The $n \times n$ matrix $W_\mathrm{rec}\operatorname{diag}(\sigma'(z_t))$.",
                 False, "That scales the columns. Unit i's slope multiplies row i, so the "
                        "diagonal factor belongs on the left."),
                (r"The number $\sigma'(z_t)\,\lVert W_\mathrm{rec}\rVert_2$.", False,
                 "A number like that can bound the Jacobian's norm; it is not the Jacobian.")],
               "{ref}`ch4-jacobian`"),
        Number(r"A sigmoid RNN has $\lVert W_\mathrm{rec}\rVert_2 = 3$. What upper bound does "
               r"chapter 4 give for $\lVert \partial c_k/\partial c_{k-20} \rVert_2$? (Three "
               r"significant digits, e.g. `1.23e-4`.)", bound,
               "(γ‖W_rec‖₂)^20 = 0.75^20: the gradient is guaranteed to vanish.",
               "Too small. The bound is (γ‖W_rec‖₂)^k with γ = 1/4 for the sigmoid and k = 20.",
               "Too large. The bound is (γ‖W_rec‖₂)^k with γ = 1/4 for the sigmoid and k = 20.",
               "{ref}`ch4-threshold`", rtol=0.01, placeholder="e.g. 1.23e-4"),
        Choice(r"A sigmoid RNN has $\lVert W_\mathrm{rec}\rVert_2 = 8$, twice the threshold "
               r"$1/\gamma = 4$. What can you say about its gradients?",
               [("They must explode.", False,
                 "Above 1/γ the bound no longer forces vanishing, but nothing forces growth: "
                 "large weights saturate the units, and σ′ ≈ 0 there."),
                ("They must vanish.", False,
                 "Not must: above the threshold a network can explode, and a few random ones do."),
                ("They can explode, but most such networks still vanish, because many units are "
                 "saturated.", True,
                 "‖W_rec‖₂ > 1/γ is necessary for exploding, not sufficient."),
                ("They keep a constant size.", False,
                 "Nothing keeps the product of step Jacobians at 1 here.")],
               "{ref}`ch4-threshold`"),
        Choice(r"What does gradient norm clipping with threshold $\theta$ do?",
               [(r"It rescales the whole gradient to length $\theta$ when it is longer, keeping "
                 r"its direction.", True,
                 "So it tames the exploding steps at a wall of the error surface. It multiplies "
                 "every term by the same factor, so it cannot make vanished long-range terms "
                 "larger than the others."),
                (r"It sets every component larger than $\theta$ to $\theta$.", False,
                 "That is clipping by value; norm clipping rescales the whole vector and keeps "
                 "its direction."),
                ("It cures vanishing gradients.", False,
                 "Clipping only shortens. The ratio between long-lag and short-lag terms stays "
                 "what it was."),
                ("It raises the long-lag terms of the gradient to the size of the short-lag "
                 "ones.", False,
                 "All terms are scaled by the same factor min(1, θ/‖g‖).")],
               "{ref}`ch4-exploding`"),
    ])


def part2() -> Quiz:
    n, m = 16, 8
    return Quiz("quiz_part2", "quiz-part2", "Self-test: Part II",
                "Questions on chapters 5–8 and the GRU chapter, from {doc}`ch05_lstm_cell` to "
                "{doc}`ch10_gru`.",
                [
        Number(rf"How many trainable parameters does an LSTM layer with $n = {n}$ units and "
               rf"$m = {m}$ inputs have?", lstm_parameters(n, m),
               "Four maps (f, i, c̃, o), each an n × (n+m) matrix and a bias of n: 4n(n+m+1).",
               "Too few. Count four maps (the gates f, i, o and the candidate c̃), each with an "
               "n × (n+m) matrix and a bias.",
               "Too many. Four maps (f, i, o, c̃), each with an n × (n+m) matrix and a bias of n.",
               "{ref}`ch5-shapes`", placeholder="a whole number"),
        Choice(r"Of the four terms of $\partial c_t/\partial c_{t-1} = A_t + B_t + C_t + D_t$, "
               r"which one involves no weight matrix?",
               [(r"$A_t$, the path through the forget gate's activation.", False,
                 "A_t contains U_f: c_{t−1} reaches the forget gate through h_{t−1}."),
                (r"$B_t = \operatorname{diag}(f_t)$, the direct path.", True,
                 "The direct path multiplies by the forget gate itself: no weights, no "
                 "activation derivative."),
                (r"$C_t$, the path through the input gate.", False,
                 "C_t contains U_i, the input gate's h-block."),
                (r"$D_t$, the path through the candidate.", False,
                 "D_t contains U_c, the candidate's h-block.")],
               "{ref}`ch6-cell-gradient` and {ref}`ch7-forget-inside`"),
        Number(r"Nothing is written to a cell, and its forget gate stays at $\sigma(b_f)$ with "
               r"$b_f = 2$. After how many steps has the stored value (and the gradient along "
               r"the forget path) first fallen below $10^{-4}$ of what it was?",
               steps_below(2.0, 1e-4),
               "σ(2)^k < 10⁻⁴ first at this k: k > ln 10⁻⁴ / ln σ(2).",
               "Too few steps. σ(2) ≈ 0.88 is close to 1: solve σ(2)^k < 10⁻⁴ for k.",
               "Too many steps. Solve σ(2)^k < 10⁻⁴ for k (both logarithms are negative).",
               "{ref}`ch8-decay`", atol=1.0, placeholder="a whole number"),
        Choice("True or false: the LSTM's cell state makes vanishing gradients impossible.",
               [("True: the cell state is an identity path.", False,
                 "The path's factor is diag(f_t), and a sigmoid gate is always below 1: the "
                 "product of the gates decays unless they stay very close to 1."),
                (r"False: along the forget path the factor is $\prod_t f_t$, which decays "
                 r"exponentially unless the gates stay near 1.", True,
                 "The forget bias sets how slowly: about e^{b_f} steps per factor e."),
                ("True, as long as the gradient is clipped.", False,
                 "Clipping shortens long gradients; it does not lengthen vanished terms."),
                (r"False, because $\sigma' \le 1/4$ multiplies the forget path at every step.",
                 False, "The forget path B_t = diag(f_t) has the gate's value, not its "
                        "derivative; the decay comes from f_t < 1.")],
               "{ref}`ch8-decay` and {ref}`ch8-bias`"),
        Choice(r"The source prints the term $D_t$ with $\sigma'(z_c)$ where $\tanh'(z_c)$ "
               r"belongs. At $z_c = 0$, compared with the correct term, the printed one is",
               [("the same.", False, "σ′(0) = 1/4 while tanh′(0) = 1."),
                ("4 times too small.", printed_over_correct_D(0.0) == 0.25,
                 "σ′(0)/tanh′(0) = (1/4)/1."),
                ("4 times too large.", printed_over_correct_D(0.0) == 4.0,
                 "Which of σ′(0) and tanh′(0) is larger?"),
                ("zero.", False, "σ′(0) = 1/4 is not zero.")],
               "{ref}`ch6-audit`"),
        Number(r"With the forget gate held at $\sigma(3)$ and nothing written, what fraction of "
               r"a stored value is left after 20 steps? (Two significant digits.)",
               kept_after(3.0, 20),
               "σ(3)^20: even a gate of 0.95 loses most of the value over a few dozen steps.",
               "Too small. The fraction is σ(3)^20, with σ(3) ≈ 0.953.",
               "Too large. The fraction is σ(3)^20, with σ(3) ≈ 0.953.",
               "{ref}`ch5-memory`", rtol=0.02, placeholder="e.g. 0.5"),
        Choice(r"Over many steps, how does the source's product $\prod_t (A_t + B_t + C_t + D_t)$ "
               r"compare with the true $\partial c_k/\partial c_j$?",
               [("It is the true derivative.", False,
                 "Over more than one step, c_{t−2} also reaches c_t through the output gate "
                 "o_{t−1} and h_{t−1}; the product drops these paths."),
                ("It is exact for one step; over longer lags it misses the paths through the "
                 "output gate.", True,
                 "The true derivative chains the state Jacobians of (h_t, c_t); the gap grows "
                 "with the weights."),
                ("It is always larger.", False, "Nothing fixes the sign of the difference."),
                ("It is always smaller.", False, "Nothing fixes the sign of the difference.")],
               "{ref}`ch6-full-jacobian`"),
        Choice(r"A GRU updates its state as $h_t = (1 - z_t) \odot \tilde h_t + z_t \odot h_{t-1}$. "
               r"Which term of $\partial h_t/\partial h_{t-1}$ plays the part of the LSTM's "
               r"$B_t = \operatorname{diag}(f_t)$?",
               [(r"$\operatorname{diag}(z_t)$, the state kept directly.", True,
                 "No weights and no activation derivative: the update gate itself, which the "
                 "update bias can hold near 1."),
                (r"$\operatorname{diag}(1 - z_t)$.", False,
                 "1 − z_t is what the unit writes from the candidate; the old state is kept with "
                 "z_t."),
                (r"$\operatorname{diag}\big((1 - z_t) \odot \tanh'(a_n) \odot r_t\big)\,U_n$.",
                 False, "That is the path through the candidate: it holds the weights U_n."),
                (r"$\operatorname{diag}(\sigma'(a_z))\,U_z$, the update gate's derivative.", False,
                 "The path through the update gate holds the weights U_z (and h_{t−1} − h̃_t).")],
               "{ref}`gru-jacobian` and {ref}`gru-update-path`"),
        Choice("Chung et al. (2014) keep the old state with $1 - z_t$ where PyTorch uses $z_t$; "
               "Cho et al. (2014) apply the reset gate before the product $U_n h_{t-1}$, PyTorch "
               "after it. Which statement is right?",
               [("All three describe the same model.", False,
                 "The reset gate's place changes the function: r_t scales the columns of U_n "
                 "before the product, the rows after it."),
                ("Swapping $z_t$ and $1 - z_t$ is a relabelling (negate $W_z$ and $b_z$); the "
                 "reset gate's place gives a different model.", True,
                 "σ(−a) = 1 − σ(a) maps one form onto the other; no parameters turn a reset "
                 "before the product into one after it, except in special cases (one unit, "
                 "b_hn = 0)."),
                ("Both differences give different models.", False,
                 "1 − σ(a) = σ(−a): negating W_z and b_z turns one form into the other exactly."),
                ("Only the reset gate's place is a relabelling.", False,
                 "It is the other way round: z ↔ 1 − z is the relabelling.")],
               "{ref}`gru-conventions`"),
        Number(r"A GRU unit's update gate is held at $z = \sigma(3)$ and the unit reads no state. "
               r"What fraction of what it writes at one step is still in its state 20 steps "
               r"later? (Two significant digits.)", written_and_kept(3.0, 20),
               "(1 − z)·z^20: the write is scaled by 1 − z once, then the state by z at each step.",
               "Too small. The write enters with 1 − σ(3), then each of the 20 steps keeps σ(3) "
               "of it.",
               "Too large. Besides σ(3)^20, the write itself is scaled by 1 − σ(3).",
               "{ref}`gru-vanish`", rtol=0.02, placeholder="e.g. 0.5"),
    ])


QUIZZES = (part1, part2)


# --------------------------------------------------------------------------- rendering


def _html_text(text: str) -> str:
    """Escape text for HTML; $…$ becomes an inline math span that MathJax typesets."""
    parts = re.split(r"(\$[^$]+\$)", text)
    out = []
    for part in parts:
        if part.startswith("$") and part.endswith("$") and len(part) > 1:
            out.append('<span class="math notranslate nohighlight">\\('
                       + html.escape(part[1:-1], quote=False) + "\\)</span>")
        else:
            out.append(html.escape(part, quote=False))
    return "".join(out)


def _attr(text: str) -> str:
    return html.escape(text, quote=True)


STYLE = """<style>
.quiz-q { border: 1px solid var(--pst-color-border, #ccc); border-radius: .4rem;
  padding: .6rem 1rem .2rem; margin: 1.2rem 0; }
.quiz-options { display: flex; flex-direction: column; gap: .35rem; margin: .4rem 0; }
.quiz-options button.quiz-option { text-align: left; padding: .35rem .7rem; cursor: pointer;
  border: 1px solid var(--pst-color-border, #bbb); border-radius: .3rem;
  background: var(--pst-color-surface, #f7f7f7); color: inherit; font: inherit; }
.quiz-options button.quiz-option:hover { border-color: var(--pst-color-primary, #0a7d91); }
.quiz-options button.quiz-chosen.quiz-yes { border: 2px solid var(--pst-color-success, #00843d); }
.quiz-options button.quiz-chosen.quiz-no { border: 2px solid var(--pst-color-danger, #c0392b); }
.quiz-number { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; }
.quiz-number input { padding: .3rem .5rem; width: 12rem; font: inherit; color: inherit;
  background: var(--pst-color-background, #fff); border: 1px solid var(--pst-color-border, #bbb); }
.quiz-number button { padding: .3rem .9rem; cursor: pointer; font: inherit; }
.quiz-feedback { min-height: 1.5em; font-weight: 500; margin: .3rem 0; }
.quiz-feedback.quiz-right { color: var(--pst-color-success, #00843d); }
.quiz-feedback.quiz-wrong { color: var(--pst-color-danger, #c0392b); }
</style>"""

SCRIPT = r"""<script>
/* Self-test feedback (tools/quizzes.py): compares the choice or the number typed with the
   answer stored in the page; nothing is evaluated and nothing leaves the page. */
(function () {
  "use strict";
  /* How a typed number is read ({value, note}, or null when it is not a number).
     - A point is a decimal point: 1.6, .25, 3.2e-3.
     - A comma between groups of three digits, after a first group of one to three digits that
       does not start with 0, separates thousands: 1,600 and 12,345,678 and 1,600.5. So does a
       space (1 600). This reading wins when a comma could be either: 1,600 is 1600.
     - Any other single comma is a decimal comma, as many students write it: 1,6 is 1.6,
       0,250 is 0.25, 3,2e-3 is 0.0032.
     - When a comma was read either way, the feedback ends with how ("Read 1,6 as 1.6, with a
       decimal comma."), so that a student who meant the other reading sees it.
     - "−" (U+2212, the minus sign printed on the page) counts as "-".
     - Anything else is not read: several commas not in groups of three (1,60,0), a point and
       a comma in European order (1.600,5), hexadecimal (0x640), units or text. */
  function readNumber(typed) {
    var s = typed.trim().replace(/\u2212/g, "-").replace(/[\u00a0\u2009\u202f]/g, " ");
    var m = /^([+-]?)([0-9., ]*)([eE][+-]?[0-9]+)?$/.exec(s);
    if (!m) return null;
    var sign = m[1], body = m[2], exponent = m[3] || "", kind = "";
    if (/^[1-9][0-9]{0,2}([, ])[0-9]{3}(\1[0-9]{3})*(\.[0-9]*)?$/.test(body)) {
      if (body.indexOf(",") >= 0) kind = "with a thousands separator";
      body = body.replace(/[, ]/g, "");
    } else if (/^[0-9]*,[0-9]+$/.test(body)) {
      kind = "with a decimal comma";
      body = body.replace(",", ".");
    }
    if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(body)) return null;
    var value = Number(sign + body + exponent);
    if (!isFinite(value)) return null;
    var note = kind ? "(Read " + typed.trim() + " as " + value + ", " + kind + ".)" : "";
    return {value: value, note: note};
  }
  function show(q, ok, text) {
    var fb = q.querySelector(".quiz-feedback");
    fb.textContent = (ok ? "Correct. " : "Not quite. ") + text;
    fb.className = "quiz-feedback " + (ok ? "quiz-right" : "quiz-wrong");
  }
  document.querySelectorAll(".quiz-q").forEach(function (q) {
    var options = q.querySelectorAll("button.quiz-option");
    options.forEach(function (b) {
      b.addEventListener("click", function () {
        options.forEach(function (o) {
          o.classList.remove("quiz-chosen", "quiz-yes", "quiz-no");
          o.setAttribute("aria-pressed", "false");
        });
        var ok = b.dataset.correct === "true";
        b.classList.add("quiz-chosen", ok ? "quiz-yes" : "quiz-no");
        b.setAttribute("aria-pressed", "true");
        show(q, ok, b.dataset.feedback);
      });
    });
    var check = q.querySelector("button.quiz-check");
    if (!check) return;
    var input = q.querySelector("input.quiz-input");
    function grade() {
      var read = readNumber(input.value);
      if (read === null) {
        show(q, false, "Type a number, such as 0.25, 1,600 or 3.2e-3.");
        return;
      }
      var x = read.value, note = read.note ? " " + read.note : "";
      var a = Number(q.dataset.answer);
      var tol = Math.max(Number(q.dataset.atol), Number(q.dataset.rtol) * Math.abs(a));
      if (Math.abs(x - a) <= tol) show(q, true, q.dataset.right + note);
      else show(q, false, (x < a ? q.dataset.low : q.dataset.high) + note);
    }
    check.addEventListener("click", grade);
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") grade(); });
  });
})();
</script>"""


def render(quiz: Quiz) -> str:
    lines = [
        "<!-- Generated by tools/quizzes.py: edit the questions there and run it again. -->",
        "",
        f"({quiz.label})=",
        f"# {quiz.title}",
        "",
        f"{quiz.intro} Click an option, or type a number and press **Check**: every answer gets "
        "immediate feedback that says why. The page checks the answers itself, so it works "
        "offline and sends nothing anywhere. Try each question before reading the section it "
        "points to.",
        "",
    ]
    for k, q in enumerate(quiz.questions, 1):
        qid = f"{quiz.label}-q{k}"
        if isinstance(q, Choice):
            if sum(correct for _, correct, _ in q.options) != 1:
                raise ValueError(f"{qid}: a multiple-choice question needs exactly one answer")
            lines += [f'<div class="quiz-q" data-kind="choice" id="{qid}">', "",
                      f"**Question {k}.** {q.text}", "",
                      '<div class="quiz-options" role="group" aria-label="Options">']
            for j, (option, correct, feedback) in enumerate(q.options):
                letter = "abcdefgh"[j]
                lines.append(f'<button type="button" class="quiz-option" aria-pressed="false" '
                             f'data-correct="{str(bool(correct)).lower()}" '
                             f'data-feedback="{_attr(feedback)}">({letter}) '
                             f"{_html_text(option)}</button>")
            lines.append("</div>")
        else:
            if not math.isfinite(q.answer):
                raise ValueError(f"{qid}: the answer is not finite")
            lines += [f'<div class="quiz-q" data-kind="number" id="{qid}" '
                      f'data-answer="{q.answer!r}" data-rtol="{q.rtol!r}" data-atol="{q.atol!r}" '
                      f'data-right="{_attr(q.right)}" data-low="{_attr(q.low)}" '
                      f'data-high="{_attr(q.high)}">', "",
                      f"**Question {k}.** {q.text}", "",
                      '<div class="quiz-number">'
                      f'<input type="text" inputmode="decimal" class="quiz-input" '
                      f'aria-label="Your answer to question {k}" placeholder="{_attr(q.placeholder)}">'
                      '<button type="button" class="quiz-check">Check</button>'
                      "</div>"]
        lines += ['<p class="quiz-feedback" aria-live="polite"></p>', "",
                  f"*Where to read:* {q.see}.", "", "</div>", ""]
    lines += [STYLE, "", SCRIPT, ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a page differs from what this script writes")
    args = parser.parse_args(argv)
    stale = []
    for make in QUIZZES:
        quiz = make()
        path = ROOT / "book" / f"{quiz.name}.md"
        text = render(quiz)
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            k = len(quiz.questions)
            print(f"wrote {path.relative_to(ROOT)} ({k} question{'' if k == 1 else 's'})")
    if stale:
        print("out of date (run tools/quizzes.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
