"""Phase identification: search-match and whole-pattern refinement of references against a scan.

Layer: above ``diffraction`` and ``patterns`` (it renders with the calculator's kernels and
removes backgrounds with the pattern pipeline's SNIP), beside ``identification`` (whose
catalogue is the default reference library), below ``estimators`` and the CLI.
- :mod:`.references`: ReferencePhase, ReferenceLibrary (reflections as arrays);
- :mod:`.screening`: every reference against a scan in one numba kernel;
- :mod:`.profile_model`: the forward model of a phase on a scan's grid;
- :mod:`.refinement`: least-squares refinement (scipy), variable projection;
- :mod:`.identifier`: PhaseIdentifier, PhaseIdentification.
"""

from pymatgen_ml_xrd.phases.identifier import IdentifiedPhase, PhaseIdentification, PhaseIdentifier

__all__ = ["IdentifiedPhase", "PhaseIdentification", "PhaseIdentifier"]
