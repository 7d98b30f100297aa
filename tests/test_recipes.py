"""Named training recipes: listing, pausing, resuming, provenance (tiny recipes; the real ones are
trained by `pmlxrd train --recipe NAME`)."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from pymatgen_ml_xrd import recipes  # noqa: E402
from pymatgen_ml_xrd.cli import main  # noqa: E402
from pymatgen_ml_xrd.errors import InvalidParameterError  # noqa: E402
from pymatgen_ml_xrd.estimators.base import pretrained_folder  # noqa: E402
from pymatgen_ml_xrd.examples import example_structures  # noqa: E402
from pymatgen_ml_xrd.training_data import in_statistics_half  # noqa: E402

TINY = {"two_theta": (10.0, 70.0, 0.1), "batch_size": 16, "n_workers": 0, "space_groups": (2, 14, 62, 194, 225),
}


def test_every_shipped_model_has_a_recipe(capsys):
    shipped = {p.stem for p in pretrained_folder().glob("*.json")} | {"structure_types"}
    published = {r.publishes for r in recipes.RECIPES.values()}
    assert shipped <= published, f"shipped models without a recipe: {sorted(shipped - published)}"
    assert main(["recipes", "--json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in table} == set(recipes.RECIPES)
    v2 = next(r for r in table if r["name"] == "space-group-v2")
    assert v2["stages"][0]["params"]["space_groups"] == "all" and v2["n_patterns"] > 0
    with pytest.raises(InvalidParameterError, match="unknown recipe 'nope'; known: space-group-v2"):
        recipes.get_recipe("nope")


def test_a_recipe_without_a_shipped_model_is_listed_so_and_refuses_publish(tmp_path, capsys):
    assert recipes.get_recipe("space-group-v3").publishes is None
    assert main(["recipes"]) == 0
    listing = capsys.readouterr().out
    assert "space-group-v3" in listing and "(not shipped)" in listing and "pretrained/None" not in listing
    with pytest.raises(SystemExit, match="no shipped model to publish over"):
        main(["train", "--recipe", "space-group-v3", "--out", str(tmp_path / "run"), "--publish"])
    assert not (tmp_path / "run").exists()  # refused before anything ran


def _data_folder(tmp_path):
    """A data folder of the shipped example structures, all in the held-out half."""
    rows, n = [], 0
    for structure in example_structures().values():
        while in_statistics_half(f"tiny-{n}"):
            n += 1
        rows.append({"material_id": f"tiny-{n}", "cif": structure.to(fmt="cif")})
        n += 1
    (tmp_path / "data" / "structures").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(tmp_path / "data" / "structures" / "tiny.csv.gz", index=False)
    return tmp_path / "data"


def test_a_recipe_pauses_resumes_and_records_itself(tmp_path, monkeypatch):
    tiny = recipes.Recipe(
        name="tiny-test", model="space-group", description="two stages of 32 patterns", publishes=None,
        stages=(recipes.Stage("a", dict(TINY), n_patterns=32, checkpoint_every=16),
                recipes.Stage("b", dict(TINY, learning_rate=1e-4), n_patterns=32, init_from="stage:a",
                              checkpoint_every=16)),
        validation=("tiny", 5), calibration=("tiny", 5))  # fmt: skip
    monkeypatch.setitem(recipes.RECIPES, "tiny-test", tiny)
    data, out = _data_folder(tmp_path), tmp_path / "run"
    with pytest.raises(recipes.RecipePaused, match="paused in stage a at 16 of 32 patterns"):
        recipes.run_recipe("tiny-test", out, data, minutes=1e-6, verbose=False)  # pauses after its first batch
    with pytest.raises(InvalidParameterError, match="--resume"):
        recipes.run_recipe("tiny-test", out, data)
    path = recipes.run_recipe("tiny-test", out, data, resume=True, verbose=False)
    meta = json.loads(path.read_text())
    assert meta["recipe"]["name"] == "tiny-test" and meta["recipe"]["stages"] == ["a", "b"]
    assert meta["training"]["patterns_seen"] == 32 and "initialised from" in meta["training"]["source"]
    assert str(tmp_path) not in path.read_text()  # no machine path in what would ship
    assert path.with_suffix(".keras").is_file() and "calibration" in meta
    # a finished run resumed again trains nothing more
    again = json.loads(recipes.run_recipe("tiny-test", out, data, resume=True).read_text())
    assert again["training"]["patterns_seen"] == 32
    with pytest.raises(InvalidParameterError, match="holds a run of recipe 'tiny-test'"):
        monkeypatch.setitem(recipes.RECIPES, "other", tiny.__class__(**{**tiny.__dict__, "name": "other"}))
        recipes.run_recipe("other", out, data, resume=True)
    with pytest.raises(InvalidParameterError, match="no structures/ folder"):
        recipes.run_recipe("tiny-test", tmp_path / "x", tmp_path)


def test_script_recipes_say_how_to_run_them(tmp_path):
    with pytest.raises(InvalidParameterError, match="benchmarks/train_structure_types.py"):
        recipes.run_recipe("structure-types-default", tmp_path / "out", tmp_path)


def test_every_shipped_metadata_names_its_recipe_and_no_machine_path():
    folder = pretrained_folder()
    for path in [*folder.glob("*.json"), *(folder / "structure_types").glob("*.json")]:
        text = path.read_text()
        meta = json.loads(text)
        assert meta["recipe"]["name"] in recipes.RECIPES, path.name
        assert meta["recipe"]["package_version"], path.name
        training = meta.get("training") or meta["metadata"]  # RCNet files keep their record in "metadata"
        seen = training.get("patterns_seen") or training.get("n_train") or training.get("patterns")
        assert int(seen) > 0 and float(training["wall_seconds"]) > 0, path.name
        for root in ("/work/", "/tmp/", "/home/", "/root/", "C:\\\\"):
            assert root not in text, f"{path.name} records a machine path ({root})"
