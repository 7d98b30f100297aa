"""Patterns as models see them: the PatternSpec contract and the one pipeline that applies it.

Layer: above ``diffraction`` (physics), below ``streams``, ``identification`` and ``estimators``.
- :mod:`.spec`: :class:`PatternSpec` (grid, wavelength, background, preprocessing, training draws);
- :mod:`.inputs`: user input (Diffractogram, peaks, Structure, (x, y), arrays) onto a grid;
- :mod:`.background`, :mod:`.preprocessing`: the two model-input steps;
- :mod:`.pipeline`: :func:`model_rows` (predict) and :func:`model_input` (training tail);
- :mod:`.rendering`: training patterns drawn from a spec;
- :mod:`.metrics`: distances and scores between patterns.
"""

from pymatgen_ml_xrd.patterns.pipeline import model_input, model_rows
from pymatgen_ml_xrd.patterns.spec import PatternSpec

__all__ = ["PatternSpec", "model_input", "model_rows"]
