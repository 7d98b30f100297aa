"""Package surface, the pmlxrd command and the demo job."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import pymatgen_ml_xrd
from pymatgen_ml_xrd import cli, demo
from pymatgen_ml_xrd.examples import example_cif_paths, example_structures


def test_import_is_light():
    code = (
        "import sys, pymatgen_ml_xrd; "
        "heavy = [m for m in ('tensorflow', 'keras', 'ray', 'numba') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_public_names():
    from pymatgen.analysis.diffraction.core import AbstractDiffractionPatternCalculator

    assert issubclass(pymatgen_ml_xrd.XRDCalculator, AbstractDiffractionPatternCalculator)
    assert pymatgen_ml_xrd.__version__ != ""
    with pytest.raises(AttributeError, match="no attribute"):
        pymatgen_ml_xrd.NoSuchThing  # noqa: B018


def test_examples_ship_with_the_package():
    assert len(example_cif_paths()) == 5
    assert {s.composition.reduced_formula for s in example_structures().values()} >= {"ZnO", "SrTiO3"}


def test_cli_simulate_json_and_png(tmp_path, capsys):
    cif = example_cif_paths()[0]
    png = tmp_path / "p.png"
    assert cli.main(["simulate", str(cif), "--json", "--top", "3", "--png", str(png)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result[0]["peaks"] > 3 and len(result[0]["strongest"]) == 3
    assert max(p["intensity"] for p in result[0]["strongest"]) == pytest.approx(100)
    assert png.stat().st_size > 10_000


def test_cli_reports_bad_range(capsys):
    assert cli.main(["simulate", str(example_cif_paths()[0]), "--range", "90", "5"]) == 2
    assert "inverted" in capsys.readouterr().err


def test_demo_runs_and_matches_pymatgen(tmp_path, capsys):
    assert demo.main(["--out", str(tmp_path), "--repeats", "1"]) == 0
    assert (tmp_path / "patterns.png").stat().st_size > 50_000
    summary = json.loads((tmp_path / "demo.json").read_text())
    assert all(row["same_as_pymatgen"] for row in summary["rows"])
    assert "speed-up" in capsys.readouterr().out
    classified = summary["classified"]
    assert [r["structure"] for r in classified] == [r["structure"] for r in summary["rows"]]
    assert all(len(r["top5"]) == 5 and all(1 <= g <= 230 for g in r["top5"]) for r in classified)
    measured = summary["measured"]  # the shipped weighed TiO2 + ZnO lab scan: both phases, within 5 wt%
    assert sorted(measured["phases"]) == sorted(measured["weighed"])
    for name, weighed in measured["weighed"].items():
        assert abs(measured["phases"][name] - weighed) < 0.05
    assert measured["rwp"] < 0.15 and (tmp_path / "measured_fit.png").stat().st_size > 30_000
    # checked by a fit: the wurtzite type (ZnO, the main phase) fits, so its group P6_3mc leads
    verified = measured["verified"]
    assert verified["space_group"] == 186 and verified["top5"][0] == 186 and len(verified["top5"]) == 5
    assert verified["rwp"] <= 0.31 and set(verified["top5"][1:]) <= set(measured["space_group_top5"])


def test_measured_example_is_shipped_with_its_licence():
    from pymatgen_ml_xrd.examples import anatase, measured_example
    from pymatgen_ml_xrd.io import read_pattern

    example = measured_example()
    assert (example.path.parent / "LICENSE-dara").read_text().startswith("MIT License")
    scan = read_pattern(example.path)
    assert scan.wavelength == pytest.approx(1.5406, abs=1e-4) and len(scan.x) > 1000
    assert sum(example.weighed.values()) == pytest.approx(1.0, abs=0.01) and set(example.weighed) == set(example.references)
    assert anatase().get_space_group_info()[1] == 141 and anatase().composition.reduced_formula == "TiO2"


def test_cli_train_both_models(tmp_path, capsys):
    from pymatgen_ml_xrd import CompositionToXRD, SpaceGroupClassifier

    cifs = [str(p) for p in example_cif_paths()]
    out = tmp_path / "c2x"
    assert cli.main(["train", "composition-to-xrd", *cifs, "--out", str(out), "--epochs", "1"]) == 0
    assert "trained on 5 formulas" in capsys.readouterr().out
    assert CompositionToXRD.load(out).predict_array(["ZnO"]).shape == (1, 1024)
    out = tmp_path / "sg"
    assert cli.main(["train", "space-group", "--out", str(out), "--n-patterns", "256", "--workers", "0"]) == 0
    assert "trained on 256 patterns" in capsys.readouterr().out
    assert SpaceGroupClassifier.load(out).metadata_["training"]["patterns_seen"] == 256
    with pytest.raises(SystemExit, match="needs structure files"):
        cli.main(["train", "composition-to-xrd", "--out", str(tmp_path / "x")])


def test_cli_takes_numeric_wavelengths_and_states_its_version(tmp_path, capsys):
    """--wavelength 0.406626 is angstrom (a synchrotron scan), not an unknown radiation name."""
    cif = str(example_cif_paths()[0])
    assert cli.main(["simulate", cif, "--wavelength", "0.406626", "--range", "2", "30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)[0]
    assert out["wavelength"] == pytest.approx(0.406626)
    assert cli.main(["simulate", cif, "--wavelength", "CuKb7"]) == 2
    assert "unknown radiation 'CuKb7'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0 and pymatgen_ml_xrd.__version__ in capsys.readouterr().out


def test_tensorflow_start_up_lines_are_silenced_unless_the_user_chose_a_level():
    code = ("import os, pymatgen_ml_xrd; from pymatgen_ml_xrd.models import rcnet; import tensorflow; "
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")  # fmt: skip
    env = {k: v for k, v in __import__("os").environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert quiet.returncode == 0 and quiet.stdout.strip() == "2"
    # some TensorFlow builds (2.21 on AVX512 machines) print these lines before absl::InitializeLog,
    # where no log level applies, not even the strictest one: then there is nothing to silence
    strict = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True, text=True, timeout=300,
                            env={**env, "TF_CPP_MIN_LOG_LEVEL": "3"})  # fmt: skip
    if "oneDNN" not in strict.stderr and "cpu_feature_guard" not in strict.stderr:
        assert "cpu_feature_guard" not in quiet.stderr and "oneDNN" not in quiet.stderr
    own = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"})  # fmt: skip
    assert own.returncode == 0 and own.stdout.strip() == "0"  # the user's own level is kept


@pytest.mark.parametrize("argv", [["classify", "scan.xy", "--top", "-3"], ["simulate", "a.cif", "--top", "0"],
                                  ["phases", "scan.xy", "--max-phases", "two"], ["predict-xrd", "NaCl", "--peaks", "0"]])
def test_cli_refuses_counts_below_one(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2 and "expected a whole number >= 1" in capsys.readouterr().err


def test_cli_texture_takes_auto_none_or_a_plane_normal():
    assert cli._texture_argument(["auto"]) == "auto" and cli._texture_argument(["None"]) is None
    assert cli._texture_argument(["0", "0", "1"]) == (0.0, 0.0, 1.0)
    for bad in (["1", "2"], ["a", "b", "c"], ["sometimes"]):
        with pytest.raises(SystemExit, match="--texture takes auto, none or three numbers"):
            cli._texture_argument(bad)


def test_cli_help_shows_defaults_and_recipes_are_listed(capsys):
    with pytest.raises(SystemExit):
        cli.main(["classify", "--help"])
    assert "(default: 5)" in capsys.readouterr().out
    assert cli.main(["recipes"]) == 0
    assert "space-group-v2" in capsys.readouterr().out


def test_tensorflow_start_up_lines_stay_off_the_terminal():
    """A first predict prints none of TensorFlow's C++ start-up lines; a user who asks for them
    (TF_CPP_MIN_LOG_LEVEL=0) gets the plain import (no descriptor redirected)."""
    import os

    code = ("import numpy as np\nfrom pymatgen_ml_xrd import SpaceGroupClassifier\n"
            "print(SpaceGroupClassifier().predict([np.exp(-((np.arange(2126) - 900) / 3.0) ** 2)]).shape)")  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "(1,)" in run.stdout
    assert "oneDNN" not in run.stderr and "absl::InitializeLog" not in run.stderr, run.stderr
    code = ("import os\nos.dup2 = None  # any redirect would fail\n"
            "from pymatgen_ml_xrd.tensorflow_logs import import_tensorflow\nprint(import_tensorflow().__name__)")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "TF_CPP_MIN_LOG_LEVEL": "0"}, timeout=300)  # fmt: skip
    assert run.returncode == 0 and run.stdout.strip() == "tensorflow", run.stderr
