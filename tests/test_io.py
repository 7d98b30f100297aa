"""Reading measured pattern files (copies in tests/data/patterns, sources in docs/data.md)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from pymatgen_ml_xrd import Diffractogram
from pymatgen_ml_xrd.io import PatternFileError, read_pattern

PATTERNS = Path(__file__).parent / "data" / "patterns"


def test_xrdml_with_wavelength():
    dg = read_pattern(PATTERNS / "In2O3-MnCO3_2min.xrdml")
    assert isinstance(dg, Diffractogram)
    assert dg.wavelength == pytest.approx(1.540598)  # the file's "K-Alpha 1"
    assert dg.x[0] == pytest.approx(10.02173288) and dg.x[-1] == pytest.approx(99.99585608)
    assert len(dg.x) == 2071 and dg.y.max() > 10_000


def test_a_wavelength_argument_wins_over_the_files_with_a_warning_naming_both():
    with pytest.warns(UserWarning, match=r"wavelength='MoKa1' \(0\.70930 A\) is used, not the 1\.54060 A"):
        dg = read_pattern(PATTERNS / "In2O3-MnCO3_2min.xrdml", wavelength="MoKa1")
    assert dg.wavelength == pytest.approx(0.709300)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same wavelength as the file's: nothing to say
        assert read_pattern(PATTERNS / "In2O3-MnCO3_2min.xrdml", wavelength=1.540598).wavelength == pytest.approx(1.540598)
        read_pattern(PATTERNS / "LiMnO2.xy", wavelength="CoKa1")  # a text file states none


def test_pdcif_profile_and_wavelength():
    dg = read_pattern(PATTERNS / "wh5012phaseIII_pdcif.cif")
    assert len(dg.x) > 100 and np.all(np.diff(dg.x) > 0)
    assert 0.3 < dg.wavelength < 2.5


def test_three_column_xy_defaults_to_cu_kalpha():
    dg = read_pattern(PATTERNS / "LiMnO2.xy")
    assert dg.x[0] == pytest.approx(10.0) and dg.y[0] == pytest.approx(1943)
    assert dg.radiation == "CuKa"
    assert read_pattern(PATTERNS / "LiMnO2.xy", wavelength="CoKa1").radiation == "CoKa1"


def test_text_variants(tmp_path):
    (tmp_path / "a.csv").write_text("angle,intensity\n10.0,5\n10.1,6\n10.2,7\n")
    (tmp_path / "b.xye").write_text("# comment\n! another\n10 5 1\n10.1 6 1 # trailing\n\n10.2 7 1\n")
    (tmp_path / "c.txt").write_text("10.2;7\n10.1;6\n10.0;5\n")  # descending
    for name in ("a.csv", "b.xye", "c.txt"):
        dg = read_pattern(tmp_path / name)
        np.testing.assert_allclose(dg.x, [10.0, 10.1, 10.2])
        np.testing.assert_allclose(dg.y, [5, 6, 7])


@pytest.mark.parametrize(
    "name, content, message",
    [("bad.xy", "10 1\n10.1 x\n", "line 2"), ("one.xy", "10 1\n10.1\n", "line 2: expected two columns"),
     ("dup.xy", "10 1\n10 2\n", "not strictly increasing"), ("nan.xy", "10 1\n10.1 nan\n", "line 2: non-finite"),
     ("empty.xy", "# nothing\n", "no numeric data"), ("x.xrdml", "<not xml", "not valid XML"),
     ("y.xrdml", "<a><b/></a>", "no dataPoints"), ("z.cif", "data_x\n_cell_length_a 4\n", "no powder profile"),
     ("w.raw", "1 2", "unknown pattern format")],
)
def test_malformed_files_name_file_and_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(PatternFileError, match=message) as info:
        read_pattern(path)
    assert name in str(info.value)


def test_missing_file():
    with pytest.raises(PatternFileError, match="no such file"):
        read_pattern("does/not/exist.xy")


def test_measured_pattern_goes_to_the_calculator_grid():
    from pymatgen_ml_xrd.diffraction import XRDCalculator, two_theta_grid
    from pymatgen_ml_xrd.patterns.inputs import patterns_on_grid

    dg = read_pattern(PATTERNS / "In2O3-MnCO3_2min.xrdml")
    grid = two_theta_grid(5, 90, 0.04)
    rows = patterns_on_grid(dg, grid, 1.5406, XRDCalculator("CuKa1"))
    assert rows.shape == (1, len(grid))
    assert (rows[0, grid < 10] == 0).all() and rows[0, grid > 11].min() > 0  # unmeasured part masked


@pytest.mark.parametrize("text", ["# 2theta intensity\n10,0 100,5\n10,02 120,25\n10,04 1,3e2\n",
                                  "10,0;100,5\n10,02;120,25\n10,04;130\n", "10,0\t100,5\n10,02\t120,25\n10,04\t130\n"])
def test_decimal_comma_files_are_read_as_such(tmp_path, text):
    path = tmp_path / "scan.xy"
    path.write_text(text)
    pattern = read_pattern(path, "CuKa")
    np.testing.assert_allclose(pattern.x, [10.0, 10.02, 10.04])
    np.testing.assert_allclose(pattern.y, [100.5, 120.25, 130.0])


def test_comma_separated_columns_keep_their_decimal_points(tmp_path):
    path = tmp_path / "scan.csv.xy"
    path.write_text("10.0,100\n10.02,120.5\n10.04,130\n")
    pattern = read_pattern(path, "CuKa")
    np.testing.assert_allclose(pattern.y, [100.0, 120.5, 130.0])


def test_a_directory_is_not_a_pattern_file(tmp_path):
    with pytest.raises(PatternFileError, match="is a directory, not a pattern file"):
        read_pattern(tmp_path)
