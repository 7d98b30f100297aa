"""Matplotlib figures of diffractograms (used by the demo and the ``pmlxrd`` command)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display is assumed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from pymatgen.analysis.diffraction.core import DiffractionPattern  # noqa: E402

from pymatgen_ml_xrd.diffraction.diffractogram import Diffractogram  # noqa: E402

__all__ = ["plot_diffractograms", "plot_classification"]


def _hkl_label(families: list[dict]) -> str:
    hkl = families[0]["hkl"]
    return "(" + " ".join(str(i) for i in hkl) + ")"


def plot_diffractograms(
    diffractograms: Sequence[Diffractogram],
    labels: Sequence[str],
    path: str | Path,
    peaks: Sequence[DiffractionPattern] | None = None,
    n_labels: int = 4,
    title: str | None = None,
) -> Path:
    """Stacked diffractograms, one panel each, with the strongest peaks labelled by hkl.

    Args:
        diffractograms: dense patterns to draw (normalised to 1 or not).
        labels: one title per panel.
        path: PNG file to write.
        peaks: optional peak lists (pymatgen patterns) drawn as sticks with hkl labels.
        n_labels: number of strongest peaks labelled per panel.
    """
    n = len(diffractograms)
    fig, axes = plt.subplots(n, 1, figsize=(9, 1.9 * n + 0.6), sharex=True, squeeze=False)
    for i, (ax, dg, label) in enumerate(zip(axes[:, 0], diffractograms, labels)):
        scale = dg.y.max() or 1.0
        ax.plot(dg.x, dg.y / scale, color="C0", lw=0.9)
        if peaks is not None:
            p = peaks[i]
            inside = (p.x >= dg.x[0]) & (p.x <= dg.x[-1])
            ax.vlines(p.x[inside], 0, p.y[inside] / 100, color="C3", lw=0.6, alpha=0.7)
            for j in np.argsort(p.y * inside)[::-1][:n_labels]:
                if inside[j]:
                    ax.annotate(_hkl_label(p.hkls[j]), (p.x[j], min(p.y[j] / 100, 1.0)), xytext=(0, 3),
                                textcoords="offset points", ha="center", fontsize=7, color="C3")
        ax.set_ylim(0, 1.18)
        ax.set_yticks([0, 0.5, 1])
        ax.text(0.995, 0.93, label, transform=ax.transAxes, ha="right", va="top", fontsize=9)
        ax.set_ylabel("I / Imax", fontsize=8)
    axes[-1, 0].set_xlabel(f"2θ (°), λ = {diffractograms[0].wavelength:.5f} Å")
    axes[-1, 0].set_xlim(diffractograms[0].x[0], diffractograms[0].x[-1])
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, path, dpi=130)


def plot_classification(items, labels: Sequence[str], results: Sequence[dict], path: str | Path, classifier) -> Path:
    """Each input as the model sees it (left) and its top space groups as bars (right)."""
    from pymatgen_ml_xrd.patterns import model_rows

    spec = classifier.spec_.replace(preprocessing="none")  # as the model sees it, before the square root
    lam, grid = spec.wavelength_angstrom, spec.grid
    rows = model_rows(list(items), spec)  # converted, masked, background removed
    n = len(rows)
    fig, axes = plt.subplots(n, 2, figsize=(11, 2.2 * n + 0.4), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1]})
    for (ax, bx), row, label, result in zip(axes, rows, labels, results):
        ax.plot(grid, row / row.max(), lw=0.8)
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylabel("I / Imax", fontsize=8)
        ax.set_title(str(label), fontsize=9, loc="left")
        top = result["top"]
        # a probability is None for a fitted group outside the network's classes (classify --verify)
        bx.barh(range(len(top))[::-1], [t["probability"] or 0.0 for t in top], color="C2")
        bx.set_yticks(range(len(top))[::-1], [str(t["space_group"]) for t in top], fontsize=8)
        bx.set_xlim(0, 1)
        bx.set_xlabel("probability", fontsize=8)
    axes[-1, 0].set_xlabel(f"2θ (°) at λ = {lam:.4f} Å (model grid)")
    return _save(fig, path, dpi=120)


def plot_identification(items, labels: Sequence[str], results: Sequence[dict], path: str | Path, identifier) -> Path:
    """Each input (background removed, on the RCNets' grid) with the Grad-CAM heatmap of its
    answer underneath (paper 003, Fig. 4), and its most reliable types as bars."""
    n = len(items)
    fig, axes = plt.subplots(n, 2, figsize=(11, 2.6 * n + 0.4), squeeze=False, gridspec_kw={"width_ratios": [3, 1]})
    for (ax, bx), item, label, result in zip(axes, items, labels, results):
        top_type = result["top"][0]["type"]
        cam = identifier.explain(item, type_name=top_type)
        grid = cam["two_theta"]
        row = identifier._rows([item])[0] ** 2  # undo the square root: intensities as measured, background removed
        ax.imshow(cam["heatmap"][None, :], aspect="auto", cmap="Reds", alpha=0.6, vmin=0, vmax=1,
                  extent=(grid[0], grid[-1], -0.25, -0.05))  # fmt: skip
        ax.plot(grid, row / max(float(row.max()), 1e-12), lw=0.8, color="black")
        ax.set_xlim(grid[0], grid[-1])
        ax.set_ylim(-0.27, 1.05)
        ax.set_yticks([0, 0.5, 1])
        ax.set_ylabel("I / Imax", fontsize=8)
        ax.set_title(f"{label}: {result['type']}  (Grad-CAM of {top_type} below the pattern)", fontsize=9, loc="left")
        names = [t["type"] for t in result["top"]]
        values = [t["reliability"] for t in result["top"]]
        bx.barh(range(len(names))[::-1], values, color="C3")
        bx.axvline(identifier.threshold, color="grey", ls="--", lw=0.8)
        bx.set_yticks(range(len(names))[::-1], [nm[:22] for nm in names], fontsize=7)
        bx.set_xlim(0, 1)
        bx.set_xlabel("reliability R (dashed: R0)", fontsize=8)
    axes[-1, 0].set_xlabel("2θ (°), Cu Kα1 grid of the RCNets")
    return _save(fig, path, dpi=120)


def _save(fig, path: str | Path, dpi: int) -> Path:
    """Lay out, write the PNG (creating its folder) and close the figure; returns the path."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
