"""Measured-looking scans simulated for the tests of verified answers and composition-guided fits."""

from __future__ import annotations

import numpy as np

from pymatgen_ml_xrd import XRDCalculator


def lab_scan(structure, counts: float = 2e4, seed: int = 0) -> tuple:
    """(x [deg], y [counts], "CuKa1") of ``structure`` as a Cu lab scan 10-90 deg: K-alpha2,
    pseudo-Voigt peaks, a flat background of 300 counts under ``counts`` at the strongest peak,
    Poisson noise (``seed``)."""
    dg = XRDCalculator("CuKa").get_diffractogram(structure, two_theta_range=(10, 90), step=0.02, profile="pseudo-voigt",
                                                 kalpha2=True, caglioti=(0.01, 0.0, 0.004), eta=0.4,
                                                 crystallite_size=None, normalize=False)  # fmt: skip
    y = dg.y / dg.y.max() * counts + 300
    return dg.x, np.random.default_rng(seed).poisson(y).astype(float), "CuKa1"
