"""XRDPowderPattern: matminer's featurizer of the same name, same columns, computed fast.

matminer's version repeats every peak position int(I) times (I on pymatgen's 0-100 scale) and
evaluates scipy's ``gaussian_kde`` of that sample on ``pattern_length`` points. The kernel
density of such a sample has a closed form: a weighted sum of Gaussians whose width is
``bw_factor * std(sample)``. This class computes that closed form on the peaks of the package's
calculator (identical to pymatgen's within 1e-3 on the 0-100 scale), so the columns equal
matminer's, except where a peak's intensity lies within that tolerance of an integer and int(I)
flips (measured: at most 0.3% of the largest value, benchmarks/bench_featurizers.py).
"""

from __future__ import annotations

import numpy as np
from matminer.featurizers.base import BaseFeaturizer

from pymatgen_ml_xrd.diffraction import XRDCalculator
from pymatgen_ml_xrd.errors import InvalidParameterError, InvalidStructureError
from pymatgen_ml_xrd.featurizers.citations import cite

__all__ = ["XRDPowderPattern"]



class XRDPowderPattern(BaseFeaturizer):
    """Smeared powder pattern as ``pattern_length`` columns ``xrd_0 ...`` (drop-in for matminer's).

    Args:
        two_theta_range: (min, max) 2-theta [deg] of the peaks and of the output grid.
        bw_method: the KDE bandwidth factor (float), or "scott" / "silverman", as scipy.
        pattern_length: number of output points (default: one per degree, max - min + 1).
        wavelength, symprec, debye_waller_factors: of the
            :class:`~pymatgen_ml_xrd.XRDCalculator` (matminer passes them as ``**kwargs``; here they
            are parameters, so that ``sklearn.base.clone`` keeps them).
    """

    def __init__(self, two_theta_range=(0, 127), bw_method=0.05, pattern_length=None, wavelength="CuKa",
                 symprec=0, debye_waller_factors=None):
        self.two_theta_range = two_theta_range
        self.bw_method = bw_method
        self.pattern_length = pattern_length
        self.wavelength = wavelength
        self.symprec = symprec
        self.debye_waller_factors = debye_waller_factors
        self.xrd_calc = XRDCalculator(wavelength=wavelength, symprec=symprec, debye_waller_factors=debye_waller_factors)

    @property
    def _length(self) -> int:
        """Output points: ``pattern_length``, else one per degree."""
        return self.pattern_length or self.two_theta_range[1] - self.two_theta_range[0] + 1

    def featurize(self, strc):
        pattern = self.xrd_calc.get_pattern(strc, two_theta_range=self.two_theta_range)
        weights = np.floor(pattern.y).astype(np.int64)  # matminer repeats each peak int(I) times
        keep = weights > 0
        centres, weights = np.asarray(pattern.x)[keep], weights[keep].astype(np.float64)
        n = weights.sum()
        if n < 2 or len(centres) < 2:
            raise InvalidStructureError(f"{strc.composition.reduced_formula}: fewer than two peaks to smear in {self.two_theta_range}")
        mean = (weights * centres).sum() / n
        variance = (weights * (centres - mean) ** 2).sum() / (n - 1)  # np.cov of the repeated sample
        sigma = self._factor(n) * np.sqrt(variance)
        x = np.linspace(self.two_theta_range[0], self.two_theta_range[1], self._length)
        z = (x[:, None] - centres[None, :]) / sigma
        return (np.exp(-0.5 * z * z) @ weights) / (n * sigma * np.sqrt(2 * np.pi))

    def _factor(self, n: float) -> float:
        if isinstance(self.bw_method, str):
            if self.bw_method == "scott":
                return n ** (-1 / 5)
            if self.bw_method == "silverman":
                return (n * 3 / 4) ** (-1 / 5)
            raise InvalidParameterError(f"bw_method must be a number, 'scott' or 'silverman', got {self.bw_method!r}")
        return float(self.bw_method)

    def feature_labels(self):
        return [f"xrd_{x}" for x in range(self._length)]

    def citations(self):
        return cite("pymatgen", "matminer")

    def implementors(self):
        return ["pymatgen-ml-xrd developers (after matminer's XRDPowderPattern by Anubhav Jain, Matthew Horton)"]
