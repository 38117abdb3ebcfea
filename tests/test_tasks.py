"""Tests of rnngrad.tasks: the adding problem and "remember the first bit" (chapter 9)."""

from __future__ import annotations

import numpy as np
import pytest

from rnngrad import tasks


@pytest.mark.parametrize("T", [6, 11, 20, 50, 101])
def test_adding_shapes_markers_and_target(T):
    B = 400
    xs, ys = tasks.adding_problem(T, B, rng=np.random.default_rng(T))
    assert xs.shape == (T, B, 2) and ys.shape == (B,)
    values, markers = xs[..., 0], xs[..., 1]
    assert np.all(np.abs(values) <= 1.0)
    assert set(np.unique(markers)) <= {-1.0, 0.0, 1.0}
    # exactly two marked positions per sequence, the first among the first ten steps, the
    # second among the first T/2 - 1 steps
    assert np.all((markers == 1.0).sum(axis=0) == 2)
    for b in range(B):
        pos = np.flatnonzero(markers[:, b] == 1.0)
        assert pos[0] < min(10, T)
        assert min(pos) <= T // 2 - 2            # one of the two lies in the first T/2 - 1
        # unmarked first and last steps carry -1, every other unmarked step 0
        for t in (0, T - 1):
            if t not in pos:
                assert markers[t, b] == -1.0
        others = np.setdiff1d(np.arange(1, T - 1), pos)
        assert np.all(markers[others, b] == 0.0)
        # target = 0.5 + (X1 + X2)/4, a marked step 0 counting 0
        x = values[pos, b]
        assert ys[b] == pytest.approx(0.5 + x.sum() / 4.0, abs=1e-15)
        if 0 in pos:
            assert values[0, b] == 0.0
    assert np.all((ys >= 0.0) & (ys <= 1.0))


def test_adding_marker_positions_cover_their_ranges():
    T, B = 40, 20000
    xs, _ = tasks.adding_problem(T, B, rng=np.random.default_rng(2))
    marks = xs[..., 1] == 1.0
    positions = np.argwhere(marks)                      # (2B, 2) rows (t, b)
    assert set(positions[:, 0]) == set(range(T // 2 - 1)) | set(range(10))
    # in every sequence at least one mark is in the first ten steps
    assert np.all(marks[:10].any(axis=0))
    # and every mark lies in the first T/2 - 1 steps or the first ten
    assert positions[:, 0].max() <= max(9, T // 2 - 2)


def test_adding_first_mark_is_uniform_on_first_ten_and_second_spans_the_half():
    T, B = 60, 30000
    xs, _ = tasks.adding_problem(T, B, rng=np.random.default_rng(3))
    marks = xs[..., 1] == 1.0
    # the earliest mark is in the first ten; the latest ranges over the first T/2 - 1 steps
    last = T - 1 - np.argmax(marks[::-1], axis=0)
    assert last.max() == T // 2 - 2
    counts = np.bincount(last, minlength=T // 2 - 1)
    assert counts[15:].min() > 0.6 * counts[15:].mean()     # roughly uniform past step 10


def test_adding_target_formula():
    assert tasks.adding_target(1.0, 1.0) == 1.0
    assert tasks.adding_target(-1.0, -1.0) == 0.0
    assert tasks.adding_target(0.2, -0.2) == 0.5
    assert tasks.ADDING_TOLERANCE == 0.04


@pytest.mark.parametrize("lag", [1, 5, 30])
def test_first_bit_shapes_and_bit(lag):
    B = 256
    xs, ys = tasks.first_bit(lag, B, rng=np.random.default_rng(lag), noise=0.0)
    assert xs.shape == (lag + 1, B, 1) and ys.shape == (B,)
    assert set(np.unique(ys)) == {0.0, 1.0}
    assert np.array_equal(xs[0, :, 0], 2.0 * ys - 1.0)
    assert not xs[1:].any()


def test_first_bit_noise_level():
    xs, ys = tasks.first_bit(200, 500, rng=np.random.default_rng(0), noise=0.5)
    assert np.array_equal(xs[0, :, 0], 2.0 * ys - 1.0)
    assert np.std(xs[1:]) == pytest.approx(0.5, rel=0.02)
    assert abs(np.mean(xs[1:])) < 0.01
    # the default noise is 1
    xs1, _ = tasks.first_bit(200, 500, rng=np.random.default_rng(0))
    assert np.std(xs1[1:]) == pytest.approx(1.0, rel=0.02)


@pytest.mark.parametrize("task", tasks.TASKS)
def test_batches_are_reproducible_from_the_seed(task):
    a = tasks.make_batch(task, 20, 16, rng=np.random.default_rng(7))
    b = tasks.make_batch(task, 20, 16, rng=np.random.default_rng(7))
    c = tasks.make_batch(task, 20, 16, rng=np.random.default_rng(8))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])
    T = tasks.sequence_length(task, 20)
    assert a[0].shape[0] == T == (20 if task == "adding" else 21)


def test_validation():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="T"):
        tasks.adding_problem(5, 4, rng=rng)
    with pytest.raises(ValueError, match="batch"):
        tasks.adding_problem(20, 0, rng=rng)
    with pytest.raises(ValueError, match="rng"):
        tasks.adding_problem(20, 4, rng=0)
    with pytest.raises(ValueError, match="lag"):
        tasks.first_bit(0, 4, rng=rng)
    with pytest.raises(ValueError, match="noise"):
        tasks.first_bit(5, 4, rng=rng, noise=-1.0)
    with pytest.raises(ValueError, match="task"):
        tasks.make_batch("copy", 5, 4, rng=rng)
    with pytest.raises(ValueError, match="task"):
        tasks.sequence_length("copy", 5)
