"""One-hot count matrices of chemical formulas (paper 004, Fig. 3).

A formula becomes a matrix of shape (n_elements, max_count): column ``c - 1`` of an element's row
is 1 when the element occurs ``c`` times in the integer formula unit, every other cell is 0.
Paper 004 uses 84 elements x 10 counts in periodic-table order; here the rows follow Pettifor's
Mendeleev number (pymatgen ``Element.mendeleev_no``), so that chemically similar elements are
neighbours and a convolution over rows means something, and counts go to 40 by default, which
covers every reduced formula of the Materials Project and AFLOW cells in ../shared/data (at most 34).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from pymatgen.core import Composition, DummySpecies, Element

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["DEFAULT_ELEMENTS", "CompositionEncoder", "CompositionEncodingError", "to_composition"]

#: H to Pu ordered by Mendeleev number.
DEFAULT_ELEMENTS: tuple[str, ...] = tuple(
    e.symbol for e in sorted((Element.from_Z(z) for z in range(1, 95)), key=lambda e: e.mendeleev_no)
)


class CompositionEncodingError(InvalidParameterError):
    """A formula cannot be encoded (unparsable, unknown element, too many atoms of one element)."""


def to_composition(value) -> Composition:
    """A pymatgen Composition from a formula string or a Composition; clear error otherwise."""
    if isinstance(value, Composition):
        comp = value
    elif isinstance(value, str):
        try:
            comp = Composition(value)
        except Exception as err:  # noqa: BLE001 - pymatgen raises ValueError, KeyError, ...
            raise CompositionEncodingError(f"cannot read formula {value!r}: {err}") from None
    else:
        raise CompositionEncodingError(f"a composition must be a formula string or a pymatgen Composition, got {type(value).__name__}")
    if comp.num_atoms <= 0 or any(amount < 0 for amount in comp.values()):
        raise CompositionEncodingError(f"formula {value!r} has no atoms or negative amounts")
    return comp


class CompositionEncoder:
    """Encode formulas as one-hot count matrices.

    Args:
        elements: the element symbols of the rows, in order (default: H-Pu by Mendeleev number).
        max_count: the largest number of atoms of one element in a formula unit.
    """

    def __init__(self, elements: Sequence[str] = DEFAULT_ELEMENTS, max_count: int = 40):
        if not isinstance(max_count, (int, np.integer)) or max_count < 1:
            raise InvalidParameterError(f"max_count must be a positive integer, got {max_count!r}")
        symbols = [Element(s).symbol for s in elements]
        if len(set(symbols)) != len(symbols):
            raise InvalidParameterError("elements must not repeat")
        self.elements = tuple(symbols)
        self.max_count = int(max_count)
        self._row = {s: i for i, s in enumerate(self.elements)}

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.elements), self.max_count

    def formula_unit(self, value) -> dict[str, int]:
        """Integer formula unit {element: count}: fractional formulas are scaled to whole numbers
        (``Li0.5Fe0.5O`` -> LiFeO2) and multiples reduced (``Fe4O6`` -> Fe2O3)."""
        comp = to_composition(value)
        others = [sp.symbol if isinstance(sp, DummySpecies) else str(sp) for sp in comp if not isinstance(sp, Element)]
        if others:
            raise CompositionEncodingError(
                f"formula {value!r}: {', '.join(others)} is not a chemical element (ions and dummy species cannot be encoded)"
            )
        formula, _ = comp.get_integer_formula_and_factor()
        unit = Composition(formula)
        counts = {el.symbol: round(n) for el, n in unit.items()}
        if any(abs(n - round(n)) > 1e-6 for n in unit.values()):
            raise CompositionEncodingError(f"formula {comp.formula!r} has no integer formula unit")
        # pymatgen's integer formula rounds to small denominators: a trace element (Fe0.0001O)
        # would vanish, and other ratios move; refuse instead of encoding another compound
        lost = [el.symbol for el in comp if el.symbol not in counts]
        moved = [el.symbol for el in comp if abs(unit.get_atomic_fraction(el) - comp.get_atomic_fraction(el)) > 0.01]
        if lost or moved:
            raise CompositionEncodingError(
                f"formula {comp.formula!r} has no small integer formula unit: it would be encoded as {unit.formula!r} "
                f"({', '.join(lost) + ' lost' if lost else ', '.join(moved) + ' fractions moved by more than 0.01'})"
            )
        return counts

    def encode(self, compositions: Iterable) -> NDArray[np.float32]:
        """Matrices of shape (n, n_elements, max_count) for formulas or Compositions.

        Raises:
            CompositionEncodingError: naming the formula and why (an element outside the
                vocabulary, more than ``max_count`` atoms of one element in the formula unit).
        """
        items = list(compositions)
        out = np.zeros((len(items), *self.shape), dtype=np.float32)
        for i, value in enumerate(items):
            for symbol, count in self.formula_unit(value).items():
                if symbol not in self._row:
                    raise CompositionEncodingError(f"formula {value!r}: element {symbol} is outside the encoder's {len(self.elements)} elements")
                if not 1 <= count <= self.max_count:
                    raise CompositionEncodingError(
                        f"formula {value!r}: {count} atoms of {symbol} per formula unit exceed max_count={self.max_count}"
                    )
                out[i, self._row[symbol], count - 1] = 1.0
        return out
