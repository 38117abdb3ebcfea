"""Answer checkers for the code exercises of the linear-algebra page, chapters 1–9 and the GRU
chapter (the classroom edition).

Below each code exercise the book has a cell

    from rnngrad import exercises

    answer = None          # ← your result, in the form the exercise asks for
    ok = exercises.check("ch2-ex-3", answer)

``check(label, answer)`` calls the checker of that exercise (``check_ch2_ex3`` …). Every
checker computes its reference with rnngrad itself (nothing is hard-coded), compares the
answer with it, prints what is right or what is wrong — the shape, the sign, a transposed
matrix, a missing factor, a value that is not finite, the wrong type — without printing the
reference, and returns True or False. Answers are numbers, arrays, parameter objects or
functions; a string is never evaluated.

The checkers give feedback; they are not a grading system (their source, like any reference
computation, shows how the answer is computed).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import types
from typing import Callable

import numpy as np

from . import (activations, bptt, cell, deepnet, exploding, gradients, gru, gru_survival,
               lag_curves, lstm, numdiff, rnn, survival, train)
from .activations import sigmoid

#: The checkers add their names (see _checker).
__all__ = ["check", "labels", "CHECKS"]


# --------------------------------------------------------------------------- feedback


class _Wrong(Exception):
    """Raised inside a checker to stop at the first problem; its message is printed."""


def _correct(label: str, note: str = "") -> bool:
    print(f"✔ {label}: correct." + (f" {note}" if note else ""))
    return True


def _not_yet(label: str, message: str) -> bool:
    print(f"✘ {label}: not yet. {_sentence(message)}")
    return False


#: Lower-case words that are mathematical names, not English: never capitalised.
_MATH_WORDS = frozenset({"ln", "log", "exp", "max", "min", "diag", "tanh", "sin", "cos", "np"})


def _sentence(text: str) -> str:
    """Capitalise a message's first letter when its first word is an English word.

    Messages are written in lower case so that they can also follow a colon. The first word
    is capitalised only when it is a lower-case ASCII word (two letters or more, or "a")
    followed by a space or by punctuation that ends a word; a mathematical symbol is left as
    it is: "k* is positive", "b' is zero", "g = 20 …", "x_t …", "ln ε …", "σ(b_f) …",
    "‖W‖₂ …" keep their case. (The checkers' messages begin with English words anyway; this
    keeps a symbol intact should one ever come first.)
    """
    match = re.match(r"[a-z]+(?=[ ,;:!?)]|\.(?:\s|$)|$)", text)
    if not match:
        return text
    word = match.group()
    if (len(word) == 1 and word != "a") or word in _MATH_WORDS:
        return text
    return text[:1].upper() + text[1:]


def _count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 entry', '3 entries': a count with its noun in the right number."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"


def _listing(items) -> str:
    """'0', '0 and 1', '0, 1 and 5'."""
    items = [str(x) for x in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _a(obj_or_type) -> str:
    """The type of an answer with its article, as a student reads it: 'an int', 'a NumPy
    array', 'an rnn.RNNParams', 'a dict'."""
    t = obj_or_type if isinstance(obj_or_type, type) else type(obj_or_type)
    known = {int: "an int", float: "a float", complex: "a complex number", bool: "a bool",
             str: "a string", bytes: "a bytes object", list: "a list", tuple: "a tuple",
             dict: "a dict", set: "a set", frozenset: "a frozenset", np.ndarray: "a NumPy array",
             type(None): "None", types.FunctionType: "a function",
             types.GeneratorType: "a generator", range: "a range"}
    if t in known:
        return known[t]
    module = t.__module__.rsplit(".", 1)[-1]
    if t.__module__.startswith("rnngrad."):               # rnn.RNNParams, lstm.LSTMParams, …
        name = f"{module}.{t.__qualname__}"
        first = module
    elif t.__module__.startswith("numpy"):                 # np.float64, np.int64, …
        name = first = f"NumPy {t.__name__}"
        first = "NumPy"
    else:
        name = first = t.__qualname__
    # "an" before a vowel sound: a vowel letter, or an abbreviation read letter by letter
    # whose first letter is said with a vowel (rnn, lstm, RNN, LSTM, SVD, …).
    abbreviation = first in {"rnn", "lstm"} or (len(first) > 1 and first[:2].isupper())
    vowel = first[:1].lower() in ("aefhilmnorsx" if abbreviation else "aeiou")
    return f"{'an' if vowel else 'a'} {name}"


#: label → checker, in the book's order: each checker is registered where it is defined.
CHECKS: dict[str, Callable] = {}


def _checker(label: str):
    """Register the decorated function as the checker of exercise ``label``.

    The decorated function reads the answer and returns a note (the answer is correct) or
    raises _Wrong(message) at the first problem. The public checker that replaces it prints
    the feedback and returns True or False; it is recorded in CHECKS and ``__all__``.
    """
    def register(body: Callable) -> Callable:
        @functools.wraps(body)
        def checker(answer) -> bool:
            try:
                note = body(answer)
            except _Wrong as wrong:
                text = str(wrong)
                if text.startswith("no answer yet"):
                    print(f"… {label}: {text}")
                    return False
                return _not_yet(label, text)
            return _correct(label, note or "")

        CHECKS[label] = checker
        __all__.append(body.__name__)
        return checker

    return register


NO_ANSWER = ("no answer yet. Replace `answer = None` by your result (the exercise says in "
             "which form) and run the cell again.")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _reject_kinds(answer, what: str) -> None:
    """The answer kinds no checker reads: None, text, booleans."""
    if answer is None:
        raise _Wrong(NO_ANSWER)
    if isinstance(answer, (str, bytes)):
        raise _Wrong(f"your answer is text ({answer!r:.40}); give {what} itself, not a string "
                     "(the checker does not evaluate text).")
    if isinstance(answer, (bool, np.bool_)):
        raise _Wrong(f"your answer is {answer}; the exercise asks for {what}.")


_NOT_FOUND = object()


def _leaf(answer, kinds: tuple, depth: int = 0):
    """The first entry of a (nested) list or tuple that is one of `kinds`, or _NOT_FOUND."""
    if isinstance(answer, kinds):
        return answer
    if isinstance(answer, (list, tuple)) and depth < 4:
        for item in answer:
            found = _leaf(item, kinds, depth + 1)
            if found is not _NOT_FOUND:
                return found
    return _NOT_FOUND


def _real_array(answer, what: str, one_number: bool, ordered: bool = True) -> np.ndarray:
    """The answer as a float array. What cannot be read is named: a dict, a set, text or None
    inside a list, nested lists of unequal length, complex numbers, any other type."""
    if one_number:
        form = "put that number itself into `answer`"
    else:
        form = ("give a list or a NumPy array, in the order the exercise gives" if ordered
                else "give a list, a set or a NumPy array")
    if isinstance(answer, dict):
        raise _Wrong(f"your answer is a dict; the exercise asks for {what}: {form} (the checker "
                     "does not read a dict's keys).")
    if isinstance(answer, (set, frozenset)) and (ordered or one_number):
        unordered = "" if one_number else ", which has no order"
        raise _Wrong(f"your answer is {_a(answer)}{unordered}; the exercise asks for {what}: "
                     f"{form}.")
    text = _leaf(answer, (str, bytes))
    if text is not _NOT_FOUND:
        raise _Wrong(f"your answer contains text ({text!r:.40}); give numbers, not strings (the "
                     "checker does not evaluate text).")
    if _leaf(answer, (type(None),)) is not _NOT_FOUND:
        raise _Wrong(f"your answer contains None; replace it by a number ({what}).")
    try:
        raw = np.asarray(answer)
    except (TypeError, ValueError):
        raw = None
    if raw is not None and np.iscomplexobj(raw):
        phrase = "is a real number" if one_number else "holds real numbers"
        raise _Wrong(f"your answer is complex; {what} {phrase}.")
    try:
        return np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        pass
    if isinstance(answer, (list, tuple)):
        odd = _leaf(answer, (dict, set, frozenset, types.FunctionType))
        if odd is not _NOT_FOUND:
            raise _Wrong(f"your answer contains {_a(odd)}; {what} holds numbers only.")
        raise _Wrong(f"your answer, {_a(answer)} of lists of unequal length (or of lists and "
                     f"numbers mixed), cannot be read as {what}: every row needs the same number "
                     "of entries.")
    raise _Wrong(f"your answer, {_a(answer)}, cannot be read as {what}; "
                 + ("give a number." if one_number else "give a list or a NumPy array."))


def _number(answer, what: str = "a number") -> float:
    _reject_kinds(answer, what)
    if callable(answer):
        raise _Wrong(f"your answer is a function; call it and put {what} into `answer`.")
    arr = _real_array(answer, what, one_number=True)
    if arr.size != 1:
        raise _Wrong(f"expected {what}, one number, but your answer has shape {arr.shape}.")
    x = float(arr.reshape(()))
    if not math.isfinite(x):
        raise _Wrong(f"your answer is {x}, not a finite number: look for an overflow, a "
                     "division by zero or a logarithm of 0.")
    return x


def _not_finite(count: int) -> str:
    """'1 entry that is not finite', '3 entries that are not finite'."""
    return f"{_count(count, 'entry', 'entries')} that {'is' if count == 1 else 'are'} not finite"


def _array(answer, shape: tuple, what: str, axes: str = "", ordered: bool = True) -> np.ndarray:
    """A finite float array of the expected shape; says so if it is the transpose."""
    _reject_kinds(answer, what)
    if callable(answer):
        raise _Wrong(f"your answer is a function; call it and put {what} into `answer`.")
    arr = _real_array(answer, what, one_number=False, ordered=ordered)
    where = f" ({axes})" if axes else ""
    if arr.shape != tuple(shape):
        if arr.ndim == 2 and arr.T.shape == tuple(shape):
            raise _Wrong(f"your array has shape {arr.shape}, the expected one is {tuple(shape)}"
                         f"{where}: is it transposed?")
        raise _Wrong(f"{what} should have shape {tuple(shape)}{where}, yours has shape {arr.shape}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise _Wrong(f"your answer has {_not_finite(int(bad.sum()))} (NaN or inf): look for an "
                     "overflow, a division by zero or a logarithm of 0.")
    return arr


def _function(answer, signature: str, result_type: type | None = None) -> Callable:
    _reject_kinds(answer, f"a function `{signature}`")
    if result_type is not None and isinstance(answer, result_type):
        raise _Wrong(f"this exercise checks a function `{signature}`, so that it can try it on "
                     f"several networks; you gave its result ({_a(result_type)}). "
                     "Set `answer` to the function itself, without parentheses.")
    if not callable(answer):
        raise _Wrong(f"expected a function `{signature}`, got {_a(answer)}.")
    return answer


def _call(fn: Callable, signature: str, *args):
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - the student's code: report whatever it raises
        raise _Wrong(f"your function `{signature}` raised {type(exc).__name__}: {exc}") from None


def _close(a, b, rtol: float = 1e-6, atol: float = 0.0) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _log_close(a, b, decades: float) -> bool:
    """|log10 a − log10 b| ≤ decades, entrywise (both positive)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or np.any(a <= 0) or np.any(b <= 0):
        return False
    return bool(np.all(np.abs(np.log10(a) - np.log10(b)) <= decades))


def _as_matrix(value, shape: tuple, what: str) -> np.ndarray:
    """A matrix returned by a student's function: finite, of the given shape."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Wrong(f"{what} should be an array of numbers, got {_a(value)}.") from None
    if arr.shape != tuple(shape):
        if arr.ndim == 2 and arr.T.shape == tuple(shape):
            raise _Wrong(f"{what} has shape {arr.shape}, the expected one is {tuple(shape)}: "
                         "is it transposed?")
        raise _Wrong(f"{what} should have shape {tuple(shape)}, yours has shape {arr.shape}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise _Wrong(f"{what} has {_not_finite(int(bad.sum()))} (NaN or inf).")
    return arr


# --------------------------------------------------------------------------- the linear-algebra page

LA_EX1_MATRIX = ((3.0, 0.0), (4.0, 5.0))
LA_EX2_LAMBDA, LA_EX2_A = 0.95, 1.0


@_checker("la-ex-1")
def check_la_ex1(answer):
    """Exercise la-ex-1: the singular values (σ₁, σ₂) of A = [[3, 0], [4, 5]], largest first."""
    got = _array(answer, (2,), "the two singular values (σ₁, σ₂)", "largest first")
    A = np.array(LA_EX1_MATRIX)
    ref = np.linalg.svd(A, compute_uv=False)
    if _close(got, ref):
        return "‖A‖₂ = σ₁; σ₁σ₂ = |det A|."
    if _close(got, ref[::-1]):
        raise _Wrong("your values are in the wrong order: the largest singular value first.")
    eig = np.sort(np.abs(np.linalg.eigvals(A)))[::-1]
    if _close(np.sort(got)[::-1], eig):
        raise _Wrong("these are the eigenvalues of A; the singular values are the square "
                     "roots of the eigenvalues of AᵀA.")
    if _close(np.sort(got)[::-1], ref ** 2):
        raise _Wrong("these are the eigenvalues of AᵀA: take their square roots.")
    if np.any(got < 0):
        raise _Wrong("singular values are never negative.")
    raise _Wrong("your values are not the singular values of A: form AᵀA (A transposed "
                 "times A), find its eigenvalues, take the square roots.")


@_checker("la-ex-2")
def check_la_ex2(answer):
    """Exercise la-ex-2: (k*, ‖W^{k*}‖₂) for W = [[0.95, 1], [0, 0.95]], k* the power at
    which ‖W^k‖₂ is largest."""
    got = _array(answer, (2,), "the pair (k*, largest ‖W^k‖₂)")
    lam, a = LA_EX2_LAMBDA, LA_EX2_A
    norms = gradients.power_norms(np.array([[lam, a], [0.0, lam]]), 2000)
    k_ref = int(np.argmax(norms))
    k, value = got
    if not float(k).is_integer() and float(value).is_integer():
        k, value = value, k
        if int(k) == k_ref:
            raise _Wrong("your two numbers are in the wrong order: (k*, largest ‖W^k‖₂).")
    if not float(k).is_integer():
        raise _Wrong(f"your k* = {_fmt(k)} is not a whole number: it is a power of W.")
    k = int(k)
    entry = a * k * lam ** (k - 1) if k > 0 else 0.0
    if k == k_ref and _close(value, norms[k_ref], rtol=1e-5):
        return "The growth lasts about 1/(1 − λ) steps although ρ(W) = 0.95 < 1."
    if k == k_ref and _close(value, entry, rtol=1e-5):
        raise _Wrong("your value is the off-diagonal entry a k λ^(k−1) of W^k; the spectral "
                     "norm of W^k is a little larger than its largest entry.")
    if k == k_ref:
        raise _Wrong(f"your k* is right; the largest norm is not {_fmt(value)}: compute ‖W^k‖₂ "
                     "with np.linalg.norm(…, 2) or gradients.power_norms.")
    if abs(k - k_ref) == 1:
        raise _Wrong(f"your k* = {k} is off by one: the array of gradients.power_norms starts "
                     "at k = 0 (‖W⁰‖₂ = ‖I‖₂ = 1).")
    if 0 <= k < norms.size and _close(value, norms[k], rtol=1e-5):
        raise _Wrong(f"your value is ‖W^{k}‖₂ at your k, but not the largest norm: look further.")
    if _close(value, lam ** k, rtol=1e-5):
        raise _Wrong("your value is λ^k, the norm of a normal matrix with the same eigenvalues; "
                     "this W is not normal: compute the norms of its powers.")
    raise _Wrong("neither number matches: compute ‖W^k‖₂ for k = 0, 1, …, 200 and take the "
                 "largest.")


def _la_ex3_maps():
    """(f, x, J) for three maps: a linear map ℝ³ → ℝ², one step of a sigmoid RNN (n = 3) as a
    function of c_{t-1}, and a curved map ℝ² → ℝ³; J is each Jacobian in closed form."""
    A = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    params = rnn.init(3, 2, rng=np.random.default_rng(71), scale=2.0)
    x_t = np.array([0.5, -1.0])
    c_prev = np.array([0.2, -0.4, 0.7])
    s = sigmoid(params.W_rec @ c_prev + params.W_in @ x_t + params.b)
    u = np.array([0.7, -1.2])
    curved = (lambda v: np.array([v[0] ** 2, v[0] * v[1], np.sin(3 * v[1])]),
              u, np.array([[2 * u[0], 0.0], [u[1], u[0]], [0.0, 3 * np.cos(3 * u[1])]]))
    return [(lambda v: A @ v, np.array([1.0, 2.0, -1.0]), A),
            (lambda c: rnn.forward(params, x_t[None, :], c0=c).c[0], c_prev,
             (s * (1 - s))[:, None] * params.W_rec),
            curved]


@_checker("la-ex-3")
def check_la_ex3(answer):
    """Exercise la-ex-3: a function ``jacobian(f, x)`` returning the central-difference
    Jacobian of f at x, shape (len(f(x)), len(x))."""
    sig = "jacobian(f, x)"
    fn = _function(answer, sig, result_type=np.ndarray)
    for k, (f, x, ref) in enumerate(_la_ex3_maps()):
        what = ("the Jacobian of the linear map", "the Jacobian of the RNN step",
                "the Jacobian of the curved map")[k]
        J = _as_matrix(_call(fn, sig, f, x.copy()), ref.shape, what)
        if _close(J, ref, rtol=1e-5, atol=1e-7):
            continue
        if _close(J, 2 * ref, rtol=1e-5, atol=1e-7):
            raise _Wrong(f"{what} is twice as large as it should be: a central difference "
                         "divides by 2h, the distance between x − h e_j and x + h e_j.")
        if _close(J, ref / 2, rtol=1e-5, atol=1e-7):
            raise _Wrong(f"{what} is half as large as it should be: divide by 2h, not 4h "
                         "(or h twice).")
        if ref.shape[0] == ref.shape[1] and _close(J, ref.T, rtol=1e-5, atol=1e-7):
            raise _Wrong(f"{what} is transposed: row i is output i, column j input j.")
        if _close(J, ref, rtol=1e-2, atol=1e-4):
            raise _Wrong(f"{what} is close but not accurate to 1e-5: use central differences "
                         "with a step h of about 1e-6.")
        raise _Wrong(f"{what} differs from the exact one: column j should be "
                     "(f(x + h e_j) − f(x − h e_j)) / (2h).")
    return "Right for a linear map, the RNN step (diag(σ′(z_t)) W_rec) and a curved map."


# --------------------------------------------------------------------------- chapter 1

CH1_WEIGHTS = (3.6, 4.0, 4.4)
CH1_STARTS = (0.5, 0.9)
CH1_DEPTH = 50


def _balanced_chain_gradient(w: float, x: float, depth: int = CH1_DEPTH) -> float:
    """∂E/∂x for E = a_L of the width-one sigmoid chain W_l = [[w]], b_l = [−w/2]."""
    params = deepnet.DeepNetParams(tuple(np.array([[w]]) for _ in range(depth)),
                                   tuple(np.array([-w / 2]) for _ in range(depth)), "sigmoid")
    trace = deepnet.forward(params, np.array([x]))
    return float(deepnet.backward(params, trace, np.array([1.0])).a[0][0])


@functools.lru_cache(maxsize=None)
def _ch1_ex3_reference(depth: int = CH1_DEPTH) -> np.ndarray:
    return np.array([[_balanced_chain_gradient(w, x, depth) for w in CH1_WEIGHTS]
                     for x in CH1_STARTS])


@_checker("ch1-ex-3")
def check_ch1_ex3(answer):
    """Exercise ch1-ex-3: the 2 × 3 array of ∂E/∂x (rows x = 1/2, 0.9; columns w = 3.6, 4, 4.4)."""
    got = _array(answer, (2, 3), "the array of ∂E/∂x",
                 "rows: x = 1/2 and x = 0.9; columns: w = 3.6, 4, 4.4")
    ref = _ch1_ex3_reference()
    if _close(got, ref, rtol=1e-5):
        return ""
    w = np.array(CH1_WEIGHTS)
    row = "from x = 1/2" if not _close(got[0], ref[0], rtol=1e-5) else "from x = 0.9"
    r = 0 if row == "from x = 1/2" else 1
    g, e = got[r], ref[r]
    if _close(g, -e, rtol=1e-5):
        raise _Wrong(f"your values {row} have the wrong sign: for E = a_L every factor of "
                     "the chain is positive.")
    if r == 0:
        if _close(g, e * 4.0 ** CH1_DEPTH, rtol=1e-5):
            raise _Wrong("your values from x = 1/2 are 4^50 times too large: each layer "
                         "contributes w·σ'(z_l), and σ' is at most 1/4 (leaving σ' out, or "
                         "using tanh' instead of σ', gives this).")
        if _close(g, e * w / 4, rtol=1e-5):
            raise _Wrong("your values from x = 1/2 have one layer's factor too many: the "
                         "chain has L = 50 layers.")
        if _close(g, e * 4 / w, rtol=1e-5):
            raise _Wrong("your values from x = 1/2 have one layer's factor too few: the "
                         "chain has L = 50 layers.")
        raise _Wrong("your values from x = 1/2 are not right yet. Check the forward pass "
                     "first: with b = −w/2 in every layer, what is every a_l?")
    if _close(g, ref[0], rtol=1e-5):
        raise _Wrong("your values from x = 1/2 are right, but your second row repeats them: "
                     "start the second forward pass from x = 0.9 (same weights and biases).")
    raise _Wrong("your values from x = 1/2 are right; those from x = 0.9 are not. Keep the "
                 "same chain (b = −w/2) and only change the input to x = 0.9.")


def _ch1_ex4_problems():
    """(params, x, ∂E/∂a_L) of three networks: square layers first (a missing transpose or a
    product in the wrong order does not fail there), then layers of different widths."""
    rng = np.random.default_rng(10)
    square = deepnet.init(depth=3, width=4, rng=rng, weight_scale=2.0, bias_scale=0.5)
    widths = (3, 5, 4, 2)
    tall = deepnet.DeepNetParams(
        tuple(rng.standard_normal((k, j)) for j, k in zip(widths[:-1], widths[1:])),
        tuple(rng.uniform(-0.5, 0.5, k) for k in widths[1:]), "tanh")
    deep = deepnet.init(depth=5, width=6, input_dim=4, rng=rng, weight_scale=2.0,
                        bias_scale=0.5)
    return [(p, rng.standard_normal(p.input_dim), rng.standard_normal(p.output_dim))
            for p in (square, tall, deep)]


def _backprop_variant(params, trace, g, *, dact=None, transpose: bool = True,
                      upward: bool = False, last: int = 1) -> np.ndarray:
    """∂E/∂a_{last-1} by g ← W_lᵀ (φ'(z_l) ⊙ g) from l = L down to ``last`` (1 is right), or
    with one usual mistake: ``dact`` replaces φ'(z_l), ``transpose=False`` uses W_l,
    ``upward=True`` runs the layers from 1 up to L."""
    dact = trace.dact if dact is None else dact
    layers = range(params.depth, last - 1, -1)
    for l in (reversed(layers) if upward else layers):
        W = params.weights[l - 1]
        delta = dact[l - 1] * g
        g = (W.T if transpose else W) @ delta
    return g


def _ch1_ex4_mistakes(p, trace, g):
    """(message, ∂E/∂x) of the usual mistakes of the chain rule."""
    other = "tanh" if p.activation == "sigmoid" else "sigmoid"
    at_output = tuple(activations.derivative(p.activation, a) for a in trace.a[1:])
    swapped = tuple(activations.derivative_from_output(other, a) for a in trace.a[1:])
    ones = tuple(np.ones_like(a) for a in trace.a[1:])
    hint = ("φ′(z_l) is `trace.dact[l - 1]`; from the output it is a_l(1 − a_l) for the "
            "sigmoid and 1 − a_l² for tanh.")
    out = [(f"you evaluate φ′ at the output a_l; the derivative belongs at the pre-activation "
            f"z_l = W_l a_{{l-1}} + b_l. {hint}", _backprop_variant(p, trace, g, dact=at_output)),
           (f"this network's activation is {p.activation}, and your δ_l uses the derivative "
            f"of {other}. {hint}", _backprop_variant(p, trace, g, dact=swapped)),
           (f"the derivative φ′(z_l) is missing: δ_l = φ′(z_l) ⊙ ∂E/∂a_l before W_lᵀ. {hint}",
            _backprop_variant(p, trace, g, dact=ones))]
    if len(set(p.widths)) == 1:
        out += [("you multiply by W_l where the chain rule has W_lᵀ: "
                 "∂E/∂a_{l-1} = W_lᵀ δ_l.", _backprop_variant(p, trace, g, transpose=False)),
                ("your product runs the layers in the wrong order: start at the output with "
                 "J_Lᵀ ∂E/∂a_L and end with J_1ᵀ, from l = L down to 1.",
                 _backprop_variant(p, trace, g, upward=True)),
                ("your result is ∂E/∂a_1: the loop stops one layer early. Go down to l = 1, "
                 "whose W_1ᵀ maps to the input.", _backprop_variant(p, trace, g, last=2))]
    return out


@_checker("ch1-ex-4")
def check_ch1_ex4(answer):
    """Exercise ch1-ex-4: a function ``input_gradient(params, x, dE_da_out)`` returning
    ∂E/∂x = J_1ᵀ ⋯ J_Lᵀ ∂E/∂a_L by backpropagation."""
    sig = "input_gradient(params, x, dE_da_out)"
    fn = _function(answer, sig, np.ndarray)
    for p, x, g in _ch1_ex4_problems():
        where = (f"(on a {p.activation} network with widths "
                 f"{' → '.join(str(w) for w in p.widths)})")
        trace = deepnet.forward(p, x)
        ref = deepnet.backward(p, trace, g).a[0]
        fd = numdiff.finite_difference_gradient(
            lambda v: float(g @ deepnet.forward(p, v).output), x)
        mistakes = _ch1_ex4_mistakes(p, trace, g)
        out = _call(fn, sig, p, x.copy(), g.copy())
        if isinstance(out, deepnet.DeepNetGrads):
            raise _Wrong(f"your function returned {_a(out)}, as deepnet.backward does; write "
                         "the loop yourself and return ∂E/∂x, one array.")
        if np.shape(out) == (p.widths[1],) != (p.input_dim,):
            raise _Wrong(f"your result has {p.widths[1]} entries, the width of a_1 {where}: "
                         "the loop stops one layer early. Go down to l = 1, whose W_1ᵀ maps "
                         "to the input.")
        got = _as_matrix(out, (p.input_dim,), f"your ∂E/∂x {where}")
        if _close(got, ref, 1e-9, 1e-14) and numdiff.relative_error(got, fd) < 1e-6:
            continue
        if _close(got, -ref, 1e-9, 1e-14):
            raise _Wrong("your ∂E/∂x has the wrong sign: every step of the chain rule "
                         "multiplies, nothing subtracts.")
        for message, wrong in mistakes:
            if _close(got, wrong, 1e-9, 1e-14):
                raise _Wrong(message)
        raise _Wrong(f"your ∂E/∂x differs from central differences of E {where}: relative "
                     f"error {numdiff.relative_error(got, fd):.1e}. Check one layer: "
                     "δ_l = φ′(z_l) ⊙ ∂E/∂a_l, then ∂E/∂a_{l-1} = W_lᵀ δ_l.")
    return ("On three networks (sigmoid and tanh, square and rectangular layers) your ∂E/∂x "
            "matches deepnet.backward and the central differences of E.")


# --------------------------------------------------------------------------- chapter 2


def _ch2_ex3_networks():
    """Two small RNNs with non-zero biases and their input sequences."""
    out = []
    for seed, (n, m, act) in enumerate([(4, 2, "sigmoid"), (3, 1, "tanh")]):
        rng = np.random.default_rng(30 + seed)
        p = rnn.init(n=n, m=m, rng=rng, scale=2.0, activation=act)
        p = rnn.RNNParams(p.W_rec, p.W_in, b=rng.standard_normal(n), activation=act)
        out.append((p, rng.standard_normal((7, m))))
    return out


@_checker("ch2-ex-3")
def check_ch2_ex3(answer):
    """Exercise ch2-ex-3: a function ``augment(params)`` returning the RNNParams with the bias
    as the last column of W_in and b = 0."""
    sig = "augment(params)"
    fn = _function(answer, sig, rnn.RNNParams)
    for p, xs in _ch2_ex3_networks():
        n, m = p.n, p.m
        aug = _call(fn, sig, p)
        if not isinstance(aug, rnn.RNNParams):
            raise _Wrong(f"your function `{sig}` should return an rnn.RNNParams; it "
                         f"returned {_a(aug)}.")
        if aug.activation != p.activation:
            raise _Wrong(f"the augmented network uses {aug.activation!r}, the original "
                         f"{p.activation!r}: keep the activation.")
        if aug.W_rec.shape != p.W_rec.shape or not _close(aug.W_rec, p.W_rec, 1e-12):
            raise _Wrong("the augmented network's W_rec differs from the original's: only "
                         "the input weights and the bias move.")
        if aug.W_in.shape != (n, m + 1):
            raise _Wrong(f"the augmented W_in' should have shape ({n}, {m + 1}) for n = {n}, "
                         f"m = {m}; yours has shape {aug.W_in.shape}.")
        if _close(aug.b, p.b, 1e-12):
            raise _Wrong("your b' still holds the bias: it should be zero, otherwise the "
                         "bias is added twice.")
        if np.any(aug.b != 0):
            raise _Wrong("your b' should be zero: the bias now lives in W_in'.")
        if _close(aug.W_in[:, 1:], p.W_in, 1e-12) and _close(aug.W_in[:, 0], p.b, 1e-12):
            raise _Wrong("the bias is W_in's first column, but x'_t = [x_t; 1] has the "
                         "constant 1 last, so the bias is the last column.")
        if not _close(aug.W_in[:, :m], p.W_in, 1e-12):
            raise _Wrong("the first m columns of W_in' should be W_in itself.")
        if _close(aug.W_in[:, m], -p.b, 1e-12):
            raise _Wrong("the last column of W_in' is −b: the sign is wrong.")
        xs_aug = np.column_stack([xs, np.ones(len(xs))])
        if not _close(rnn.forward(aug, xs_aug).c, rnn.forward(p, xs).c, 1e-12):
            raise _Wrong("the states of the augmented network on [x_t; 1] differ from the "
                         "original's: check the last column of W_in'.")
    return "On two test networks the augmented RNN gives the same states."


# The networks of ch2-ex-4: a square one first (n = m: swapped or transposed weights do not
# fail there, they give other states), then n ≠ m; sigmoid and tanh; non-zero biases; two of
# them start from a non-zero state c_{-1}.
CH2_EX4_NETWORKS = ((3, 3, "sigmoid", True), (4, 2, "tanh", True), (2, 5, "sigmoid", False))


def _ch2_ex4_problems():
    """(params, xs, c0) for each network of CH2_EX4_NETWORKS; c0 is None or a state."""
    out = []
    for seed, (n, m, act, from_state) in enumerate(CH2_EX4_NETWORKS):
        rng = np.random.default_rng(40 + seed)
        p = rnn.init(n, m, rng=rng, scale=1.5, activation=act)
        p = rnn.RNNParams(p.W_rec, p.W_in, b=rng.uniform(-1.0, 1.0, n), activation=act)
        low = 0.0 if act == "sigmoid" else -1.0
        c0 = rng.uniform(low, 1.0, n) if from_state else None
        out.append((p, rng.standard_normal((5, m)), c0))
    return out


def _forward_variant(xs, c0, W_rec, W_in, b, act) -> np.ndarray:
    """The states c_0 … c_{T-1} of eq. (2.1) for the given pieces (one of them may be wrong)."""
    c, states = c0, []
    for x in xs:
        c = act(W_rec @ c + W_in @ x + b)
        states.append(c)
    return np.array(states)


def _ch2_ex4_mistakes(p, xs, c0):
    """(message, states) of the usual mistakes of eq. (2.1)."""
    act = activations.activation(p.activation)
    start = np.zeros(p.n) if c0 is None else c0
    out = [("the bias b is missing from the pre-activation z_t = W_rec c_{t-1} + W_in x_t + b.",
            _forward_variant(xs, start, p.W_rec, p.W_in, 0.0, act)),
           ("your W_rec is transposed: the pre-activation has W_rec c_{t-1} (row i of W_rec "
            "collects the previous states for unit i).",
            _forward_variant(xs, start, p.W_rec.T, p.W_in, p.b, act)),
           ("there is no activation: c_t = φ(z_t), with φ given by params.activation.",
            _forward_variant(xs, start, p.W_rec, p.W_in, p.b, lambda z: z))]
    if p.activation == "tanh":
        out.append(("this network's activation is tanh (params.activation), and your states "
                    "use the sigmoid.",
                    _forward_variant(xs, start, p.W_rec, p.W_in, p.b, sigmoid)))
    if c0 is not None:
        out.append(("the starting state is not used: the first step reads c_{-1} = c0 (zeros "
                    "only when c0 is None).",
                    _forward_variant(xs, np.zeros(p.n), p.W_rec, p.W_in, p.b, act)))
    if p.n == p.m:
        out += [("your W_rec and W_in are swapped: W_rec multiplies the previous state c_{t-1}, "
                 "W_in the input x_t.",
                 _forward_variant(xs, start, p.W_in, p.W_rec, p.b, act)),
                ("your W_in is transposed: the pre-activation has W_in x_t, an n × m matrix times "
                 "the input.",
                 _forward_variant(xs, start, p.W_rec, p.W_in.T, p.b, act))]
    return out


@_checker("ch2-ex-4")
def check_ch2_ex4(answer):
    """Exercise ch2-ex-4: a function ``my_forward(params, xs, c0=None)`` returning the states
    c_0 … c_{T-1} of eq. (2.1) as a (T, n) array."""
    sig = "my_forward(params, xs, c0=None)"
    fn = _function(answer, sig, np.ndarray)
    for p, xs, c0 in _ch2_ex4_problems():
        T, n = len(xs), p.n
        where = (f"(on a {p.activation} network with n = {n}, m = {p.m}, "
                 + ("c0 = None)" if c0 is None else "c0 given)"))
        ref = rnn.forward(p, xs, c0).c
        start = np.zeros(n) if c0 is None else c0
        mistakes = _ch2_ex4_mistakes(p, xs, c0)
        out = (_call(fn, sig, p, xs.copy()) if c0 is None else
               _call(fn, sig, p, xs.copy(), c0.copy()))
        if isinstance(out, rnn.RNNTrace):
            raise _Wrong(f"your function returned {_a(out)}, as rnn.forward does; write the "
                         "loop of eq. (2.1) yourself and return the states as a (T, n) array.")
        shape = np.shape(out)
        if shape == (T + 1, n):
            arr = np.asarray(out, dtype=float)
            if _close(arr[0], start, 1e-12, 1e-15):
                raise _Wrong(f"your array has T + 1 = {T + 1} rows and starts with c_{{-1}}: "
                             "return c_0 … c_{T-1} only, one row per input x_t.")
        if shape == (T - 1, n):
            arr = np.asarray(out, dtype=float)
            if _close(arr, ref[:-1], 1e-9, 1e-12):
                raise _Wrong("the last state c_{T-1} is missing: there is one state per "
                             "input, T in all.")
            if _close(arr, ref[1:], 1e-9, 1e-12):
                raise _Wrong("the first state c_0 is missing: step t = 0 reads x_0 and "
                             "c_{-1}.")
        got = _as_matrix(out, (T, n), f"your array of states {where}")
        if _close(got, ref, 1e-9, 1e-12):
            continue
        for message, wrong in mistakes:
            if _close(got, wrong, 1e-9, 1e-12):
                raise _Wrong(message)
        first = int(np.argmax(np.any(~np.isclose(got, ref, rtol=1e-9, atol=1e-12), axis=1)))
        raise _Wrong(f"your states differ from eq. (2.1) {where}, first at step t = {first}. "
                     + ("Check c_0 = φ(W_rec c_{-1} + W_in x_0 + b)." if first == 0 else
                        "Step 0 is right: check how each step passes its state on to the "
                        "next."))
    return ("On three networks (sigmoid and tanh, n = m and n ≠ m, from c0 = None and from a "
            "given c0) your states are those of rnn.forward.")


# --------------------------------------------------------------------------- chapter 3


def _ch3_ex2_problems():
    """Tanh networks n = 5, m = 3, T = 12: one from c_{-1} = 0, one from a non-zero state."""
    rng = np.random.default_rng(50)
    p = rnn.init(5, 3, rng=rng, scale=0.9, activation="tanh")
    xs = rng.standard_normal((12, 3))
    c0 = rng.uniform(-0.5, 0.5, 5)
    y = rng.uniform(-1, 1, 5)
    out = []
    for start in (None, c0):
        tr = rnn.forward(p, xs, c0=start)
        out.append((p, tr, bptt.last_state_loss_grad(tr, y), start is None))
    return out


@_checker("ch3-ex-2")
def check_ch3_ex2(answer):
    """Exercise ch3-ex-2: a function ``term0(params, trace, dL_dc)`` returning the W_rec block
    and the W_in block of term 0 of eq. (3.6)."""
    sig = "term0(params, trace, dL_dc)"
    fn = _function(answer, sig)
    for p, tr, dL, from_zero in _ch3_ex2_problems():
        out = _call(fn, sig, p, tr, dL)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise _Wrong(f"your function `{sig}` should return two arrays, (W_rec block, "
                         "W_in block).")
        a, b = out
        if np.shape(a) == (5, 3) and np.shape(b) == (5, 5):
            raise _Wrong("your two blocks come in the wrong order: (W_rec block, W_in block).")
        W_rec0 = _as_matrix(a, (5, 5), "the W_rec block")
        W_in0 = _as_matrix(b, (5, 3), "the W_in block")
        terms = rnn.bptt_terms(p, tr, dL)
        full = rnn.backward(p, tr, dL)
        if _close(W_rec0, terms.W_rec[0]) and _close(W_in0, terms.W_in[0]):
            continue
        if _close(W_rec0, terms.W_rec[-1]) and _close(W_in0, terms.W_in[-1]):
            raise _Wrong("these are the blocks of the last term, j = T − 1; term 0 is the "
                         "term of the first step.")
        if _close(W_rec0, full.W_rec) and _close(W_in0, full.W_in):
            raise _Wrong("these are the blocks of the whole gradient (the sum of all terms); "
                         "the exercise asks for term 0 only.")
        if _close(W_rec0, -terms.W_rec[0]) and _close(W_in0, -terms.W_in[0]):
            raise _Wrong("your blocks have the wrong sign.")
        if not from_zero and not W_rec0.any():
            raise _Wrong("your W_rec block is zero even for a network that starts from a "
                         "non-zero state c_{-1}: compute the block from the terms instead of "
                         "writing zeros.")
        which = "W_rec" if not _close(W_rec0, terms.W_rec[0]) else "W_in"
        raise _Wrong(f"your {which} block differs from term 0 of eq. (3.6)"
                     + ("" if from_zero else " (on a network that starts from c_{-1} ≠ 0)")
                     + ".")
    return ("Your function gives term 0 on a network from c_{-1} = 0 and on one from "
            "c_{-1} ≠ 0.")


def _ch3_ex3_problems():
    out = []
    for seed, (T, act) in enumerate([(6, "sigmoid"), (4, "tanh")]):
        rng = np.random.default_rng(60 + seed)
        p = rnn.init(8, 2, rng=rng, scale=2.0, activation=act)
        tr = rnn.forward(p, rng.standard_normal((T, 2)))
        out.append((p, tr, rng.uniform(0.0, 1.0, (T, 8))))
    return out


def _loss_step_matrix(p, tr, ys, norm=gradients.step_contribution_norms) -> np.ndarray:
    T = tr.T
    M = np.zeros((T, T))
    for k in range(T):
        dL_k = np.zeros(tr.c.shape)
        dL_k[k] = tr.c[k] - ys[k]
        M[k] = norm(rnn.bptt_terms(p, tr, dL_k))
    return M


@_checker("ch3-ex-3")
def check_ch3_ex3(answer):
    """Exercise ch3-ex-3: a function ``loss_step_norms(params, trace, ys)`` returning the
    (T, T) matrix M[k, j] = ‖term of step j in ∂L_k/∂W‖_F."""
    sig = "loss_step_norms(params, trace, ys)"
    fn = _function(answer, sig)
    for p, tr, ys in _ch3_ex3_problems():
        T = tr.T
        M = _as_matrix(_call(fn, sig, p, tr, ys), (T, T), f"the matrix M (T = {T})")
        ref = _loss_step_matrix(p, tr, ys)
        if _close(M, ref, 1e-6, 1e-300):
            continue
        if _close(M, ref.T, 1e-6, 1e-300):
            raise _Wrong("your M is transposed: row k is the loss L_k, column j the step "
                         "where W enters.")
        if _close(M, ref ** 2, 1e-6, 1e-300):
            raise _Wrong("your entries look squared: M[k, j] is a norm, not a squared norm.")
        if np.allclose(M, M[0], rtol=1e-9, atol=0):
            raise _Wrong("all your rows are the same: for row k, pass a dL_dc that is "
                         "non-zero only in row k (the loss at word k alone).")
        upper = np.triu(np.ones((T, T), dtype=bool), 1)
        if not np.allclose(M[upper], ref[upper], rtol=1e-6, atol=1e-300):
            raise _Wrong("your entries with j > k differ: which steps can the loss at word k "
                         "depend on?")
        raise _Wrong(f"your entries with j ≤ k differ (T = {T}): compare the diagonal first, "
                     "the term of each loss at its own word; use the Frobenius norm of the "
                     "term's W_rec and W_in blocks together.")
    return "Checked on two networks (T = 6 and T = 4)."


# The networks of ch3-ex-5: sigmoid and tanh, n ≠ m so that a transposed matrix shows, the
# first from c_{-1} = 0 and the others from a non-zero state; non-zero biases.
CH3_EX5_NETWORKS = ((4, 2, "sigmoid", False), (3, 5, "tanh", True), (5, 3, "sigmoid", True))


def _ch3_ex5_problems():
    """(params, xs, y, c0) for each network of CH3_EX5_NETWORKS; c0 is None or a state."""
    out = []
    for seed, (n, m, act, from_state) in enumerate(CH3_EX5_NETWORKS):
        rng = np.random.default_rng(70 + seed)
        p = rnn.init(n, m, rng=rng, scale=1.5, activation=act)
        p = rnn.RNNParams(p.W_rec, p.W_in, b=rng.uniform(-0.5, 0.5, n), activation=act)
        xs = rng.standard_normal((6, m))
        low = 0.0 if act == "sigmoid" else -1.0           # states and targets in φ's range
        y = rng.uniform(low, 1.0, n)
        c0 = rng.uniform(low, 1.0, n) if from_state else None
        out.append((p, xs, y, c0))
    return out


def _bptt_variant(params, trace, dL_dc, *, dact=None, carry: str = "row", first: int = 0,
                  u_prev: bool = True) -> tuple:
    """(∂E/∂W_rec, ∂E/∂W_in, ∂E/∂b) by the loop of eq. (3.8), or with one usual mistake.

    ``dact`` replaces φ'(z_t); ``carry`` is "row" (δ_{t+1} W_rec, right), "column" (W_rec δ_{t+1},
    the transpose missing) or "none" (no sum over paths); the loop runs from T-1 down to
    ``first`` (0 is right); ``u_prev=False`` puts c_t where c_{t-1} belongs.
    """
    dact = trace.dact if dact is None else dact
    dW_rec, dW_in, db = (np.zeros_like(a) for a in (params.W_rec, params.W_in, params.b))
    back = np.zeros(params.n)
    for t in range(trace.T - 1, first - 1, -1):
        delta = (dL_dc[t] + back) * dact[t]
        dW_rec += np.outer(delta, trace.c_prev[t] if u_prev else trace.c[t])
        dW_in += np.outer(delta, trace.xs[t])
        db += delta
        back = {"row": delta @ params.W_rec, "column": params.W_rec @ delta,
                "none": np.zeros(params.n)}[carry]
    return dW_rec, dW_in, db


def _ch3_ex5_loss(params, xs, y, c0, name: str, value) -> float:
    """E = ½‖c_{T-1} − y‖² with the parameter ``name`` set to ``value``."""
    p = dataclasses.replace(params, **{name: value})
    return bptt.last_state_loss(rnn.forward(p, xs, c0), y)


def _ch3_ex5_mistakes(p, trace, dL):
    """(message, gradients) of the usual mistakes, computed from the equations."""
    dz_name = ("For the sigmoid, φ′(z_t) = c_t(1 − c_t); for tanh, 1 − c_t². Both are in "
               "`trace.dact[t]`.")
    other = "tanh" if p.activation == "sigmoid" else "sigmoid"
    z_at_c = activations.derivative(p.activation, trace.c)
    terms = rnn.bptt_terms(p, trace, dL)
    return [
        ("your gradient holds only the term of the last step, where ∂⁺E/∂c_t is non-zero: "
         "δ_t must also carry δ_{t+1} W_rec back from the later steps (eq. 3.8). That carry "
         "is what sums the paths of eq. (3.6).",
         _bptt_variant(p, trace, dL, carry="none")),
        ("your gradient is term 0 of eq. (3.6) alone, the single path of the source's "
         "eq. (1): the gradient is the sum of the terms δ_tᵀ u_tᵀ of every step t.",
         (terms.W_rec[0], terms.W_in[0], terms.b[0])),
        ("the carry from step t+1 back to step t uses W_rec δ_{t+1}; eq. (3.8) has the row "
         "vector δ_{t+1} W_rec, which is W_recᵀ δ_{t+1} as a column: check the transpose in "
         "the carry.",
         _bptt_variant(p, trace, dL, carry="column")),
        ("your ∂E/∂W_rec uses c_t in the outer product. Step t multiplies W_rec by the "
         "previous state: u_t = [c_{t-1}; x_t], so its term is δ_tᵀ c_{t-1}ᵀ (c_{-1} at "
         "t = 0, `trace.c_prev[t]`).",
         _bptt_variant(p, trace, dL, u_prev=False)),
        (f"you evaluate φ′ at the state c_t; the derivative belongs at the pre-activation z_t. "
         f"{dz_name}",
         _bptt_variant(p, trace, dL, dact=z_at_c)),
        (f"this network's activation is {p.activation}, and your δ_t uses the derivative "
         f"of {other}. "
         f"{dz_name}",
         _bptt_variant(p, trace, dL,
                       dact=activations.derivative_from_output(other, trace.c))),
        ("the derivative φ′(z_t) is missing from δ_t: each step multiplies by "
         f"diag(φ′(z_t)) (eq. 3.8). {dz_name}",
         _bptt_variant(p, trace, dL, dact=np.ones_like(trace.c))),
        ("the term of the first step, t = 0, is missing: the loop runs from t = T − 1 down to "
         "t = 0 included.",
         _bptt_variant(p, trace, dL, first=1)),
    ]


def _rel(got, ref) -> float:
    """Relative error of three blocks taken together."""
    return numdiff.relative_error(np.concatenate([np.ravel(g) for g in got]),
                                  np.concatenate([np.ravel(r) for r in ref]))


@_checker("ch3-ex-5")
def check_ch3_ex5(answer):
    """Exercise ch3-ex-5: a function ``my_bptt(params, xs, y, c0=None)`` returning
    (∂E/∂W_rec, ∂E/∂W_in, ∂E/∂b) of E = ½‖c_{T-1} − y‖² by the loop of eq. (3.8)."""
    sig = "my_bptt(params, xs, y, c0=None)"
    fn = _function(answer, sig, tuple)
    for p, xs, y, c0 in _ch3_ex5_problems():
        n, m = p.n, p.m
        where = (f"(on a {p.activation} network with n = {n}, m = {m}, "
                 + ("c_{-1} = 0)" if c0 is None else "c_{-1} ≠ 0)"))
        trace = rnn.forward(p, xs, c0)
        dL = bptt.last_state_loss_grad(trace, y)
        ref = rnn.backward(p, trace, dL)
        ref = (ref.W_rec, ref.W_in, ref.b)
        fd = tuple(numdiff.finite_difference_gradient(
            functools.partial(_ch3_ex5_loss, p, xs, y, c0, name), value)
            for name, value in (("W_rec", p.W_rec), ("W_in", p.W_in), ("b", p.b)))
        mistakes = _ch3_ex5_mistakes(p, trace, dL)
        out = (_call(fn, sig, p, xs.copy(), y.copy()) if c0 is None else
               _call(fn, sig, p, xs.copy(), y.copy(), c0.copy()))
        if isinstance(out, rnn.RNNGrads):
            raise _Wrong(f"your function returned {_a(out)}, as rnn.backward does; write the "
                         "loop of eq. (3.8) yourself and return the three arrays "
                         "(dW_rec, dW_in, db).")
        if not (isinstance(out, (tuple, list)) and len(out) == 3):
            raise _Wrong(f"your function `{sig}` should return three arrays, "
                         "(dW_rec, dW_in, db).")
        if np.shape(out[0]) == (n, m) and np.shape(out[1]) == (n, n):
            raise _Wrong("your arrays come in the wrong order: (dW_rec, dW_in, db).")
        got = (_as_matrix(out[0], (n, n), f"your dW_rec {where}"),
               _as_matrix(out[1], (n, m), f"your dW_in {where}"),
               _as_matrix(out[2], (n,), f"your db {where}"))
        if _rel(got, ref) < 1e-8 and _rel(got, fd) < 1e-6:
            continue
        if not any(np.any(g) for g in got):
            raise _Wrong(f"your gradients are all zero {where}: the loop starts at the last "
                         "step, t = T − 1, where ∂⁺E/∂c_{T-1} = c_{T-1} − y enters.")
        if _rel(got, tuple(-r for r in ref)) < 1e-8:
            raise _Wrong("your gradients have the wrong sign: ∂E/∂c_{T-1} = c_{T-1} − y "
                         "(eq. 3.1), and nothing on the way back flips it.")
        if c0 is not None:
            tr0 = rnn.forward(p, xs)
            g0 = rnn.backward(p, tr0, bptt.last_state_loss_grad(tr0, y))
            if _rel(got, (g0.W_rec, g0.W_in, g0.b)) < 1e-8:
                raise _Wrong(f"your gradients {where} are those of the network started from "
                             "c_{-1} = 0: pass c0 on to rnn.forward.")
        for message, wrong in mistakes:
            if _rel(got, wrong) < 1e-8:
                raise _Wrong(message)
        if _rel((got[0].T, got[1], got[2]), ref) < 1e-8:
            raise _Wrong("your dW_rec is transposed: term t is the outer product "
                         "δ_tᵀ c_{t-1}ᵀ, row i for unit i (np.outer(delta, c_prev)).")
        wrong = [name for name, g, f in zip(("dW_rec", "dW_in", "db"), got, fd)
                 if numdiff.relative_error(g, f) > 1e-6]
        errors = ", ".join(f"{name} {numdiff.relative_error(got[k], fd[k]):.1e}"
                           for k, name in enumerate(("dW_rec", "dW_in", "db"))
                           if name in wrong)
        raise _Wrong(f"your {_listing(wrong)} {'differs' if len(wrong) == 1 else 'differ'} from "
                     f"central differences of E {where}; relative errors: {errors}. Go "
                     "through eq. (3.8) step by step: δ_t, the carry δ_t W_rec, the terms "
                     "δ_tᵀ u_tᵀ.")
    return ("On three networks (sigmoid and tanh, n ≠ m, two from c_{-1} ≠ 0) your gradients "
            "match rnn.backward and the central differences of E.")


def _ch3_ex6_problems():
    """(params, trace, dL_dc, tol): a sigmoid network whose gradient vanishes (loss at every
    step) and a tanh network with an orthogonal W_rec and small states, whose does not."""
    rng = np.random.default_rng(66)
    sig = rnn.init(8, 2, rng=rng, scale=2.0)
    tr = rnn.forward(sig, rng.standard_normal((30, 2)))
    dL = 20.0 * bptt.every_step_loss_grad(tr, rng.uniform(0.0, 1.0, (30, 8)))   # E × 20
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    orth = rnn.RNNParams(W_rec=Q, W_in=0.05 * rng.standard_normal((6, 2)), b=np.zeros(6),
                         activation="tanh")
    tr_o = rnn.forward(orth, rng.standard_normal((20, 2)))
    dL_o = bptt.last_state_loss_grad(tr_o, rng.uniform(-0.1, 0.1, 6))
    return [(sig, tr, dL, 1e-3), (sig, tr, dL, 1e-8), (orth, tr_o, dL_o, 0.1)]


def _truncation_errors(p, tr, dL) -> tuple[np.ndarray, np.ndarray]:
    """Relative and absolute errors of truncated BPTT for K = 0, …, T − 1."""
    full = bptt.stacked_gradient(rnn.backward(p, tr, dL))
    diffs = [np.linalg.norm(bptt.stacked_gradient(bptt.truncated_backward(p, tr, dL, K)) - full)
             for K in range(tr.T)]
    return np.array(diffs) / np.linalg.norm(full), np.array(diffs)


@_checker("ch3-ex-6")
def check_ch3_ex6(answer):
    """Exercise ch3-ex-6: a function ``smallest_K(params, trace, dL_dc, tol)`` returning the
    smallest K whose truncated gradient has a relative error of at most ``tol``."""
    sig = "smallest_K(params, trace, dL_dc, tol)"
    fn = _function(answer, sig, result_type=(int, np.integer))
    for p, tr, dL, tol in _ch3_ex6_problems():
        out = _call(fn, sig, p, tr, dL, tol)
        if isinstance(out, (bool, np.bool_)) or not isinstance(out, (int, np.integer, float,
                                                                       np.floating)):
            raise _Wrong(f"your function `{sig}` should return a whole number K, "
                         f"got {_a(out)}.")
        if not float(out).is_integer():
            raise _Wrong(f"your function returned {out}; K is a whole number of steps.")
        K = int(out)
        rel, absolute = _truncation_errors(p, tr, dL)
        ref = int(np.argmax(rel <= tol))
        where = f"(T = {tr.T}, tol = {tol:g})"
        if K == ref:
            continue
        if not 0 <= K <= tr.T - 1:
            raise _Wrong(f"your K = {K} is outside 0, …, T − 1 {where}; K = T − 1 already "
                         "keeps every path.")
        if K == ref + 1:
            raise _Wrong(f"your K is one too large {where}: K counts the Jacobians a path "
                         "crosses (its lag), not the steps of the window (K + 1); K = 0 "
                         "keeps the immediate derivatives alone.")
        if K == int(np.argmax(absolute <= tol)):
            raise _Wrong(f"your K {where} is where the absolute error ‖truncated − full‖ "
                         "falls below tol; the exercise asks for the relative error, "
                         "divided by ‖full‖.")
        if K < ref:
            raise _Wrong(f"at your K the relative error is still above tol {where}: it must "
                         "be at most tol.")
        raise _Wrong(f"a smaller K already has a relative error of at most tol {where}: "
                     "start from K = 0.")
    return "Checked on a sigmoid network at two tolerances and on a tanh network."


# --------------------------------------------------------------------------- chapter 4

CH4_NORM = 8.0
CH4_LAG = 30
CH4_LIMIT = 1e-20
CH4_INPUT_SEEDS = (0, 1, 2)


@_checker("ch4-ex-3")
def check_ch4_ex3(answer):
    """Exercise ch4-ex-3: an ``rnn.RNNParams`` (sigmoid, ‖W_rec‖₂ = 8) whose gradient norm at
    lag 30 is below 1e-20 (on standard-normal inputs, seeds 0, 1, 2, T = 31)."""
    _reject_kinds(answer, "the parameters (an rnn.RNNParams)")
    if callable(answer):
        raise _Wrong("your answer is a function; give the parameters, an rnn.RNNParams.")
    if not isinstance(answer, rnn.RNNParams):
        raise _Wrong(f"expected the parameters as an rnn.RNNParams, got {_a(answer)}.")
    p = answer
    if p.activation != "sigmoid":
        raise _Wrong(f"the exercise asks for a sigmoid RNN; yours uses {p.activation!r}.")
    norm = float(np.linalg.norm(p.W_rec, 2))
    if not math.isclose(norm, CH4_NORM, rel_tol=1e-3):
        raise _Wrong(f"the spectral norm ‖W_rec‖₂ of your network is {norm:.4g}, not 8 "
                     "(twice the threshold 1/γ = 4). rnn.init(..., scale=8.0) gives "
                     "exactly 8.")
    for seed in CH4_INPUT_SEEDS:
        xs = np.random.default_rng(seed).standard_normal((CH4_LAG + 1, p.m))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            value = float(gradients.gradient_norm_vs_lag(p, rnn.forward(p, xs))[CH4_LAG])
        if not np.isfinite(value):
            raise _Wrong(f"the gradient norm at lag 30 is {value} (input seed {seed}): it "
                         "overflows instead of vanishing.")
        if value >= CH4_LIMIT:
            raise _Wrong(f"on standard-normal inputs (seed {seed}, T = 31) the gradient norm at "
                         f"lag 30 is {value:.1e}, not below 1e-20. Which pre-activations make "
                         "σ' small, and what moves every unit there?")
    return "Below 1e-20 at lag 30 on three input sequences, with ‖W_rec‖₂ = 8."


CH4_THRESHOLDS = (0.1, 1.0, 10.0, 100.0, 1000.0)
#: The window of chapter 4's error-surface plot, exploding.loss_surface(w_range, b_range).
CH4_WINDOW = {"w": (3.0, 8.0), "b": (-4.5, -1.0)}


@functools.lru_cache(maxsize=None)
def _ch4_ex4_reference() -> frozenset:
    keep = set()
    (w0, w1), (b0, b1) = CH4_WINDOW["w"], CH4_WINDOW["b"]
    for theta in CH4_THRESHOLDS:
        P = exploding.gradient_descent(5.0, -2.8, lr=0.3, steps=30, clip=theta).params
        if np.all((P[:, 0] >= w0) & (P[:, 0] <= w1) & (P[:, 1] >= b0) & (P[:, 1] <= b1)):
            keep.add(theta)
    return frozenset(keep)


@_checker("ch4-ex-4")
def check_ch4_ex4(answer):
    """Exercise ch4-ex-4: the thresholds θ (a list or set) whose path stays on the plotted surface."""
    what = "the thresholds θ that keep the path on the surface"
    _reject_kinds(answer, what)
    given = sorted(answer) if isinstance(answer, (set, frozenset)) else answer
    try:
        shape = np.shape(given)
    except ValueError:
        raise _Wrong(f"give {what} as a flat list of numbers.") from None
    values = np.atleast_1d(_array(given, shape, what, ordered=False)).ravel()
    for v in values:
        if not any(math.isclose(v, t) for t in CH4_THRESHOLDS):
            raise _Wrong(f"your θ = {_fmt(v)} is not one of the exercise's thresholds "
                         "0.1, 1, 10, 100, 1000.")
    got = {t for t in CH4_THRESHOLDS if any(math.isclose(v, t) for v in values)}
    ref = _ch4_ex4_reference()
    extra = sorted(got - ref)
    if extra:
        (w0, w1), (b0, b1) = CH4_WINDOW["w"], CH4_WINDOW["b"]
        raise _Wrong(f"with θ = {_fmt(extra[0])} the path leaves the plotted surface "
                     f"(w from {_fmt(w0)} to {_fmt(w1)}, b from {_fmt(b0)} to {_fmt(b1)}).")
    missing = ref - got
    if missing:
        k = len(missing)
        raise _Wrong(f"your answer is missing {_count(k, 'threshold')} that "
                     f"{'keeps' if k == 1 else 'keep'} the path on the surface.")
    return ""


#: The network of exercise ch4-ex-5: a sigmoid RNN with orthogonal W_rec, ‖W_rec‖₂ = 4 = 1/γ.
CH4_EX5_NETWORK = dict(n=16, m=1, seed=0, scale=4.0)


def _ch4_ex5_network() -> rnn.RNNParams:
    k = CH4_EX5_NETWORK
    return rnn.init(k["n"], k["m"], rng=np.random.default_rng(k["seed"]), scale=k["scale"],
                    activation="sigmoid", recurrent="orthogonal")


@_checker("ch4-ex-5")
def check_ch4_ex5(answer):
    """Exercise ch4-ex-5: the bias b (n,) for which c = ½·1 is a fixed point of the orthogonal
    sigmoid RNN at zero input, with z = 0 there (σ' = 1/4, the step Jacobian W_rec / 4)."""
    net = _ch4_ex5_network()
    n = net.n
    what = f"the bias b (an array of {n} numbers)"
    if isinstance(answer, rnn.RNNParams):
        raise _Wrong(f"give the bias alone (the b of your rnn.RNNParams): {what}.")
    b = _array(answer, (n,), what)
    half = np.full(n, 0.5)
    z = net.W_rec @ half + b                          # the pre-activation at c = ½·1, x = 0
    if np.abs(z).max() <= 1e-9 * max(1.0, np.abs(b).max()):
        return ("At zero input c = ½·1 is a fixed point with z = 0, where σ' = 1/4: the step "
                "Jacobian there is W_rec / 4, orthogonal, with every singular value 1.")
    if _close(b, net.W_rec @ half, atol=1e-9):
        raise _Wrong("the sign is flipped: z = W_rec c + b must vanish at c = ½·1, so b has to "
                     "cancel W_rec c, not add to it.")
    if _close(b, -net.W_rec @ np.ones(n), atol=1e-9):
        raise _Wrong("your bias makes z = 0 at c = 1 (all ones), not at c = ½·1; where does "
                     "the sigmoid's output sit when z = 0?")
    if _close(b, -net.W_rec.T @ half, atol=1e-9):
        raise _Wrong("your bias uses the columns of W_rec: unit i's pre-activation is "
                     "z_i = Σ_j W_rec[i, j] c_j + b_i, a sum along row i. Is it transposed?")
    if not b.any():
        raise _Wrong("your bias is 0: that is the network as rnn.init draws it, whose states "
                     "sit away from z = 0 (the point of the exercise).")
    if np.allclose(b, b[0]):
        raise _Wrong("your bias is the same for every unit, but W_rec mixes the units: at "
                     "c = ½·1 unit i receives half the sum of row i of W_rec, and the rows "
                     "sum to different numbers.")
    raise _Wrong(f"at c = ½·1 and zero input your bias gives pre-activations z = W_rec c + b "
                 f"up to |z_i| = {_fmt(np.abs(z).max())}, not 0.")


# --------------------------------------------------------------------------- chapter 5

CH5_SIZES = ((1, 1), (3, 2), (5, 7), (16, 8), (128, 64))


def _ch5_counts(n: int, m: int) -> tuple[int, int]:
    rng = np.random.default_rng(0)
    return (cell.parameter_count(lstm.init(n, m, rng=rng)),
            cell.parameter_count(rnn.init(n, m, rng=rng)))


@_checker("ch5-ex-2")
def check_ch5_ex2(answer):
    """Exercise ch5-ex-2: a function ``counts(n, m)`` returning (LSTM count, simple-RNN count)."""
    sig = "counts(n, m)"
    fn = _function(answer, sig)
    for n, m in CH5_SIZES:
        out = _call(fn, sig, n, m)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise _Wrong(f"your function `{sig}` should return two numbers: (LSTM count, "
                         "RNN count).")
        try:
            got = [float(x) for x in out]
        except (TypeError, ValueError):
            raise _Wrong(f"your function `{sig}` should return two numbers, got "
                         f"{out!r:.60}.") from None
        ref_lstm, ref_rnn = _ch5_counts(n, m)
        lstm_n, rnn_n = got
        at = f"for n = {n}, m = {m}"
        if any(not math.isfinite(x) or not float(x).is_integer() for x in got):
            raise _Wrong(f"{at} your counts are {out}; a number of parameters is a whole number.")
        if (lstm_n, rnn_n) == (ref_lstm, ref_rnn):
            continue
        if (lstm_n, rnn_n) == (ref_rnn, ref_lstm):
            raise _Wrong("your two counts come in the wrong order: (LSTM, RNN).")
        if lstm_n != ref_lstm:
            if lstm_n == ref_lstm - 4 * n:
                raise _Wrong(f"{at} your LSTM count misses 4n = {4 * n}: the four biases.")
            if lstm_n == ref_rnn:
                raise _Wrong(f"{at} your LSTM count is the simple RNN's: the LSTM has one "
                             "such map for each of f, i, o and the candidate c̃.")
            if lstm_n == 3 * ref_rnn:
                raise _Wrong(f"{at} your LSTM count has three maps; the candidate c̃ has "
                             "weights and a bias too.")
            if (n, m) != (m, n) and lstm_n == _ch5_counts(m, n)[0]:
                raise _Wrong(f"{at} your LSTM count swaps the roles of n (units) and m (inputs).")
            raise _Wrong(f"{at} your LSTM count {int(lstm_n)} is "
                         f"{'too large' if lstm_n > ref_lstm else 'too small'}.")
        if rnn_n == ref_rnn - n:
            raise _Wrong(f"{at} your RNN count misses n = {n}: the bias b.")
        if (n, m) != (m, n) and rnn_n == _ch5_counts(m, n)[1]:
            raise _Wrong(f"{at} your RNN count swaps the roles of n (units) and m (inputs).")
        raise _Wrong(f"{at} your RNN count {int(rnn_n)} is "
                     f"{'too large' if rnn_n > ref_rnn else 'too small'}.")
    return "Your counts agree with cell.parameter_count for five sizes."


CH5_STEPS = 50


@functools.lru_cache(maxsize=None)
def _half_life_bias(steps: int = CH5_STEPS) -> float:
    """Bisection for b_f with cell.memory_run(b_f, weight_scale=0, T=steps).retained[-1] = 1/2."""
    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if cell.memory_run(mid, weight_scale=0.0, T=steps).retained[-1] < 0.5:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


@_checker("ch5-ex-3")
def check_ch5_ex3(answer):
    """Exercise ch5-ex-3: the forget bias b_f that keeps half of the stored value after 50 steps."""
    b = _number(answer, "the forget bias b_f (a number)")
    ref = _half_life_bias()
    if abs(b - ref) <= 1e-3:
        return ""
    if abs(b - float(sigmoid(ref))) <= 1e-3:
        raise _Wrong("that looks like the forget gate's value σ(b_f); the exercise asks for "
                     "the bias b_f itself.")
    approx = math.log(CH5_STEPS / math.log(2.0))
    if abs(b - approx) <= 2e-3:
        raise _Wrong("that is the large-b_f approximation τ ≈ e^{b_f} of the next exercise; "
                     "the exact bias differs in the third decimal.")
    for steps in (CH5_STEPS - 1, CH5_STEPS + 1):
        if abs(b - _half_life_bias(steps)) <= 1e-3:
            raise _Wrong(f"your bias halves the memory in {steps} steps, not 50: count the "
                         "steps t = 0, …, 49.")
    kept = float(cell.memory_run(b, weight_scale=0.0, T=CH5_STEPS).retained[-1])
    if kept < 0.5:
        raise _Wrong(f"at b_f = {_fmt(b)} the cell keeps {kept:.3g} of its value after 50 "
                     "steps, less than half: the bias is too small.")
    raise _Wrong(f"at b_f = {_fmt(b)} the cell keeps {kept:.3g} of its value after 50 steps, "
                 "more than half: the bias is too large.")


CH5_WEIGHTS = (1.5, 2.0, 3.0)
CH5_CAROUSEL_STEPS = 100


def _carousel_errors(c0: float = 0.5, steps: int = CH5_CAROUSEL_STEPS) -> np.ndarray:
    """error[steps] of the tanh unit at rest (no input) from c_{-1} = c0, per weight."""
    return np.array([cell.carousel_run(w, activation="tanh", input_scale=0.0, c0=c0,
                                       T=CH5_CAROUSEL_STEPS).error[steps] for w in CH5_WEIGHTS])


@_checker("ch5-ex-5")
def check_ch5_ex5(answer):
    """Exercise ch5-ex-5: the error after 100 steps along the loop of a tanh unit at rest,
    started from c_{-1} = 0.5, for w = 1.5, 2 and 3."""
    got = _array(answer, (len(CH5_WEIGHTS),), "the 3 errors after 100 steps",
                 "one per weight w = 1.5, 2, 3")
    ref = _carousel_errors()
    if _close(got, ref, 1e-6):
        return ("Once the unit has settled, every factor is w(1 − c*²) < 1, the slope at "
                "the fixed point c* = tanh(w c*).")
    if _close(got[::-1], ref, 1e-6):
        raise _Wrong("your values are in reverse order: w = 1.5, 2, 3.")
    if np.all(ref > 0) and np.all(got < 0) and _close(got, np.log10(ref), 1e-6):
        raise _Wrong("these are the base-10 logarithms; give the errors themselves.")
    if _close(got, np.array(CH5_WEIGHTS) ** CH5_CAROUSEL_STEPS, 1e-6):
        raise _Wrong("your values are w^100: the unit stayed at rest in 0, where tanh'(0) = 1. "
                     "Start it from c_{-1} = 0.5 (c0=0.5).")
    slopes = np.array([np.prod(cell.carousel_run(w, input_scale=0.0, c0=0.5).factors / w)
                       for w in CH5_WEIGHTS])
    if _close(got, slopes, 1e-6):
        raise _Wrong("you multiplied the slopes tanh'(z_t) only; each step back also multiplies "
                     "by the weight w of the loop.")
    if _close(got, _carousel_errors(steps=CH5_CAROUSEL_STEPS - 1), 1e-6):
        raise _Wrong(f"these are the errors after {CH5_CAROUSEL_STEPS - 1} steps: take "
                     f"error[{CH5_CAROUSEL_STEPS}], the product of all {CH5_CAROUSEL_STEPS} "
                     "factors.")
    if np.any(got < 0):
        raise _Wrong("every factor w·tanh'(z_t) is positive here, so the error is too.")
    wrong = [w for w, g, r in zip(CH5_WEIGHTS, got, ref) if not math.isclose(g, r, rel_tol=1e-6)]
    raise _Wrong(f"your value for w = {_listing(_fmt(w) for w in wrong)} "
                 f"{'differs' if len(wrong) == 1 else 'differ'}; use "
                 "cell.carousel_run(w, activation=\"tanh\", input_scale=0.0, c0=0.5) and its "
                 "error[100].")


# --------------------------------------------------------------------------- chapter 6


def _candidate_preactivation(params, trace, t: int) -> np.ndarray:
    """z_c at step t, from the parameters (not from artanh of c̃_t)."""
    return params.W_c @ np.concatenate([trace.h[t - 1], trace.xs[t]]) + params.b_c


def _printed_D(params, trace, t: int):
    """(printed D_t, correct D_t, z_c): the source's D_t has σ'(z_c) where tanh'(z_c) belongs."""
    D = lstm.cell_jacobian_terms(params, trace, t)[3]
    z = _candidate_preactivation(params, trace, t)
    s = sigmoid(z)
    return (s * (1 - s) / (1 - np.tanh(z) ** 2))[:, None] * D, D, z


@_checker("ch6-ex-3")
def check_ch6_ex3(answer):
    """Exercise ch6-ex-3: a function ``printed_D(params, trace, t)`` returning the source's D_t
    (σ'(z_c) in place of tanh'(z_c)) as an (n, n) matrix."""
    sig = "printed_D(params, trace, t)"
    fn = _function(answer, sig)
    params, trace = lag_curves.random_lstm_trace(n=3, T=8, forget_bias=1.0, weight_scale=1.5,
                                                seed=3)
    for t in (2, 5):
        got = _as_matrix(_call(fn, sig, params, trace, t), (3, 3), f"the printed D_{t}")
        ref, D, z = _printed_D(params, trace, t)
        if _close(got, ref, 1e-6, 1e-300):
            continue
        s = sigmoid(z)
        ratio = s * (1 - s) / (1 - np.tanh(z) ** 2)
        if _close(got, D, 1e-6, 1e-300):
            raise _Wrong("this is the correct D_t, with tanh'(z_c); the exercise asks for the "
                         "printed one, with σ'(z_c) in its place.")
        if _close(got, D * ratio[None, :], 1e-6, 1e-300):
            raise _Wrong("you scaled the columns of D_t. σ'(z_c) belongs to unit k's "
                         "candidate, so it multiplies row k (a diagonal factor on the left).")
        if _close(got, D / 4, 1e-6, 1e-300):
            raise _Wrong("your matrix is D_t/4, the printed term only where z_c = 0 "
                         "(σ'(0)/tanh'(0) = 1/4); use σ'(z_c)/tanh'(z_c) unit by unit.")
        if _close(got, (s / (1 - np.tanh(z) ** 2))[:, None] * D, 1e-6, 1e-300):
            raise _Wrong("you used σ(z_c), the sigmoid itself; the printed term has its "
                         "derivative σ'(z_c) = σ(z_c)(1 − σ(z_c)).")
        if _close(got, ref.T, 1e-6, 1e-300):
            raise _Wrong("your matrix is transposed.")
        if _close(got, -ref, 1e-6, 1e-300):
            raise _Wrong("your matrix has the wrong sign.")
        raise _Wrong(f"your printed D_{t} differs on the checker's trace (n = 3, t = {t}). "
                     "Start from D_t of lstm.cell_jacobian_terms and change only the "
                     "activation derivative.")
    return "Checked at two time steps of a 3-unit LSTM."


def _ch6_networks():
    """Three small LSTMs (n ≠ m, non-zero biases and initial states), their traces and, for a
    few steps t (0, a middle one, the last), random incoming gradients ∂L/∂h_t and ∂L/∂c_t."""
    cases = []
    for seed, (n, m, T) in enumerate([(3, 2, 6), (2, 4, 5), (4, 1, 7)]):
        rng = np.random.default_rng(60 + seed)
        base = lstm.init(n, m, rng=rng, forget_bias=1.0, weight_scale=1.5)
        params = dataclasses.replace(base, **{f"b_{g}": 0.5 * rng.standard_normal(n)
                                              for g in lstm.GATES})
        trace = lstm.forward(params, rng.standard_normal((T, m)), h0=0.5 * rng.standard_normal(n),
                             c0=rng.standard_normal(n))
        for t in (0, T // 2, T - 1):
            cases.append((params, trace, t, rng.standard_normal(n), rng.standard_normal(n)))
    return cases


def _ch6_step_reference(params, trace, t: int, dh, dc):
    """(∂L/∂h_{t-1}, ∂L/∂c_{t-1}) = S_tᵀ [∂L/∂h_t; ∂L/∂c_t], S_t = lstm.state_jacobian."""
    back = lstm.state_jacobian(params, trace, t).T @ np.concatenate([dh, dc])
    return back[:params.n], back[params.n:]


def _ch6_step_mistaken(params, trace, t: int, dh, dc, mistake: str):
    """The backward step with one of the usual mistakes (the checker's way to recognise them):
    'no_forget' (∂L/∂c_{t-1} without f_t ⊙), 'no_h_path' (∂L/∂c_t without o_t ⊙ tanh'(c_t) ⊙
    ∂L/∂h_t), 'sigma_candidate' (c̃_t(1 − c̃_t), σ' written for the candidate), 'untransposed'
    (U_g instead of U_gᵀ), 'no_output_gate' (no U_oᵀ term), 'wrapped_c0' (c[t-1] at t = 0,
    i.e. the last cell state instead of c0)."""
    f, i, ct, o, tc = (trace.f[t], trace.i[t], trace.c_tilde[t], trace.o[t], trace.tanh_c[t])
    c_prev = trace.c[t - 1] if mistake == "wrapped_c0" else trace.c_prev[t]
    if mistake != "no_h_path":
        dc = dc + dh * o * (1 - tc ** 2)
    dz = {"f": dc * c_prev * f * (1 - f), "i": dc * ct * i * (1 - i),
          "c": dc * i * (ct * (1 - ct) if mistake == "sigma_candidate" else 1 - ct ** 2),
          "o": dh * tc * o * (1 - o)}
    gates = "fic" if mistake == "no_output_gate" else "fico"
    U = {g: params.U(g) if mistake == "untransposed" else params.U(g).T for g in gates}
    dh_prev = sum(U[g] @ dz[g] for g in gates)
    return dh_prev, (dc if mistake == "no_forget" else f * dc)


CH6_MISTAKES = {
    "no_forget": "your ∂L/∂c_{t−1} misses the forget gate: c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t, "
                 "so the gradient reaches c_{t−1} as f_t ⊙ ∂L/∂c_t.",
    "no_h_path": "your ∂L/∂c_t misses the path through h_t = o_t ⊙ tanh(c_t): before using "
                 "it, add o_t ⊙ tanh'(c_t) ⊙ ∂L/∂h_t, with tanh'(c_t) = 1 − tanh²(c_t).",
    "sigma_candidate": "your candidate term uses σ' (c̃_t(1 − c̃_t)); the candidate is "
                       "c̃_t = tanh(z_c), so its derivative is tanh'(z_c) = 1 − c̃_t².",
    "untransposed": "your ∂L/∂h_{t−1} uses U_g where U_gᵀ belongs: z_g = U_g h_{t−1} + …, so "
                    "the gradient goes back as U_gᵀ ∂L/∂z_g.",
    "no_output_gate": "your ∂L/∂h_{t−1} misses the output gate: o_t = σ(z_o) reads h_{t−1} "
                      "too, so add U_oᵀ ∂L/∂z_o with ∂L/∂z_o = ∂L/∂h_t ⊙ tanh(c_t) ⊙ σ'(z_o).",
    "wrapped_c0": "at t = 0 you used trace.c[t-1], which is the last step's cell state; "
                  "c_{−1} is the initial state trace.c0 (trace.c_prev[t] gives c_{t−1} for "
                  "every t).",
}


@_checker("ch6-ex-4")
def check_ch6_ex4(answer):
    """Exercise ch6-ex-4: a function ``backward_step(params, trace, t, dh, dc)`` returning
    (∂L/∂h_{t-1}, ∂L/∂c_{t-1}) from ∂L/∂h_t and ∂L/∂c_t (the part through c_{t+1})."""
    sig = "backward_step(params, trace, t, dh, dc)"
    fn = _function(answer, sig, tuple)
    for params, trace, t, dh, dc in _ch6_networks():
        n = params.n
        result = _call(fn, sig, params, trace, t, dh.copy(), dc.copy())
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise _Wrong(f"your function `{sig}` should return a pair (∂L/∂h_{{t−1}}, "
                         f"∂L/∂c_{{t−1}}); it returned {_a(result)}"
                         + (f" of length {len(result)}." if isinstance(result, (tuple, list))
                            else "."))
        at = f"(n = {n}, m = {params.m}, t = {t})"
        got_h = _as_matrix(result[0], (n,), f"the returned ∂L/∂h_{{t−1}} {at}")
        got_c = _as_matrix(result[1], (n,), f"the returned ∂L/∂c_{{t−1}} {at}")
        ref_h, ref_c = _ch6_step_reference(params, trace, t, dh, dc)
        ok_h, ok_c = _close(got_h, ref_h, 1e-6, 1e-12), _close(got_c, ref_c, 1e-6, 1e-12)
        if ok_h and ok_c:
            continue
        if _close(got_h, ref_c, 1e-6, 1e-12) and _close(got_c, ref_h, 1e-6, 1e-12):
            raise _Wrong("your two gradients are swapped: return (∂L/∂h_{t−1}, ∂L/∂c_{t−1}).")
        for mistake, message in CH6_MISTAKES.items():
            h, c = _ch6_step_mistaken(params, trace, t, dh, dc, mistake)
            if _close(got_h, h, 1e-6, 1e-12) and _close(got_c, c, 1e-6, 1e-12):
                raise _Wrong(message)
        if _close(got_h, -ref_h, 1e-6, 1e-12) or _close(got_c, -ref_c, 1e-6, 1e-12):
            raise _Wrong("a gradient has the wrong sign.")
        which = ("∂L/∂c_{t−1} differs" if ok_h else "∂L/∂h_{t−1} differs" if ok_c
                 else "two gradients differ")
        raise _Wrong(f"your {which} on the "
                     f"checker's LSTM {at}. Go through step t backwards: ∂L/∂c_t in full "
                     "(with the path through h_t), then ∂L/∂z_g for g = f, i, c, o, then "
                     "Σ_g U_gᵀ ∂L/∂z_g and f_t ⊙ ∂L/∂c_t.")
    return "Checked at the first, a middle and the last step of three LSTMs with n ≠ m."


def _ch6_lstm(seed: int, n: int = 3, m: int = 2, T: int = 7):
    """(params, trace) of a random LSTM with random biases and non-zero initial states, so
    that no block of a Jacobian or a gradient is zero by accident."""
    rng = np.random.default_rng(seed)
    base = lstm.init(n, m, rng=rng, forget_bias=1.0, weight_scale=1.5)
    params = lstm.LSTMParams(**{f"W_{g}": getattr(base, f"W_{g}") for g in lstm.GATES},
                             **{f"b_{g}": 0.5 * rng.standard_normal(n) for g in lstm.GATES})
    trace = lstm.forward(params, rng.standard_normal((T, m)), rng.uniform(-0.8, 0.8, n),
                         rng.standard_normal(n))
    return params, trace


def _state_step_mistakes(params, trace, t: int) -> dict[str, np.ndarray]:
    """S_t built with the usual mistakes, each named by the feedback it gets."""
    n = params.n
    S = lstm.state_jacobian(params, trace, t)
    f, o, tc = trace.f[t], trace.o[t], trace.tanh_c[t]
    output_term = (tc * o * (1 - o))[:, None] * params.U("o")
    s_prev = trace.o[t - 1] * (1 - trace.tanh_c[t - 1] ** 2)
    swap = np.r_[n:2 * n, 0:n]
    out = {}
    no_o = S.copy()
    no_o[:n, :n] -= output_term
    out["the output gate"] = no_o
    eq6 = S.copy()
    eq6[n:, n:] = sum(lstm.cell_jacobian_terms(params, trace, t))
    out["eq. (6)"] = eq6
    bare = S.copy()
    bare[:n, n:] = np.diag(f)
    out["tanh'(c_t)"] = bare
    chain = S.copy()
    chain[n:, :n] = S[n:, :n] * s_prev
    out["h_{t-1} held"] = chain
    out["[c; h]"] = S[np.ix_(swap, swap)]
    out["transposed"] = S.T
    return out


STATE_STEP_FEEDBACK = {
    "the output gate": "your ∂h_t/∂h_{t-1} lacks the output gate's term "
                       "diag(tanh(c_t) ⊙ σ'(z_o)) U_o: o_t reads h_{t-1} too.",
    "eq. (6)": "your ∂c_t/∂c_{t-1} block is eq. (6)'s A+B+C+D, in which h_{t-1} follows "
               "c_{t-1}. In S_t the two are independent variables, so that block is diag(f_t).",
    "tanh'(c_t)": "your ∂h_t/∂c_{t-1} is diag(f_t): h_t = o_t ⊙ tanh(c_t) reads c_t through "
                  "tanh, which adds the factor diag(o_t ⊙ tanh'(c_t)) on the left.",
    "h_{t-1} held": "your ∂c_t/∂h_{t-1} has the factor diag(s_{t-1}) of A_t, C_t, D_t; with "
                    "h_{t-1} an independent variable it is K_t = Σ_g diag(·) U_g alone.",
    "[c; h]": "your blocks are in the order [c; h]; lstm.state_jacobian orders them [h; c].",
    "transposed": "your matrix is transposed: row i is ∂(h_t, c_t)_i, column j is "
                  "∂/∂(h_{t-1}, c_{t-1})_j.",
}


@_checker("ch6-ex-5")
def check_ch6_ex5(answer):
    """Exercise ch6-ex-5: a function ``state_step(params, trace, t)`` returning the (2n, 2n)
    state Jacobian S_t, built from the four blocks derived by hand."""
    sig = "state_step(params, trace, t)"
    fn = _function(answer, sig)
    for seed, t in ((5, 2), (6, 5)):
        params, trace = _ch6_lstm(seed)
        n = params.n
        got = _as_matrix(_call(fn, sig, params, trace, t), (2 * n, 2 * n),
                         f"the matrix S_{t}")
        ref = lstm.state_jacobian(params, trace, t)
        if _close(got, ref, 1e-6, 1e-12):
            continue
        for name, wrong in _state_step_mistakes(params, trace, t).items():
            if _close(got, wrong, 1e-6, 1e-12):
                raise _Wrong(STATE_STEP_FEEDBACK[name])
        blocks = {"∂h_t/∂h_{t-1}": (slice(0, n), slice(0, n)),
                  "∂h_t/∂c_{t-1}": (slice(0, n), slice(n, None)),
                  "∂c_t/∂h_{t-1}": (slice(n, None), slice(0, n)),
                  "∂c_t/∂c_{t-1}": (slice(n, None), slice(n, None))}
        bad = [name for name, idx in blocks.items()
               if not _close(got[idx], ref[idx], 1e-6, 1e-12)]
        one = len(bad) == 1
        raise _Wrong(f"on the checker's 3-unit LSTM (t = {t}) the {'block' if one else 'blocks'} "
                     f"{_listing(bad)} {'differs' if one else 'differ'} from "
                     "lstm.state_jacobian.")
    return "Checked at two steps of two 3-unit LSTMs."


def _eq4_variant(params, trace, dE_dh, *, terms: str = "eq6", order: str = "time",
                 readout: bool = True) -> np.ndarray:
    """Eq. (4) with one thing changed: ``terms`` 'eq6' (A+B+C+D) or 'forget' (B only),
    ``order`` 'time' (t = T-1 on the left) or 'reversed', ``readout`` with or without
    ∂h_{T-1}/∂c_{T-1}."""
    v = dE_dh * (trace.o[-1] * (1 - trace.tanh_c[-1] ** 2) if readout else 1.0)
    steps = range(trace.T - 1, 0, -1) if order == "time" else range(1, trace.T)
    for t in steps:
        A, B, C, D = lstm.cell_jacobian_terms(params, trace, t)
        v = v @ (A + B + C + D if terms == "eq6" else B)
    f, i, ct = trace.f[0], trace.i[0], trace.c_tilde[0]
    u0 = np.concatenate([trace.h0, trace.xs[0]])
    dz = np.stack([v * trace.c0 * f * (1 - f), v * ct * i * (1 - i), v * i * (1 - ct * ct),
                   np.zeros(params.n)])
    return dz[:, :, None] * u0[None, None, :]


@_checker("ch6-ex-6")
def check_ch6_ex6(answer):
    """Exercise ch6-ex-6: a function ``eq4(params, trace, dE_dh)`` returning the source's
    eq. (4) evaluated literally, as an array (4, n, n+m) (blocks W_f, W_i, W_c, W_o)."""
    sig = "eq4(params, trace, dE_dh)"
    fn = _function(answer, sig)
    for seed in (7, 8):
        params, trace = _ch6_lstm(seed)
        n, m = params.n, params.m
        dE_dh = np.random.default_rng(seed).standard_normal(n)
        got = _as_matrix(_call(fn, sig, params, trace, dE_dh), (4, n, n + m),
                         "the returned array")
        ref = gradients.eq4_single_path(params, trace, dE_dh)
        if _close(got, ref, 1e-6, 1e-14):
            continue
        dL_dh = np.zeros_like(trace.h)
        dL_dh[-1] = dE_dh
        full, terms = lstm.backward(params, trace, dL_dh), lstm.bptt_terms(params, trace, dL_dh)
        if _close(got, np.stack([full.W_f, full.W_i, full.W_c, full.W_o]), 1e-6, 1e-14):
            raise _Wrong("this is the true gradient (lstm.backward), the sum over all steps; "
                         "the exercise asks for eq. (4), which keeps one path.")
        if _close(got, np.stack([terms.W_f[0], terms.W_i[0], terms.W_c[0], terms.W_o[0]]),
                  1e-6, 1e-14):
            raise _Wrong("this is the true contribution of step 0 (term 0 of lstm.bptt_terms). "
                         "Eq. (4) multiplies the terms A_t+B_t+C_t+D_t of eq. (6), and c_0 does "
                         "not depend on W_o.")
        mistakes = {
            "you multiplied B_t = diag(f_t) only; the source plugs all of eq. (6), "
            "A_t+B_t+C_t+D_t, into eq. (4).": dict(terms="forget"),
            "your product runs the wrong way: the factor for t = T−1 stands on the left, next "
            "to ∂h_{T-1}/∂c_{T-1}, and the factor for t = 1 on the right.": dict(order="reversed"),
            "the factor ∂h_{T-1}/∂c_{T-1} = diag(o_{T-1} ⊙ tanh'(c_{T-1})) is missing.":
                dict(readout=False),
        }
        for message, kw in mistakes.items():
            if _close(got, _eq4_variant(params, trace, dE_dh, **kw), 1e-6, 1e-14):
                raise _Wrong(message)
        if _close(got[:3], ref[:3], 1e-6, 1e-14):
            raise _Wrong("your W_o block is not zero: c_0 = f_0 ⊙ c_{-1} + i_0 ⊙ c̃_0 does not "
                         "depend on W_o, so ∂c_0/∂W has no W_o part.")
        if _close(got, -ref, 1e-6, 1e-14):
            raise _Wrong("your array has the wrong sign.")
        gates = [f"W_{g}" for k, g in enumerate("fico")
                 if not _close(got[k], ref[k], 1e-6, 1e-14)]
        one = len(gates) == 1
        raise _Wrong(f"on the checker's 3-unit LSTM the {'block' if one else 'blocks'} for "
                     f"{_listing(gates)} {'differs' if one else 'differ'} from eq. (4).")
    return "Checked on two 3-unit LSTMs with non-zero initial states."


# --------------------------------------------------------------------------- chapter 7

CH7_CUE_STEP = 50


@functools.lru_cache(maxsize=None)
def _ch7_ex3_reference():
    """(lowest, highest) factor per ordinary step, and the factor across the cue."""
    base = lstm.init(4, 1, rng=np.random.default_rng(0), forget_bias=3.0, weight_scale=0.5)
    W_f = base.W_f.copy()
    W_f[:, 4] = -8.0
    gated = dataclasses.replace(base, W_f=W_f)
    xs = np.zeros((100, 1))
    xs[CH7_CUE_STEP] = 2.0
    tr = lstm.forward(gated, xs)
    path, _ = survival.forget_path_norms(tr)
    ratios = path[1:] / path[:-1]                    # ratios[k-1] = path[k] / path[k-1]
    cue_lag = tr.T - CH7_CUE_STEP                    # the first lag whose product holds f_50
    cue = float(ratios[cue_lag - 1])
    ordinary = np.delete(ratios, cue_lag - 1)
    return float(ordinary.min()), float(ordinary.max()), cue


@_checker("ch7-ex-3")
def check_ch7_ex3(answer):
    """Exercise ch7-ex-3: (factor lost per ordinary step, factor lost across the cue)."""
    per_step, across = _array(answer, (2,),
                              "the pair (factor per ordinary step, factor across the cue)")
    lo, hi, cue = _ch7_ex3_reference()
    ok_step = lo * 0.995 <= per_step <= hi * 1.005
    ok_cue = _log_close(across, cue, 0.2)
    if ok_step and ok_cue:
        return ""
    if _log_close(per_step, cue, 0.2) and lo * 0.995 <= across <= hi * 1.005:
        raise _Wrong("your two factors are the wrong way round: (per ordinary step, across "
                     "the cue).")
    if per_step > 1 or across > 1:
        raise _Wrong("a factor lost is below 1: divide the norm at the longer lag by the "
                     "norm at the shorter one, not the other way round.")
    if not ok_step:
        raise _Wrong(f"your factor per ordinary step, {_fmt(per_step)}, is not what the path "
                     "loses at one step away from the cue: compare two neighbouring lags "
                     "on the same side of the cue.")
    if lo * 0.995 <= across <= hi * 1.005:
        raise _Wrong("your factor across the cue is an ordinary step's: the cue at step 50 "
                     "enters at a different lag (lag k covers the steps T−k, …, T−1).")
    raise _Wrong(f"your factor across the cue, {across:.2g}, is off: compare the forget path "
                 "at the two lags just before and just after the cue enters.")


def _ch7_networks():
    """Two small LSTMs (n ≠ m) with weights large enough for the output-gate paths to count,
    and the number K of lags the function is asked for (K = T − 2, so lag K + 1 exists)."""
    out = []
    for seed, (n, m, T) in enumerate([(3, 2, 12), (4, 1, 10)]):
        rng = np.random.default_rng(70 + seed)
        params = lstm.init(n, m, rng=rng, forget_bias=1.0, weight_scale=2.0)
        out.append((params, lstm.forward(params, rng.standard_normal((T, m))), T - 2))
    return out


def _ch7_mistaken(params, trace, K: int) -> dict:
    """The norms for lags 1 … K as the usual mistakes compute them (the checker's way to
    recognise them), each an array of K values."""
    n, T = params.n, trace.T
    s = trace.o * (1 - trace.tanh_c ** 2)                # s_j = o_j ⊙ tanh'(c_j)
    right = left = np.eye(2 * n)
    reversed_, no_s, whole = [], [], []
    for k in range(1, K + 1):
        j = T - 1 - k
        S = lstm.state_jacobian(params, trace, j + 1)
        right, left = right @ S, S @ left                 # S_{T-1} ⋯ S_{j+1}, and reversed
        reversed_.append(np.linalg.norm(left[n:, :n] * s[j] + left[n:, n:], 2))
        no_s.append(np.linalg.norm(right[n:, n:], 2))
        whole.append(np.linalg.norm(right, 2))
    full = gradients.gradient_norm_vs_lag(params, trace, path="full")
    lags = slice(1, K + 1)
    return {
        "order": np.array(reversed_),
        "cell": gradients.gradient_norm_vs_lag(params, trace, path="cell")[lags],
        "forget": survival.forget_path_norms(trace)[0][lags],
        "no_s": np.array(no_s),
        "whole": np.array(whole),
        "fro": gradients.gradient_norm_vs_lag(params, trace, norm="fro")[lags],
        "lag0": full[:K],
        "lag2": full[2:K + 2],
    }


CH7_MISTAKES = {
    "order": "your products are in the wrong order. ∂(h, c)_{T−1}/∂(h, c)_j = S_{T−1} S_{T−2} "
             "⋯ S_{j+1}: the latest step stands on the left, so each earlier S_{j+1} "
             "multiplies the running product from the right.",
    "cell": "these are the norms of the source's product Π (A_t + B_t + C_t + D_t), which "
            "drops the paths through the output gates; multiply the 2n × 2n state Jacobians "
            "S_t instead.",
    "forget": "these are the norms of the forget path Π diag(f_t): you multiplied only the "
              "cc blocks of the S_t. Multiply the whole 2n × 2n matrices and take the c-rows "
              "at the end.",
    "no_s": "the final diag(s_j) term is missing: c_j also moves h_j = o_j ⊙ tanh(c_j), so "
            "∂c_{T−1}/∂c_j = [P]_ch diag(s_j) + [P]_cc with s_j = o_j ⊙ tanh'(c_j), not "
            "[P]_cc alone.",
    "whole": "this is the norm of the whole 2n × 2n product; the exercise asks for "
             "∂c_{T−1}/∂c_j = [P]_ch diag(s_j) + [P]_cc, built from its c-rows.",
    "fro": "these are Frobenius norms; the curves of the book use the spectral norm, "
           "np.linalg.norm(M, 2).",
    "lag0": "your lags are one too small: entry 0 should be lag k = 1, ∂c_{T−1}/∂c_{T−2}, "
            "one step Jacobian (yours starts at lag 0, the identity).",
    "lag2": "your lags are one too large: lag k multiplies k step Jacobians, S_{T−1} ⋯ "
            "S_{T−k}, and entry 0 is lag 1, ∂c_{T−1}/∂c_{T−2}.",
}


@_checker("ch7-ex-4")
def check_ch7_ex4(answer):
    """Exercise ch7-ex-4: a function ``lag_norms(params, trace, K)`` returning
    ‖∂c_{T-1}/∂c_{T-1-k}‖₂ for k = 1 … K from products of the (h, c) step Jacobians."""
    sig = "lag_norms(params, trace, K)"
    fn = _function(answer, sig, np.ndarray)
    for params, trace, K in _ch7_networks():
        at = f"(n = {params.n}, T = {trace.T}, K = {K})"
        result = _call(fn, sig, params, trace, K)
        ref = gradients.gradient_norm_vs_lag(params, trace, path="full")
        try:
            size = np.asarray(result, dtype=float).shape
        except (TypeError, ValueError):
            size = None
        if size == (K + 1,) and _close(result, ref[:K + 1], 1e-6):
            raise _Wrong(f"you returned lags 0 … K ({K + 1} values); the exercise asks for "
                         "lags 1 … K (lag 0 is the identity).")
        got = _as_matrix(result, (K,), f"the returned norms {at}")
        if _close(got, ref[1:K + 1], 1e-6):
            continue
        for mistake, values in _ch7_mistaken(params, trace, K).items():
            if _close(got, values, 1e-6):
                raise _Wrong(CH7_MISTAKES[mistake])
        wrong = [k for k in range(1, K + 1)
                 if not math.isclose(got[k - 1], ref[k], rel_tol=1e-6)]
        raise _Wrong(f"your norms differ on the checker's LSTM {at}, first at lag {wrong[0]}. "
                     "Multiply P = S_{T−1} ⋯ S_{j+1} (lstm.state_jacobian), then take the "
                     "spectral norm of [P]_ch diag(s_j) + [P]_cc.")
    return "Checked on two LSTMs with n ≠ m, against gradients.gradient_norm_vs_lag."


# --------------------------------------------------------------------------- chapter 8

CH8_BIASES = (0.0, 1.0, 3.0, 5.0)
CH8_EPS = 1e-8


def _horizon(forget_bias: float, eps: float = CH8_EPS) -> float:
    """k* = ln ε / ln σ(b_f): steps until the constant-gate forget path falls below ε."""
    return math.log(eps) / math.log(float(sigmoid(forget_bias)))


def _rounded_down(got: np.ndarray, ok: np.ndarray, real: np.ndarray, biases) -> list:
    """The biases whose entry is wrong and is the real ratio rounded down (not when every
    wrong entry is; then the mistake is something else)."""
    wrong = ~ok
    floored = wrong & (got == np.floor(real))
    return [_fmt(b) for b, f in zip(biases, floored) if f] if floored[wrong].all() else []


@_checker("ch8-ex-1")
def check_ch8_ex1(answer):
    """Exercise ch8-ex-1: k* for ε = 1e-8 and b_f = 0, 1, 3, 5 (exact, or rounded up)."""
    got = _array(answer, (4,), "the 4 values of k*", "forget biases 0, 1, 3, 5")
    ref = np.array([_horizon(b) for b in CH8_BIASES])
    exact = np.isclose(got, ref, rtol=5e-3, atol=0)
    ok = exact | (np.abs(got - np.ceil(ref)) <= 0.51)       # rounded up to whole steps
    if ok.all():
        return "" if exact.all() else "(Rounded up to whole steps; fine.)"
    if np.any(got <= 0):
        raise _Wrong("every k* is positive: ln ε and ln σ(b_f) are both negative.")
    if _close(got, -math.log(CH8_EPS) * np.exp(CH8_BIASES), 5e-3):
        raise _Wrong("that is the large-b_f approximation k* ≈ −ln ε · e^{b_f}; the exercise "
                     "asks for k* itself (the two differ a lot for b_f = 0 and 1).")
    if _close(got, ref / math.log(10), 5e-3) or _close(got, ref * math.log(10), 5e-3):
        raise _Wrong("your values are off by a factor ln 10: take both logarithms in the same "
                     "base.")
    down = _rounded_down(got, ok, ref, CH8_BIASES)
    if down:
        one = len(down) == 1
        raise _Wrong(f"your {'k*' if one else 'values of k*'} for b_f = {_listing(down)} "
                     f"{'is' if one else 'are'} rounded down: after that many steps σ(b_f)^k "
                     "is still just above ε = 1e-8, and the first whole number of steps "
                     "below it is one step later (or give k* unrounded).")
    wrong = [_fmt(b) for b, good in zip(CH8_BIASES, ok) if not good]
    one = len(wrong) == 1
    raise _Wrong(f"your {'k*' if one else 'values of k*'} for b_f = {_listing(wrong)} "
                 f"{'differs' if one else 'differ'}: k* = ln ε / ln σ(b_f).")


@functools.lru_cache(maxsize=None)
def _ch8_ex3_reference():
    params, trace = lag_curves.random_lstm_trace(n=16, T=301, forget_bias=5.0, weight_scale=1.0,
                                                seed=0)
    u = np.random.default_rng(1).standard_normal(16)
    u /= np.linalg.norm(u)
    g = survival.lstm_last_step_gradient(params, trace.xs[:100], u)
    norms = [float(np.linalg.norm(exploding.clip_by_norm(g, theta))) for theta in (1.0, 1000.0)]
    curves = survival.last_step_contributions(n=16, T=200, forget_bias=-2.0, weight_scale=1.0,
                                              seed=0)
    ratios = {(c, lag): float(curves[c].norms[lag] / curves[c].norms[0])
              for c in range(3) for lag in (99, 100, 101)}
    return norms[0], norms[1], float(np.linalg.norm(g)), ratios


@_checker("ch8-ex-3")
def check_ch8_ex3(answer):
    """Exercise ch8-ex-3: (‖clip(g, 1)‖, ‖clip(g, 1000)‖, LSTM ratio lag 100 / lag 0 at b_f = −2)."""
    n1, n1000, ratio = _array(answer, (3,), "the three numbers",
                              "‖clipped g‖ at θ = 1, at θ = 1000, and the ratio of part (b)")
    ref1, ref1000, raw, ratios = _ch8_ex3_reference()
    problems = []
    if not math.isclose(n1, ref1, rel_tol=1e-6):
        if raw > 1 and math.isclose(n1, raw, rel_tol=1e-6):
            problems.append("at θ = 1 the gradient is longer than θ, so clipping rescales it: "
                            "your first norm is the unclipped one.")
        else:
            problems.append("your norm after clipping at θ = 1 is off: clipping rescales g to "
                            "length θ when ‖g‖ > θ.")
    if not math.isclose(n1000, ref1000, rel_tol=1e-6):
        if math.isclose(n1000, 1000.0, rel_tol=1e-9) and raw < 1000:
            problems.append("clipping at θ = 1000 does not lengthen g: it only shortens "
                            "gradients longer than θ.")
        else:
            problems.append("your norm at θ = 1000 is off: use the chapter's network "
                            "(forget bias 5, seed 0, u from seed 1) with its first T = 100 "
                            "inputs.")
    if not _log_close(ratio, ratios[(2, 100)], 0.01):
        if _log_close(1 / ratio if ratio > 0 else -1.0, ratios[(2, 100)], 0.01):
            problems.append("your ratio is inverted: lag 100 divided by lag 0.")
        elif any(_log_close(ratio, ratios[(c, 100)], 0.01) for c in (0, 1)):
            problems.append("your ratio is an RNN's; take the LSTM's curve (the last of the "
                            "three).")
        elif any(_log_close(ratio, ratios[(2, k)], 0.01) for k in (99, 101)):
            problems.append("your ratio is taken at lag 99 or 101: use index 100.")
        else:
            problems.append("your ratio of part (b) is off: use last_step_contributions(n=16, "
                            "T=200, forget_bias=-2.0, weight_scale=1.0, seed=0).")
    if problems:
        raise _Wrong(" ".join(_sentence(p) for p in problems))
    return ""


def _ch8_clip_cases():
    """(gradient arrays, threshold, what the case is) for the clipping exercise: shapes of an
    LSTM's weights and biases (n = 3, m = 2); global norm above θ, below θ, and zero."""
    rng = np.random.default_rng(80)
    shapes = [(3, 5)] * 4 + [(3,)] * 4
    large = [rng.standard_normal(s) * scale for s, scale in zip(shapes, (4, 0.2, 1, 0.1) * 2)]
    small = [0.01 * g for g in large]
    zero = [np.zeros(s) for s in shapes]
    return [(large, 1.0, "whose global norm is above θ"),
            (small, 1.0, "whose global norm is below θ"),
            (zero, 1.0, "that is all zeros")]


def _global_norm(grads) -> float:
    return float(np.linalg.norm(np.concatenate([np.ravel(g) for g in grads])))


def _ch8_clip_reference(grads, threshold: float) -> list:
    """rnngrad.train's clipping: exploding.clip_by_norm of all arrays as one vector, split
    back into the arrays' shapes."""
    flat = exploding.clip_by_norm(np.concatenate([np.ravel(g) for g in grads]), threshold)
    ends = np.cumsum([np.size(g) for g in grads])
    return [part.reshape(np.shape(g)) for part, g in zip(np.split(flat, ends[:-1]), grads)]


def _same_arrays(a, b, rtol: float = 1e-9) -> bool:
    return all(_close(x, y, rtol, 1e-300) for x, y in zip(a, b))


@_checker("ch8-ex-4")
def check_ch8_ex4(answer):
    """Exercise ch8-ex-4: a function ``clip(grads, threshold)`` that clips a list of gradient
    arrays by their global norm, as rnngrad.train does, and returns new arrays."""
    sig = "clip(grads, threshold)"
    fn = _function(answer, sig, list)
    for grads, theta, case in _ch8_clip_cases():
        given = [g.copy() for g in grads]
        result = _call(fn, sig, given, theta)
        changed = not _same_arrays(given, grads, 0.0)
        if result is None:
            raise _Wrong(f"your function `{sig}` returned None"
                         + ("; it changed the arrays it was given instead. " if changed else ". ")
                         + "Return a new list of clipped arrays.")
        if changed:
            raise _Wrong("your function changed the arrays it was given (in place, as g *= … "
                         "does); return new arrays and leave the caller's gradient as it was: "
                         "chapter 8 compares the raw gradient with the clipped one.")
        if isinstance(result, np.ndarray) or not isinstance(result, (list, tuple)):
            raise _Wrong(f"your function should return a list of arrays, one per array it was "
                         f"given; it returned {_a(result)}.")
        if len(result) != len(grads):
            raise _Wrong(f"your function returned {_count(len(result), 'array')} for "
                         f"{_count(len(grads), 'array')}: return one clipped array per "
                         "gradient array.")
        try:
            values = [np.asarray(r, dtype=float) for r in result]
        except (TypeError, ValueError):
            values = []
        if any(not np.isfinite(v).all() for v in values):
            hint = (" Its norm is 0, and dividing by it gives NaN; rescale only when ‖g‖ > θ."
                    if _global_norm(grads) == 0 else " Look for a division by zero.")
            raise _Wrong(f"your function returned NaN or inf for a gradient {case}.{hint}")
        got = [_as_matrix(r, np.shape(g), f"each returned array, for a gradient {case},")
               for r, g in zip(result, grads)]
        ref = _ch8_clip_reference(grads, theta)
        if _same_arrays(got, ref):
            continue
        norm = _global_norm(grads)
        if norm > theta:
            per_array = [exploding.clip_by_norm(g, theta) for g in grads]
            if _same_arrays(got, per_array):
                raise _Wrong("you clipped each array on its own. Clipping by the global norm "
                             "uses one norm for all arrays together, ‖g‖ = √(Σ_a ‖g_a‖²), and "
                             "one factor θ/‖g‖ for all of them, which keeps the direction of "
                             "the whole gradient.")
            if _same_arrays(got, [g * (norm / theta) for g in grads]):
                raise _Wrong("you scaled by ‖g‖/θ, which lengthens the gradient; the factor is "
                             "θ/‖g‖, so that the clipped gradient has length θ.")
            if _same_arrays(got, grads):
                raise _Wrong(f"your function left a gradient {case} unchanged; it should "
                             "rescale it to length θ.")
        elif 0 < norm and math.isclose(_global_norm(got), theta, rel_tol=1e-6):
            raise _Wrong("you rescaled a gradient shorter than θ to length θ: clipping only "
                         "shortens; leave g as it is when ‖g‖ ≤ θ.")
        raise _Wrong(f"your clipped arrays differ from rnngrad.train's clipping for a gradient "
                     f"{case} (θ = {_fmt(theta)}).")
    return "Checked on gradients above, below θ and zero, as rnngrad.train clips them."


# --------------------------------------------------------------------------- the GRU chapter

GRU_SIZES = ((1, 1), (3, 2), (5, 7), (16, 8), (128, 64))


def _gru_counts(n: int, m: int) -> tuple[int, int, int]:
    """(GRUParams' count, torch.nn.GRU's count, the LSTM's count) for n units and m inputs.

    torch.nn.GRU stores an input and a recurrent bias for each of its three maps; GRUParams
    merges the two that always add up (b_z = b_iz + b_hz, b_r = b_ir + b_hr) and keeps b_n = b_in
    and b_hn, which the reset gate multiplies: two bias vectors fewer."""
    rng = np.random.default_rng(0)
    ours = cell.parameter_count(gru.init(n, m, rng=rng))
    return ours, ours + 2 * n, cell.parameter_count(lstm.init(n, m, rng=rng))


@_checker("gru-ex-1")
def check_gru_ex1(answer):
    """Exercise gru-ex-1: a function ``counts(n, m)`` returning (GRUParams' count, torch.nn.GRU's
    count)."""
    sig = "counts(n, m)"
    fn = _function(answer, sig)
    for n, m in GRU_SIZES:
        out = _call(fn, sig, n, m)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise _Wrong(f"your function `{sig}` should return two numbers: (rnngrad's count, "
                         "PyTorch's count).")
        try:
            ours, torch_n = (float(x) for x in out)
        except (TypeError, ValueError):
            raise _Wrong(f"your function `{sig}` should return two numbers, got "
                         f"{out!r:.60}.") from None
        ref_ours, ref_torch, ref_lstm = _gru_counts(n, m)
        at = f"for n = {n}, m = {m}"
        if any(not math.isfinite(x) or not x.is_integer() for x in (ours, torch_n)):
            raise _Wrong(f"{at} your counts are {out}; a number of parameters is a whole number.")
        if (ours, torch_n) == (ref_ours, ref_torch):
            continue
        if (ours, torch_n) == (ref_torch, ref_ours):
            raise _Wrong("your two counts come in the wrong order: (GRUParams, torch.nn.GRU).")
        for got, ref, who in ((ours, ref_ours, "GRUParams'"), (torch_n, ref_torch, "PyTorch's")):
            if got == ref:
                continue
            if got == ref_lstm:
                raise _Wrong(f"{at} your {who} count is the LSTM's 4n(n+m+1): the GRU has three "
                             "maps (z, r and the candidate), not four.")
            if got == ref - n:
                raise _Wrong(f"{at} your {who} count misses n = {n}: the candidate's recurrent "
                             "bias b_hn, which the reset gate multiplies, is a bias of its own.")
            if who == "PyTorch's" and got == ref_ours:
                raise _Wrong(f"{at} your PyTorch count equals GRUParams': torch.nn.GRU stores two "
                             "biases for every map, b_i* and b_h*, six vectors of n.")
            if (n, m) != (m, n) and got == _gru_counts(m, n)[0 if who == "GRUParams'" else 1]:
                raise _Wrong(f"{at} your {who} count swaps the roles of n (units) and m (inputs).")
            raise _Wrong(f"{at} your {who} count {int(got)} is "
                         f"{'too large' if got > ref else 'too small'}.")
    return "Your counts agree with cell.parameter_count and torch.nn.GRU's layout for five sizes."


GRU_LAG = 100


def _constant_gate_gru(update_bias: float) -> gru.GRUParams:
    """One unit that reads no state: z_t = σ(b_z) at every step, h̃_t = tanh(x_t)."""
    zero = np.zeros((1, 2))
    return gru.GRUParams(W_z=zero, W_r=zero, W_n=np.array([[0.0, 1.0]]), b_z=[update_bias],
                         b_r=[0.0], b_n=[0.0], b_hn=[0.0])


def _written_and_kept(update_bias: float, lag: int = GRU_LAG) -> float:
    """‖∂h_lag/∂x_0‖ of the constant-gate unit on zero inputs (gru_survival.input_gradient_norms)."""
    params = _constant_gate_gru(update_bias)
    return float(gru_survival.input_gradient_norms(params, gru.forward(params,
                                                                      np.zeros((lag + 1, 1))))[lag])


@functools.lru_cache(maxsize=None)
def _best_update_bias(lag: int = GRU_LAG) -> float:
    """The update bias that maximizes _written_and_kept, by golden-section search on [-5, 15]."""
    lo, hi = -5.0, 15.0
    g = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(80):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        if _written_and_kept(a, lag) < _written_and_kept(b, lag):
            lo = a
        else:
            hi = b
    return (lo + hi) / 2


@_checker("gru-ex-2")
def check_gru_ex2(answer):
    """Exercise gru-ex-2: the constant update bias b_z that maximizes what step T-1-k writes and
    h_{T-1} still holds, (1 - σ(b_z)) σ(b_z)^k, at lag k = 100."""
    b = _number(answer, "the update bias b_z (a number)")
    ref = _best_update_bias()
    if abs(b - ref) <= 1e-3:
        return f"It keeps {_written_and_kept(ref):.2e} of what was written {GRU_LAG} steps before."
    if 0.0 < b < 1.0 and abs(b - float(sigmoid(ref))) <= 1e-3:
        raise _Wrong("that is the gate's value z = σ(b_z); the exercise asks for the bias b_z.")
    for k in (GRU_LAG - 1, GRU_LAG + 1):
        if abs(b - _best_update_bias(k)) <= 1e-3:
            raise _Wrong(f"your bias is the best one for lag {k}: count the factors. What step "
                         f"T-1-k writes is scaled by 1 - z once and then by z at each of the "
                         f"k = {GRU_LAG} later steps.")
    if b > ref:
        raise _Wrong(f"at b_z = {_fmt(b)} the unit keeps {_written_and_kept(b):.3g}, less than at "
                     "the best bias: a larger b_z keeps more of the old state but writes less, "
                     "since 1 - z_t shrinks too.")
    raise _Wrong(f"at b_z = {_fmt(b)} the unit keeps {_written_and_kept(b):.3g}, less than at the "
                 "best bias: a smaller b_z writes more but forgets faster.")


# --------------------------------------------------------------------------- chapter 9

CH9_BIASES = (2.0, 5.0)
CH9_EPS = 1e-3


def _ch9_horizon(forget_bias: float) -> float:
    return math.log(CH9_EPS) / math.log(float(sigmoid(forget_bias)))


@_checker("ch9-ex-1")
def check_ch9_ex1(answer):
    """Exercise ch9-ex-1 (a): the first lag k with σ(b_f)^k < 1e-3, for b_f = 2 and b_f = 5."""
    got = _array(answer, (2,), "the 2 lags", "forget biases 2 and 5")
    real = np.array([_ch9_horizon(b) for b in CH9_BIASES])
    whole = got == np.ceil(real)
    exact = np.isclose(got, real, rtol=1e-3, atol=0)
    if whole.all():
        return ""
    if (whole | exact).all():
        return "(The exact ratio; the first whole lag is its ceiling.)"
    down = _rounded_down(got, whole | exact, real, CH9_BIASES)
    if len(down) == len(CH9_BIASES):
        raise _Wrong("at those lags σ(b_f)^k is still just above 1e-3: the first lag below "
                     "it is one step later.")
    if down:
        raise _Wrong(f"your lag for b_f = {_listing(down)} is rounded down: at that lag "
                     "σ(b_f)^k is still just above 1e-3, and the first lag below it is one "
                     "step later.")
    if _close(got, -math.log(CH9_EPS) * np.exp(CH9_BIASES), 2e-2):
        raise _Wrong("that is the large-b_f approximation e^{b_f} · ln 1000; it is close for "
                     "b_f = 5 but not for b_f = 2. Use ln σ(b_f) itself.")
    if _close(got, real / math.log(10), 1e-2) or _close(got, real * math.log(10), 1e-2):
        raise _Wrong("your values are off by a factor ln 10: take both logarithms in the same base.")
    raise _Wrong("the lags do not match: solve σ(b_f)^k < 10^-3 for k with logarithms.")


@functools.lru_cache(maxsize=None)
def _ch9_ex2_reference() -> tuple[int, int]:
    return tuple(train.train("first_bit", "lstm_bf3", 70, seed=0, clip=clip, probe_steps=()).steps
                 for clip in (1.0, None))


@_checker("ch9-ex-2")
def check_ch9_ex2(answer):
    """Exercise ch9-ex-2: (steps with clipping at 1, steps without clipping), LSTM b_f = 3,
    lag 70, seed 0."""
    got = _array(answer, (2,), "the 2 step counts", "with clipping, without clipping")
    ref = np.array(_ch9_ex2_reference(), dtype=float)
    if np.array_equal(got, ref):
        return ""
    if np.array_equal(got, ref[::-1]):
        raise _Wrong("the two counts are swapped: first with clipping at 1, then with clip=None.")
    raise _Wrong("at least one count differs: train with seed=0 and the default settings "
                 "otherwise, and give History.steps.")


@functools.lru_cache(maxsize=None)
def _ch9_ex3_weights() -> np.ndarray:
    h = train.train("first_bit", "rnn_tanh", 50, seed=0, noise=0.0, probe_steps=())
    return h.params.core.W_rec


@_checker("ch9-ex-3")
def check_ch9_ex3(answer):
    """Exercise ch9-ex-3: the largest modulus of an eigenvalue of the trained W_rec (tanh RNN,
    lag 50, seed 0, no noise)."""
    x = _number(answer, "the largest eigenvalue modulus (a number)")
    W = _ch9_ex3_weights()
    eig = np.linalg.eigvals(W)
    ref = float(np.abs(eig).max())
    if math.isclose(x, ref, rel_tol=1e-3):
        return ""
    if math.isclose(x, float(np.linalg.norm(W, 2)), rel_tol=1e-3):
        raise _Wrong("that is the largest singular value ‖W_rec‖₂; the exercise asks for the "
                     "largest modulus |λ| of an eigenvalue.")
    if math.isclose(abs(x), abs(float(eig[np.argmax(np.abs(eig))].real)), rel_tol=1e-3):
        raise _Wrong("that is the real part of the eigenvalue; take its modulus |λ|.")
    raise _Wrong("the value differs: train with noise=0.0 and seed=0, then take "
                 "max |np.linalg.eigvals(W_rec)| of the trained parameters.")


# --------------------------------------------------------------------------- dispatch


def labels() -> list[str]:
    """The exercise labels that have a checker, in the book's order."""
    return list(CHECKS)


def check(label: str, answer) -> bool:
    """Check ``answer`` for the exercise ``label`` (e.g. ``"ch2-ex-3"``); print feedback.

    Returns True when the answer is right. The form of the answer (number, array, parameters
    or function) is given in the exercise and in the docstring of ``check_<label>``.
    """
    if not isinstance(label, str) or label not in CHECKS:
        raise ValueError(f"label must be one of {', '.join(CHECKS)}; got {label!r}")
    return CHECKS[label](answer)
