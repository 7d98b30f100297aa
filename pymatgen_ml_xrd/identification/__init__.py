"""Structure-type identification (paper 003, CrySTINet): everything about structure types.

Layer: above ``patterns`` and ``models``, below ``estimators`` (nothing here imports the
estimators or the cli at import time).

- :mod:`.records`: :class:`StructureType` and its validation;
- :mod:`.plugins`: plugin manager, entry-point loading with broken plugins isolated,
  :func:`collect_structure_types`, :func:`collect_rcnets`;
- :mod:`.rcnet_member`: one trained RCNet (:class:`RCNetMember`, its PatternSpec) and
  :func:`train_rcnet`;
- :mod:`.reliability`: R = alpha S + (1 - alpha) C and the choice of alpha and R0;
- :mod:`.similarity`, :mod:`.type_keys`, :mod:`.variants`, :mod:`.type_patterns`,
  :mod:`.grouping`: the parts of training and prediction;
- :mod:`.catalogue`: the shipped type catalogue and substitution formulas;
- :mod:`.default_plugin`, :mod:`.plugin_package`: the shipped RCNets as a plugin, and writing
  new ones as installable plugin packages.
"""
