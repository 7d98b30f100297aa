"""Named training recipes: every shipped model rebuilt by one command.

``pmlxrd recipes`` lists them; ``pmlxrd train --recipe NAME --out DIR`` runs one. A recipe is a
fixed sequence of stages; each stage is a ``fit()`` of the package's estimator with fixed
parameters and a fixed number of patterns, checkpointed in ``DIR/STAGE/``. A time limit
(``--minutes``) only pauses a run: ``--resume`` continues it from its checkpoints, on any machine,
and the stage ends at its number of patterns, never at a wall-clock time. Batch i of a stream has
its own seed (:func:`~pymatgen_ml_xrd.streams.local.batch_at`), so a run paused and resumed
anywhere sees the batches of an uninterrupted one. A paused run exits ``pmlxrd`` with code 3.

The finished model is written to ``DIR/NAME.keras`` + ``DIR/NAME.json`` (weights only); its
metadata records ``recipe`` (name, stages, package version), the patterns seen and the wall time,
and no machine path. ``--publish`` copies it over the shipped file of the recipe.

Recipes whose models predate this module (the structure-type RCNets, CompositionToXRD) are
listed with the committed script and arguments that trained them (``kind="script"``). An
ensemble recipe (``kind="ensemble"``) trains nothing itself: it combines the models of its
member recipes (:func:`~pymatgen_ml_xrd.estimators.space_group_ensemble.ensemble_classifier`) and
calibrates the result.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

from pymatgen_ml_xrd.errors import InvalidParameterError

__all__ = ["Recipe", "Stage", "RECIPES", "get_recipe", "run_recipe", "RecipePaused"]


@dataclass(frozen=True)
class Stage:
    """One fit of a recipe.

    Attributes:
        name: the stage's folder under the run's output directory.
        params: constructor parameters of the estimator (``pretrained=None`` implied).
        n_patterns: patterns the stage trains on in total (its end).
        init_from: the weights the stage starts from: a shipped name (e.g. "pseudo-voigt"),
            ``"stage:NAME"`` (an earlier stage of the recipe) or None (random).
        real_data: mix the real crystals of the data folder's statistics half into the stream.
        checkpoint_every: patterns between checkpoints.
        compact_checkpoint: also write the float16 weights-only checkpoint ``STAGE/compact.npz``
            at each checkpoint, the one to commit for a large model (the run resumes from it on a
            machine without the full ``checkpoint.keras``; ``SpaceGroupClassifier.fit``).
    """

    name: str
    params: dict
    n_patterns: int
    init_from: str | None = None
    real_data: bool = False
    checkpoint_every: int = 102_400
    compact_checkpoint: bool = False


@dataclass(frozen=True)
class Recipe:
    """A named way to train one shipped model.

    Attributes:
        name: the recipe's name (``pmlxrd train --recipe NAME``).
        model: which estimator ("space-group", "structure-types", "composition-to-xrd").
        description: what the model is for.
        publishes: the file stem in ``pymatgen_ml_xrd/pretrained`` that ``--publish`` writes (None:
            a recipe whose model is not shipped).
        stages: the fits, in order (``kind="stages"``).
        kind: "stages" (run here), "ensemble" (``members`` combined here) or "script" (run
            ``script`` from a clone of the repository).
        members: the recipes whose models an ensemble recipe combines (``kind="ensemble"``).
        script: the committed command of a script recipe.
        validation: (data file, count) of the held-out structures checked at each checkpoint,
            half of them as measured-like scans when the model removes a background.
        calibration: (data file, count) of the held-out structures the temperature is fitted on.
    """

    name: str
    model: str
    description: str
    publishes: str | None = None
    stages: tuple[Stage, ...] = ()
    kind: str = "stages"
    script: str | None = None
    members: tuple[str, ...] = ()
    validation: tuple[str, int] = ("mpts52_val", 300)
    calibration: tuple[str, int] = ("mp20_biternary_val", 300)

    def summary(self) -> dict:
        """JSON-ready description (for ``pmlxrd recipes --json`` and the model metadata)."""
        out = {"name": self.name, "model": self.model, "kind": self.kind, "description": self.description,
               "publishes": self.publishes}
        if self.kind == "script":
            out["script"] = self.script
        elif self.kind == "ensemble":
            out["members"] = list(self.members)
            out["n_patterns"] = sum(RECIPES[m].summary()["n_patterns"] for m in self.members)
        else:
            out["stages"] = [dataclasses.asdict(s) for s in self.stages]
            ends = {}  # stages of one folder resume its checkpoint: the last one's total counts
            for s in self.stages:
                ends[s.name] = s.n_patterns
            out["n_patterns"] = sum(ends.values())
        return out


def _measured_effects() -> dict:
    from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects

    effects = dataclasses.replace(ExperimentalEffects.measured(), preferred_orientation=(0.7, 1.4))
    return effects.to_dict()


_PURE = {"architecture": "compact", "n_workers": 1, "learning_rate": 1e-3}
#: the fine-tunes for measured scans: pseudo-Voigt, K-alpha2 on half, SNIP, a quarter real crystals
_MEASURED = dict(_PURE, learning_rate=3e-4, profile="pseudo-voigt", kalpha2=0.5, background="snip", real_fraction=0.25)

RECIPES: dict[str, Recipe] = {}


def _register(recipe: Recipe) -> None:
    missing = [m for m in recipe.members if m not in RECIPES]
    if recipe.kind == "ensemble" and (len(recipe.members) < 2 or missing):
        raise InvalidParameterError(f"ensemble recipe {recipe.name} needs two or more registered member recipes; "
                                    f"unknown: {missing}")  # fmt: skip
    RECIPES[recipe.name] = recipe


_V2_MIXED = Stage(
    name="mixed",
    params=dict(_MEASURED, learning_rate=5e-4, space_groups="all", effects="measured+texture", effects_fraction=0.5),
    n_patterns=1_600_000, init_from="pseudo-voigt", real_data=True)
_register(Recipe(
    name="space-group-v2",
    model="space-group",
    description="one model for clean and measured patterns: all 230 space groups, pseudo-Voigt peaks of "
                "any Lorentzian share, K-alpha2 on half, experimental effects and texture on half of the "
                "patterns, SNIP background removal before the model; a quarter of every batch from real "
                "crystals; starts from the shipped pseudo-voigt weights (94 groups)",
    publishes="space_group_v2",
    stages=(_V2_MIXED,),
))
_register(Recipe(
    name="space-group-v3",
    model="space-group",
    description="space-group-v2 trained on: its stage, then 1.2 M more patterns with measured effects on 60 % "
                "of them, 4 patterns per crystal (crystal generation limits the stream) and a fresh cosine "
                "decay from 3e-4; not shipped (it failed the rule for the default as v2 did, "
                "docs/space_group.md)",
    publishes=None,
    stages=(_V2_MIXED,
            Stage(name="measured", params=dict(_V2_MIXED.params, learning_rate=3e-4, effects_fraction=0.6,
                                               patterns_per_crystal=4),
                  n_patterns=1_200_000, init_from="stage:mixed", real_data=True)),
))
_register(Recipe(
    name="space-group-v4",
    model="space-group",
    description="v2's stream (all 230 groups, clean and measured-like, both peak shapes, SNIP) on a larger "
                "model: resnet10 (3.97 M parameters, the compact model's 0.42 M are at capacity on this stream, "
                "docs/space_group.md) from random weights, 4 patterns per crystal, 3 M patterns; compact "
                "float16 checkpoints to commit and resume on any machine",
    publishes=None,
    stages=(Stage(name="resnet10",
                  params=dict(_V2_MIXED.params, architecture="resnet10", learning_rate=1e-3, patterns_per_crystal=4),
                  n_patterns=3_000_000, real_data=True, compact_checkpoint=True, checkpoint_every=51_200),),
))
_register(Recipe(
    name="space-group-default-v1",
    model="space-group",
    description="the shipped gaussian model, the default until 2026-12-08 (94 groups, Gaussian Scherrer peaks): "
                "1.5 M synthetic patterns, then resumed to 3.0 M with a quarter of every batch from real crystals",
    publishes="space_group_gaussian",
    stages=(Stage(name="synthetic", params=dict(_PURE), n_patterns=1_500_000),
            Stage(name="synthetic", params=dict(_PURE, real_fraction=0.25), n_patterns=3_000_000, real_data=True)),
))
_register(Recipe(
    name="space-group-pseudo-voigt-v1",
    model="space-group",
    description="the shipped pseudo-voigt model: the gaussian model fine-tuned on pseudo-Voigt peaks",
    publishes="space_group_pseudo_voigt",
    stages=(Stage(name="pseudo-voigt", params=dict(_PURE, learning_rate=3e-4, profile="pseudo-voigt",
                                                   real_fraction=0.25),
                  n_patterns=1_600_000, init_from="gaussian", real_data=True),),
))
_register(Recipe(
    name="space-group-experimental-v1",
    model="space-group",
    description="the shipped experimental model: pseudo-Voigt, K-alpha2 on half, every measured effect, "
                "SNIP background removal; then texture",
    publishes="space_group_experimental",
    stages=(Stage(name="experimental", params=dict(_MEASURED, effects="measured"), n_patterns=700_000,
                  init_from="gaussian", real_data=True),
            Stage(name="texture", params=dict(_MEASURED, effects="measured+texture"), n_patterns=450_000,
                  init_from="stage:experimental", real_data=True)),
))
_register(Recipe(
    name="space-group-default-v2",
    model="space-group",
    kind="ensemble",
    description="the shipped default: one model for clean and measured patterns, all 230 groups - the mean of the "
                "calibrated probabilities of space-group-v2 (230 groups, half clean, half measured-like) and "
                "space-group-experimental-v1 (measured scans), its temperature fitted as the members' were",
    publishes="space_group_default",
    members=("space-group-v2", "space-group-experimental-v1"),
))
_register(Recipe(
    name="structure-types-default",
    model="structure-types",
    kind="script",
    description="the shipped StructureTypeIdentifier: one RCNet per group of similar structure types, "
                "trained on patterns of the catalogue's members",
    publishes="structure_types",
    script="python benchmarks/train_structure_types.py --publish",
))
_register(Recipe(
    name="composition-to-xrd-default",
    model="composition-to-xrd",
    kind="script",
    description="the shipped CompositionToXRD: formulas to diffractograms (DeepXRD, paper 004)",
    publishes="composition_to_xrd_default",
    script="python benchmarks/train_composition_to_xrd.py --publish",
))


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; the error lists the known names."""
    if name not in RECIPES:
        raise InvalidParameterError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}")
    return RECIPES[name]


class RecipePaused(Exception):
    """A recipe run stopped at its time limit; ``--resume`` continues it."""


def _estimator_params(stage: Stage) -> dict:
    params = dict(stage.params)
    if isinstance(params.get("effects"), str):
        if params["effects"] not in ("measured", "measured+texture"):
            raise InvalidParameterError(f"stage {stage.name}: unknown effects {params['effects']!r}")
        effects = _measured_effects()
        if params["effects"] == "measured":
            effects["preferred_orientation"] = None
        params["effects"] = effects
    return params


def run_recipe(name: str, out: str | Path, data: str | Path, resume: bool = False, minutes: float | None = None,
               verbose: bool = True) -> Path:
    """Run (or resume) recipe ``name`` into the folder ``out``; returns the finished model's JSON.

    Args:
        out: the run's folder: one checkpoint folder per stage and the finished model.
        data: the data folder (../shared/data in a clone) with the real structures for
            validation, calibration and the stream's real crystals.
        resume: continue the checkpoints in ``out`` (without it an existing run is refused).
        minutes: pause after this long (a checkpoint is written; nothing is lost).

    Raises:
        RecipePaused: the time limit was reached before the last stage ended.
        InvalidParameterError: unknown recipe, a script recipe, missing data, an existing run
            without ``resume``.
    """
    from pymatgen_ml_xrd import __version__

    recipe = get_recipe(name)
    if recipe.kind == "script":
        raise InvalidParameterError(f"recipe {name} is a script: run `{recipe.script}` in a clone of the repository")
    if recipe.model != "space-group":
        raise InvalidParameterError(f"recipe {name}: stage recipes exist for space-group models only")
    out, data = Path(out), Path(data)
    if not (data / "structures").is_dir():
        raise InvalidParameterError(f"{data} has no structures/ folder: pass --data (e.g. ../shared/data)")
    marker = out / "recipe.json"
    if marker.exists() and not resume:
        raise InvalidParameterError(f"{out} holds a run of a recipe already: pass --resume to continue it")
    if marker.exists() and json.loads(marker.read_text()).get("name") != name:
        raise InvalidParameterError(f"{out} holds a run of recipe {json.loads(marker.read_text()).get('name')!r}")
    out.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(recipe.summary(), indent=1))
    if recipe.kind == "ensemble":
        return _run_ensemble(recipe, out, data, verbose)
    deadline = None if minutes is None else time.time() + 60 * minutes
    est = None
    for stage in recipe.stages:
        est = _run_space_group_stage(recipe, stage, out, data, deadline, verbose)
        if est.metadata_["training"]["patterns_seen"] < stage.n_patterns:
            raise RecipePaused(f"paused in stage {stage.name} at {est.metadata_['training']['patterns_seen']:,} of "
                               f"{stage.n_patterns:,} patterns; continue with: pmlxrd train --recipe {name} "
                               f"--out {out} --resume")  # fmt: skip
    calib = _validation_patterns(recipe.calibration, est, data, seed=1)
    est.calibrate(*calib)
    training = est.metadata_["training"]
    runs = len(training.get("commands") or [1])
    training["command"] = f"pmlxrd train --recipe {name}"  # where the run's folders were is no part of the model
    training["commands"] = [training["command"]] * runs
    for stage in recipe.stages:  # an earlier stage's checkpoint path -> its name
        if stage.init_from and stage.init_from.startswith("stage:"):
            training["source"] = training["source"].replace(str(_stage_checkpoint(out, stage.init_from)),
                                                            stage.init_from)
    est.metadata_["recipe"] = {"name": name, "package_version": __version__, "stages": [s.name for s in recipe.stages]}
    path = est.save(out / name.replace("-", "_"), include_optimizer=False, overwrite=True)  # this run's own result
    if verbose:
        print(f"recipe {name}: finished; wrote {path}")
    return path


def _run_ensemble(recipe: Recipe, out: Path, data: Path, verbose: bool) -> Path:
    """Combine the models of ``recipe.members`` and calibrate the result; returns its JSON path.

    A member's model is the finished run of its recipe in ``out/MEMBER`` (``pmlxrd train --recipe
    MEMBER --out out/MEMBER``) where there is one, else the shipped weights that recipe publishes
    (what the member's recipe rebuilds)."""
    from pymatgen_ml_xrd import __version__
    from pymatgen_ml_xrd.estimators.base import pretrained_folder
    from pymatgen_ml_xrd.estimators.space_group_ensemble import ensemble_classifier

    paths, origins = [], []
    for member in recipe.members:
        run = out / member / member.replace("-", "_")
        if run.with_suffix(".json").is_file():
            paths.append(run)
            origins.append(f"the run of {member} in {member}/")
        elif RECIPES[member].publishes is not None:
            paths.append(pretrained_folder() / RECIPES[member].publishes)
            origins.append(f"the shipped weights of {member}")
        else:
            raise InvalidParameterError(f"ensemble member {member} has no shipped weights: run pmlxrd train --recipe "
                                        f"{member} --out {out / member} first")  # fmt: skip
        if verbose:
            print(f"recipe {recipe.name}: member {member}: {origins[-1]}")
    est = ensemble_classifier(paths)
    for record, member, origin in zip(est.metadata_["ensemble"]["members"], recipe.members, origins):
        record["name"], record["origin"] = member, origin  # a recipe name, never a machine path
    est.metadata_["training"]["source"] = (f"ensemble of {', '.join(recipe.members)}: the mean of their calibrated "
                                           "probabilities")  # fmt: skip
    est.calibrate(*_validation_patterns(recipe.calibration, est, data, seed=1))
    training = est.metadata_["training"]
    training["command"] = f"pmlxrd train --recipe {recipe.name}"
    training["commands"] = [training["command"]]
    est.metadata_["recipe"] = {"name": recipe.name, "package_version": __version__, "members": list(recipe.members)}
    path = est.save(out / recipe.name.replace("-", "_"), include_optimizer=False, overwrite=True)
    if verbose:
        print(f"recipe {recipe.name}: finished; wrote {path}")
    return path


def _validation_patterns(which: tuple[str, int], est, data: Path, seed: int):
    """(patterns, groups): held-out structures; for a model that removes a background, every
    other one as a seeded measured-like scan (the experimental effects of the stream)."""
    from pymatgen_ml_xrd.diffraction.experimental_effects import ExperimentalEffects
    from pymatgen_ml_xrd.patterns.rendering import measured_like
    from pymatgen_ml_xrd.training_data import held_out_structures

    structures, groups = held_out_structures(data, which[0], which[1], seed=seed)
    spec = est._spec()
    if not spec.measured:
        return structures, groups
    effects = ExperimentalEffects(**{k: tuple(v) if isinstance(v, list) else v
                                     for k, v in (spec.effects or _measured_effects()).items()})  # fmt: skip
    measured = measured_like(structures[1::2], effects, seed=seed)
    patterns = [measured[i // 2] if i % 2 else s for i, s in enumerate(structures)]
    return patterns, groups


def _stage_checkpoint(out: Path, reference: str) -> Path:
    """The checkpoint of the stage ``"stage:NAME"`` of a run in ``out``."""
    return out / reference.split(":", 1)[1] / "checkpoint"


def _run_space_group_stage(recipe: Recipe, stage: Stage, out: Path, data: Path, deadline, verbose: bool):
    from pymatgen_ml_xrd.estimators import SpaceGroupClassifier
    from pymatgen_ml_xrd.training_data import statistics_half_with_groups

    folder = out / stage.name
    checkpoint = folder / "checkpoint"
    if checkpoint.with_suffix(".json").is_file():
        done = SpaceGroupClassifier.load(checkpoint)
        if done.metadata_["training"]["patterns_seen"] >= stage.n_patterns:
            return done
    est = SpaceGroupClassifier(pretrained=None, verbose=verbose, **_estimator_params(stage))
    init = stage.init_from
    if init is not None and init.startswith("stage:"):
        init = str(_stage_checkpoint(out, init))
    real = statistics_half_with_groups(data) if stage.real_data else None
    val = _validation_patterns(recipe.validation, est, data, seed=0)
    remaining = None if deadline is None else max(deadline - time.time(), 0.0)  # 0: stop after one batch
    est.fit(n_patterns=stage.n_patterns, validation_data=val, checkpoint_dir=str(folder),
            checkpoint_every=stage.checkpoint_every, time_limit=remaining, real_data=real, init_from=init,
            compact_checkpoint=stage.compact_checkpoint)
    return est


def recipe_table() -> list[dict]:
    """One summary per recipe (``pmlxrd recipes``)."""
    return [r.summary() for r in RECIPES.values()]
