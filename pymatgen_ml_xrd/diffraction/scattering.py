"""Atomic X-ray scattering-factor coefficients as arrays for the numba kernels.

The coefficients are pymatgen's (``atomic_scattering_params.json`` beside
``pymatgen/analysis/diffraction/xrd.py``), so form factors are identical:

    f(s) = Z - 41.78214 * s^2 * sum_k a_k exp(-b_k s^2),   s = sin(theta) / lambda  [1/angstrom]
"""

from __future__ import annotations

import numpy as np
from pymatgen.analysis.diffraction.xrd import ATOMIC_SCATTERING_PARAMS
from pymatgen.core.periodic_table import Element

__all__ = ["SYMBOL_TO_ROW", "COEFF_A", "COEFF_B", "ROW_Z", "Z_TO_ROW", "N_COEFF"]

_symbols = sorted(ATOMIC_SCATTERING_PARAMS)
#: element symbol -> row of the coefficient tables
SYMBOL_TO_ROW: dict[str, int] = {sym: i for i, sym in enumerate(_symbols)}
_params = np.array([ATOMIC_SCATTERING_PARAMS[s] for s in _symbols], dtype=np.float64)  # (n, 4, 2)
N_COEFF = _params.shape[1]
#: a_k coefficients, shape (n_elements, N_COEFF)
COEFF_A = np.ascontiguousarray(_params[:, :, 0])
#: b_k coefficients [angstrom^2], shape (n_elements, N_COEFF)
COEFF_B = np.ascontiguousarray(_params[:, :, 1])


def _z_of(symbol: str) -> int:
    return 1 if symbol == "D" else Element(symbol).Z


#: atomic number of each row
ROW_Z = np.array([_z_of(s) for s in _symbols], dtype=np.float64)
#: atomic number -> row (-1 where pymatgen has no coefficients); deuterium is not reachable by Z
Z_TO_ROW = np.full(int(ROW_Z.max()) + 1, -1, dtype=np.int64)
for _sym, _row in SYMBOL_TO_ROW.items():
    if _sym != "D":
        Z_TO_ROW[_z_of(_sym)] = _row
