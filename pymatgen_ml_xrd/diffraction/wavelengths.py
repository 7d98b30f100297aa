"""X-ray wavelengths: pymatgen's names and values, plus the K-alpha doublets.

The table is pymatgen's own (``pymatgen.analysis.diffraction.xrd.WAVELENGTHS``) so a name means
exactly what it means in pymatgen. Values are in angstrom.
"""

from __future__ import annotations

import math

from pymatgen.analysis.diffraction.xrd import WAVELENGTHS

from pymatgen_ml_xrd.errors import InvalidInputTypeError, InvalidParameterError

__all__ = ["WAVELENGTHS", "KALPHA2_TO_KALPHA1_RATIO", "resolve_wavelength", "kalpha_doublet"]

#: Intensity ratio I(K-alpha2) / I(K-alpha1) used for the doublet (the textbook value 1/2).
KALPHA2_TO_KALPHA1_RATIO = 0.5


def resolve_wavelength(wavelength: str | float | int) -> tuple[float, str | None]:
    """Return ``(wavelength in angstrom, radiation name or None)``.

    Args:
        wavelength: a pymatgen radiation name such as ``"CuKa"`` or ``"MoKa1"``, or a positive
            number in angstrom.

    Raises:
        InvalidParameterError: unknown name, or a number that is not finite and positive.
        TypeError: anything else.
    """
    if isinstance(wavelength, bool):
        raise InvalidInputTypeError(f"wavelength must be a radiation name or a number in angstrom, got {wavelength!r}")
    if isinstance(wavelength, str):
        if wavelength not in WAVELENGTHS:
            raise InvalidParameterError(
                f"unknown radiation {wavelength!r}; choose one of {', '.join(WAVELENGTHS)} "
                "or give the wavelength in angstrom"
            )
        return float(WAVELENGTHS[wavelength]), wavelength
    if isinstance(wavelength, int | float):
        value = float(wavelength)
        if not math.isfinite(value) or value <= 0:
            raise InvalidParameterError(f"wavelength must be a finite positive number in angstrom, got {wavelength!r}")
        return value, None
    raise InvalidInputTypeError(
        f"wavelength must be a radiation name or a number in angstrom, got {type(wavelength).__name__}"
    )


def kalpha_doublet(radiation: str | None) -> tuple[float, float]:
    """Return ``(lambda K-alpha1, lambda K-alpha2)`` in angstrom for a K-alpha radiation name.

    ``"CuKa"``, ``"CuKa1"`` and ``"CuKa2"`` all give Cu's doublet.

    Raises:
        InvalidParameterError: the radiation is not a named K-alpha line (a bare number, a K-beta line).
    """
    if radiation is None or "Ka" not in radiation:
        raise InvalidParameterError(
            f"a K-alpha1/K-alpha2 doublet needs a named K-alpha radiation such as 'CuKa', got {radiation!r}"
        )
    anode = radiation.split("Ka")[0]
    return float(WAVELENGTHS[f"{anode}Ka1"]), float(WAVELENGTHS[f"{anode}Ka2"])
