"""The split of ../shared/data's real structures (moved to :mod:`pymatgen_ml_xrd.training_data`,
which the training recipes use too); kept so that ``from data_splits import ...`` in the
benchmark scripts goes on working."""

from pymatgen_ml_xrd.training_data import (  # noqa: F401
    STRUCTURE_FILES,
    held_out_structures,
    in_statistics_half,
    load_statistics_structures,
    material_ids,
    statistics_half_with_groups,
)
