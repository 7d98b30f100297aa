"""pmlxrd-extra-types: structure types for pymatgen-ml-xrd."""
