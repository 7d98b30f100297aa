"""Comparison of two pymatgen DiffractionPatterns with the tolerances the project promises."""

from __future__ import annotations

import numpy as np

TWO_THETA_ATOL = 1e-5  # deg
INTENSITY_ATOL = 1e-3  # on the 0-100 scale


def pattern_differences(ours, theirs) -> list[str]:
    """Human-readable differences; empty when the patterns agree."""
    problems = []
    if len(ours.x) != len(theirs.x):
        extra = sorted(set(np.round(ours.x, 4)) ^ set(np.round(theirs.x, 4)))[:5]
        return [f"{len(ours.x)} peaks vs pymatgen's {len(theirs.x)} (differing near {extra})"]
    dx = np.abs(np.asarray(ours.x) - theirs.x)
    if dx.size and dx.max() >= TWO_THETA_ATOL:
        problems.append(f"2-theta off by {dx.max():.3g} deg")
    scale = 100 / max(np.max(theirs.y), 1e-300) if len(theirs.y) else 1.0
    dy = np.abs(np.asarray(ours.y) - theirs.y) * scale
    if dy.size and dy.max() >= INTENSITY_ATOL:
        problems.append(f"intensity off by {dy.max():.3g} (0-100 scale)")
    dd = np.abs(np.asarray(ours.d_hkls) - theirs.d_hkls)
    if dd.size and dd.max() > 1e-9:
        problems.append(f"d-spacing off by {dd.max():.3g} A")
    if ours.hkls != theirs.hkls:
        first = next(i for i, (a, b) in enumerate(zip(ours.hkls, theirs.hkls)) if a != b)
        problems.append(f"hkl families differ at peak {first}: {ours.hkls[first]} vs {theirs.hkls[first]}")
    return problems
