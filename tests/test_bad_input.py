"""Bad input raises a ValueError/TypeError subclass whose message names the problem."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.core.periodic_table import DummySpecies

from pymatgen_ml_xrd import XRDCalculator
from pymatgen_ml_xrd.diffraction.crystal_arrays import CrystalArrays
from pymatgen_ml_xrd.errors import InvalidParameterError, InvalidStructureError, ReflectionLimitError

NACL = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])


@pytest.fixture(params=["get_pattern", "get_diffractogram"])
def simulate(request):
    calc = XRDCalculator()
    return getattr(calc, request.param)


def test_empty_structure(simulate):
    with pytest.raises(InvalidStructureError, match="empty"):
        simulate(Structure(Lattice.cubic(4), [], []))


def test_nan_coordinates(simulate):
    s = Structure(Lattice.cubic(4), ["Na", "Cl"], [[0, 0, 0], [math.nan, 0.5, 0.5]])
    with pytest.raises(InvalidStructureError, match="non-finite.*coordinates on sites \\[1\\]"):
        simulate(s)


def test_inf_lattice(simulate):
    s = Structure(Lattice([[4, 0, 0], [0, math.inf, 0], [0, 0, 4]]), ["Na"], [[0, 0, 0]])
    with pytest.raises(InvalidStructureError, match="lattice has non-finite"):
        simulate(s)


def test_zero_volume_lattice(simulate):
    s = Structure(Lattice([[4, 0, 0], [8, 0, 0], [0, 0, 4]]), ["Na"], [[0, 0, 0]])
    with pytest.raises(InvalidStructureError, match="zero volume"):
        simulate(s)


def test_dummy_species(simulate):
    s = Structure(Lattice.cubic(4), [DummySpecies("X"), "Cl"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(InvalidStructureError, match="site 0 holds X.*no X-ray scattering factor"):
        simulate(s)


def test_element_without_scattering_data(simulate):
    s = Structure(Lattice.cubic(4), ["Na", "Es"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(InvalidStructureError, match="site 1 holds Es"):
        simulate(s)


def test_huge_cell_is_refused_before_allocating(simulate):
    s = Structure(Lattice.cubic(900), ["Na"], [[0, 0, 0]])
    with pytest.raises(ReflectionLimitError, match="max_reflections"):
        simulate(s)


def test_reflection_limit_is_configurable():
    s = Structure(Lattice.cubic(40), ["Na"], [[0, 0, 0]])
    with pytest.raises(ReflectionLimitError):
        XRDCalculator(max_reflections=1000).get_pattern(s)
    assert len(XRDCalculator(max_reflections=10**6).get_pattern(s).x) > 0


@pytest.mark.parametrize(
    "two_theta_range, message",
    [((90, 10), "inverted"), ((30, 30), "empty"), ((-5, 90), "within"), ((0, 200), "within"),
     ((math.nan, 90), "finite"), ((10,), "pair"), ("5-90", "pair")],
)
def test_bad_two_theta_range_peaks(two_theta_range, message):
    with pytest.raises(InvalidParameterError, match=message):
        XRDCalculator().get_pattern(NACL, two_theta_range=two_theta_range)


@pytest.mark.parametrize("two_theta_range", [(90, 10), (30, 30), (-5, 90), (0, 180), (math.nan, 90), (5,)])
def test_bad_two_theta_range_dense(two_theta_range):
    with pytest.raises(InvalidParameterError):
        XRDCalculator().get_diffractogram(NACL, two_theta_range=two_theta_range)


@pytest.mark.parametrize(
    "kwargs, message",
    [({"step": 0}, "step"), ({"step": 0.007}, "whole steps"), ({"crystallite_size": -3}, "crystallite_size"),
     ({"crystallite_size": None}, "crystallite_size"), ({"profile": "voigt"}, "profile"),
     ({"profile": "pseudo-voigt", "eta": 1.5}, "eta"),
     ({"profile": "pseudo-voigt", "caglioti": (0, 0, -1), "crystallite_size": None}, "FWHM"),
     ({"scherrer_constant": 0}, "scherrer")],
)
def test_bad_profile_options(kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        XRDCalculator().get_diffractogram(NACL, **kwargs)


def test_kalpha2_needs_named_kalpha_radiation():
    with pytest.raises(InvalidParameterError, match="K-alpha"):
        XRDCalculator(1.54).get_diffractogram(NACL, kalpha2=True)
    with pytest.raises(InvalidParameterError, match="K-alpha"):
        XRDCalculator("CuKb1").get_diffractogram(NACL, kalpha2=True)


@pytest.mark.parametrize("wavelength, error", [("CuKx", InvalidParameterError), (-1.0, InvalidParameterError),
                                                (math.nan, InvalidParameterError), (True, TypeError),
                                                ([1.5], TypeError)])
def test_bad_wavelength(wavelength, error):
    with pytest.raises(error, match="wavelength|radiation"):
        XRDCalculator(wavelength)


def test_not_a_structure():
    with pytest.raises(TypeError, match="Structure"):
        XRDCalculator().get_pattern("NaCl")


def test_batch_error_names_the_structure():
    bad = Structure(Lattice.cubic(4), ["Na", "Es"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    with pytest.raises(InvalidStructureError, match="structure 1: site 1 holds Es"):
        XRDCalculator().get_diffractograms([NACL, bad])
    with pytest.raises(InvalidParameterError, match="2 values for 1 structures"):
        XRDCalculator().get_diffractograms([NACL], crystallite_size=[20, 30])


def test_no_reflection_in_dense_range():
    tiny = Structure(Lattice.cubic(2.0), ["Na"], [[0, 0, 0]])
    with pytest.raises(InvalidStructureError, match="no reflection"):
        XRDCalculator().get_diffractogram(tiny, two_theta_range=(5, 20))


def test_error_classes_are_value_errors():
    for cls in (InvalidParameterError, InvalidStructureError, ReflectionLimitError):
        assert issubclass(cls, ValueError)


@pytest.mark.parametrize(
    "args, message",
    [((np.eye(2), [[0, 0, 0]], [11]), "shape \\(3, 3\\)"),
     ((np.eye(3) * 4, [[0, 0]], [11]), "frac_coords"),
     ((np.eye(3) * 4, [[0, 0, 0]], [1.5]), "integers"),
     ((np.eye(3) * 4, [[0, 0, 0]], [0]), "atomic numbers"),
     ((np.eye(3) * 4, [[0, 0, 0]], [120]), "atomic numbers"),
     ((np.eye(3) * 4, [[0, 0, math.inf]], [11]), "non-finite"),
     ((np.zeros((3, 3)), [[0, 0, 0]], [11]), "zero volume")],
)
def test_crystal_arrays_validation(args, message):
    with pytest.raises(InvalidStructureError, match=message):
        CrystalArrays.from_arrays(*args)


def test_crystal_arrays_occupancy_validation():
    with pytest.raises(InvalidStructureError, match="occupancies"):
        CrystalArrays.from_arrays(np.eye(3) * 4, [[0, 0, 0]], [11], [1.5])
    with pytest.raises(InvalidStructureError, match="occupancies"):
        CrystalArrays.from_arrays(np.eye(3) * 4, [[0, 0, 0]], [11], [0.0])


def test_long_axis_with_many_atoms_is_refused_for_its_phase_tables():
    rng = np.random.default_rng(0)
    lattice = Lattice.orthorhombic(3000, 3, 3)
    s = Structure(lattice, ["Si"] * 3000, rng.random((3000, 3)))
    with pytest.raises(ReflectionLimitError, match="phase tables"):
        XRDCalculator(max_reflections=100_000).get_pattern(s)
