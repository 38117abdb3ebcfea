"""Figures of the course. Each function takes ``ax=None``, draws, and returns the Axes.

No global styling: importing this module changes no rcParams.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_lag_curve"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    return ax


def plot_lag_curve(curve, ax=None, *, show_bound: bool = True, color=None):
    """Gradient norm ‖∂c_{T-1}/∂c_{T-1-k}‖ against the lag k, log scale, with its bound.

    Values that overflowed float64 (inf) or underflowed to 0 cannot sit on a log axis: they
    are left out of the curve and the plot says so in its legend.
    """
    ax = _axes(ax)
    lags, norms = np.asarray(curve.lags), np.asarray(curve.norms, dtype=float)
    ok = np.isfinite(norms) & (norms > 0)
    (line,) = ax.semilogy(lags[ok], norms[ok], color=color, lw=2, label=curve.label)
    if show_bound and curve.bound is not None:
        b = np.asarray(curve.bound, dtype=float)
        okb = np.isfinite(b) & (b > 0)
        ax.semilogy(lags[okb], b[okb], ls="--", color=line.get_color(), lw=1,
                    label=r"bound $(\gamma\,\|W_\mathrm{rec}\|_2)^k$")
    if np.any(np.isinf(norms)):
        k = int(lags[np.isinf(norms)][0])
        ax.axvline(k, color="crimson", ls=":", label=f"overflow (> 1e308) from lag {k}")
    if np.any(norms == 0):
        k = int(lags[norms == 0][0])
        ax.axvline(k, color="gray", ls=":", label=f"underflow (< 1e-308) from lag {k}")
    ax.set_xlabel("lag $k$ (time steps back from the last step)")
    ax.set_ylabel(r"$\|\partial c_{T-1}/\partial c_{T-1-k}\|_2$ (log scale)")
    ax.legend(loc="best", fontsize="small")
    return ax
