"""Structure-type identification (paper 003, CrySTINet): type keys, the default type catalogue,
synthetic members of a type, and the union of RCNets behind StructureTypeIdentifier."""
