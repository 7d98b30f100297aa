"""Free atomic coordinates and site scattering powers of references (phases.coordinates) and their
refinement against scans with known answers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

from pymatgen_ml_xrd import PhaseIdentifier, XRDCalculator
from pymatgen_ml_xrd.errors import InvalidParameterError
from pymatgen_ml_xrd.examples import example_structures
from pymatgen_ml_xrd.phases.coordinates import MAX_PARAMETERS, coordinate_model, symmetry_modes
from pymatgen_ml_xrd.phases.references import reference_phase


def _perovskite(o1=(0.571, 0.25, 0.083), o2=(0.290, 0.037, 0.710)) -> Structure:
    """A GdFeO3-type (Pnma) CaTiO3 with its oxygen positions as given."""
    return Structure.from_spacegroup("Pnma", Lattice.orthorhombic(5.44, 7.64, 5.38), ["Ca", "Ti", "O", "O"],
                                     [[0.007, 0.25, 0.994], [0.0, 0.0, 0.5], o1, o2])  # fmt: skip


NACL = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


def _structures():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"perovskite": _perovskite(), "NaCl": NACL, **example_structures()}


@pytest.mark.parametrize("name", sorted(_structures()))
def test_unmoved_parameters_give_the_peak_table_and_moved_ones_keep_the_space_group(name):
    ref = reference_phase(name, _structures()[name])
    table = ref.peaks(1.54056, 0.8)
    model = coordinate_model(ref.structure, table.d, 1.54056)
    if model is None:  # nothing to refine (fcc Cu: one orbit, no free coordinate) or too much
        modes, orbits = symmetry_modes(ref.structure)
        assert modes.shape[2] + len(set(orbits)) - 1 in (0, *range(MAX_PARAMETERS + 1, 10_000))
        return
    np.testing.assert_allclose(model.f2m(np.zeros(model.n_parameters)), table.f2m, rtol=1e-6, atol=1e-9 * table.f2m.max())
    params = np.random.default_rng(0).uniform(-0.03, 0.03, model.n_parameters)
    moved = Structure(ref.structure.lattice, ref.structure.species, model.moved(params))
    assert SpacegroupAnalyzer(moved, symprec=1e-3).get_space_group_number() == ref.space_group
    if model.n_free:  # the moved atoms give their own intensities: those of the moved structure
        shifted = Structure(ref.structure.lattice, ref.structure.species, model.moved(params))
        again = coordinate_model(shifted, table.d, 1.54056)
        no_site_change = np.concatenate([params[: model.n_free], np.zeros(model.n_site_factors)])
        np.testing.assert_allclose(model.f2m(no_site_change), again.f2m(np.zeros(again.n_parameters)), rtol=1e-6,
                                   atol=1e-9 * table.f2m.max())  # fmt: skip


def _scan(structure, seed=0, b=None):
    """A Cu K-alpha scan 15-100 deg of ``structure`` (counts with Poisson noise), every atom with
    the displacement B ``b`` [angstrom^2] when given."""
    factors = None if b is None else {el.symbol: b for el in structure.composition}
    dg = XRDCalculator("CuKa", debye_waller_factors=factors).get_diffractogram(structure, two_theta_range=(15, 100), step=0.02, kalpha2=True,
                                                profile="pseudo-voigt", caglioti=(0.01, 0.0, 0.004), eta=0.4,
                                                crystallite_size=None, normalize=False)  # fmt: skip
    y = dg.y / dg.y.max() * 2e4 + 300
    return dg.x, np.random.default_rng(seed).poisson(y).astype(float)


def test_oxygen_positions_of_a_perovskite_are_refined_back():
    truth = _perovskite()
    start = _perovskite(o1=(0.545, 0.25, 0.110), o2=(0.310, 0.060, 0.690))  # tilts of another compound
    x, y = _scan(truth)
    fixed = PhaseIdentifier({"start": start}, max_phases=1, texture=None, coordinates=False).identify((x, y, "CuKa1"))
    free = PhaseIdentifier({"start": start}, max_phases=1, texture=None).identify((x, y, "CuKa1"))
    assert free.names == ["start"] and free.phases[0].free_coordinates > 0
    # the moved oxygens fit to the noise (GOF below 1: the weights' floor); the start's do not
    assert free.gof < 1.0 and fixed.gof > 1.6 and fixed.phases[0].free_coordinates == 0
    got = free.phases[0].structure
    # every refined oxygen lies within 0.05 A of the true structure's (matched by distance, any setting)
    o_true = [s for s in SpacegroupAnalyzer(truth, 0.1).get_conventional_standard_structure() if s.specie.symbol == "O"]
    for site in (s for s in got if s.specie.symbol == "O"):
        frac = got.lattice.get_fractional_coords(site.coords)
        nearest = min(got.lattice.get_distance_and_image(frac, got.lattice.get_fractional_coords(o.coords))[0]
                      for o in o_true)  # fmt: skip
        assert nearest < 0.05
    assert free.as_dict()["phases"][0]["free_coordinates"] == free.phases[0].free_coordinates


def test_site_scattering_lets_a_prototype_of_other_chemistry_fit():
    """A KCl-like scan against the NaCl prototype: the site factor (K scatters 1.7x Na) takes up
    what the lattice cannot."""
    kcl = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.64), ["K", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    x, y = _scan(kcl, seed=3)
    fixed = PhaseIdentifier({"NaCl": NACL}, max_phases=1, texture=None, coordinates=False).identify((x, y, "CuKa1"))
    free = PhaseIdentifier({"NaCl": NACL}, max_phases=1, texture=None).identify((x, y, "CuKa1"))
    assert free.names == ["NaCl"] and free.rwp < 0.5 * fixed.rwp
    factors = dict(zip((s.specie.symbol for s in free.phases[0].structure), free.phases[0].site_factors))
    # the Na site scatters more (K: 19 electrons, Na: 11); |F|^2 of the odd reflections, (k f_Na - f_Cl)^2,
    # has a second minimum at k near (17 - 2) / 11 besides (17 + 2) / 11, so only "more" is asserted
    assert factors["Cl"] == 1.0 and factors["Na"] > 1.2


def test_overall_displacement_is_refined_back():
    """A NaCl scan with B = 1.5 A^2 on every atom: the overall B refines back (the references are
    simulated at rest), and without it (``b_iso=False``) the fit is clearly worse."""
    x, y = _scan(NACL, seed=5, b=1.5)
    with_b = PhaseIdentifier({"NaCl": NACL}, max_phases=1, texture=None, coordinates=False).identify((x, y, "CuKa1"))
    at_rest = PhaseIdentifier({"NaCl": NACL}, max_phases=1, texture=None, coordinates=False,
                              b_iso=False).identify((x, y, "CuKa1"))  # fmt: skip
    assert with_b.names == at_rest.names == ["NaCl"]
    assert abs(with_b.phases[0].b_iso - 1.5) < 0.15 and at_rest.phases[0].b_iso == 0.0
    # with B the fit reaches the noise (GOF below 1: the weights' floor), at rest it does not
    assert with_b.gof < 1.0 and at_rest.gof > 1.15 and with_b.rwp < 0.75 * at_rest.rwp
    assert with_b.as_dict()["phases"][0]["b_iso"] == with_b.phases[0].b_iso
    with pytest.raises(InvalidParameterError, match="b_iso"):
        PhaseIdentifier({"NaCl": NACL}, b_iso=1.0)


def test_coordinates_must_be_a_flag():
    with pytest.raises(InvalidParameterError, match="coordinates"):
        PhaseIdentifier({"NaCl": NACL}, coordinates="yes")
