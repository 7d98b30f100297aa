"""Chemical formulas as model inputs (the composition counterpart of :mod:`pymatgen_ml_xrd.patterns`).

Layer: beside ``patterns``; used by the CompositionToXRD estimator and its featurizer.
"""

from pymatgen_ml_xrd.compositions.encoding import CompositionEncoder, CompositionEncodingError

__all__ = ["CompositionEncoder", "CompositionEncodingError"]
