"""The ``pmlxrd`` command.

    pmlxrd simulate CIF [CIF ...] [--wavelength CuKa] [--range 5 90] [--step 0.01]
                   [--profile gaussian|pseudo-voigt] [--size 50] [--kalpha2] [--top 10]
                   [--png FILE] [--json]

    pmlxrd classify PATTERN [PATTERN ...] [--top 5] [--wavelength CuKa]
                   [--model auto|default|gaussian|experimental|PATH]
                   [--verify | --no-verify] [--composition FORMULA ...]
                   [--png FILE] [--json]

    pmlxrd identify PATTERN [PATTERN ...] [--top 3] [--model default|PATH] [--no-plugins]
                   [--threshold 0.8] [--verify | --no-verify] [--composition FORMULA ...] [--png FILE] [--json]

    pmlxrd phases PATTERN [PATTERN ...] [--references default|DIR] [--max-phases 3] [--wavelength W]
                   [--composition FORMULA] [--texture auto|none|H K L] [--members 16]
                   [--axial-strain FRACTION] [--fixed-atoms] [--png FILE] [--json]

    pmlxrd predict-xrd FORMULA [FORMULA ...] [--peaks 8] [--model PATH] [--png FILE] [--json]
                   [--xy DIR]

    pmlxrd recipes [--json]
    pmlxrd train --recipe NAME --out DIR [--resume] [--minutes M] [--data ../shared/data] [--publish]
    pmlxrd train space-group --out PATH [--n-patterns N] [--minutes M] [--checkpoint-dir DIR]
                   [--architecture compact] [--workers 1] [--backend local|ray] [--ray-address A]
    pmlxrd train composition-to-xrd FILE [FILE ...] --out PATH [--epochs 60]
    pmlxrd train structure-types FOLDER --out DIR [--plugin-name NAME] [--epochs 15]
                   [--patterns-per-type 300]   (FOLDER/TYPE_NAME/*.cif, one sub-folder per type)

PATTERN: a measured file (.xy, .xye, .csv, .txt, .xrdml, powder .cif) or a structure file
(simulated first). FORMULA: a chemical formula (SrTiO3, Li0.5CoO2, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from pymatgen_ml_xrd.errors import PymatgenMLXRDError


def _simulate(args: argparse.Namespace) -> int:
    from pymatgen.core import Structure

    from pymatgen_ml_xrd.diffraction import XRDCalculator

    wavelength = args.wavelength
    try:
        wavelength = float(wavelength)
    except ValueError:
        pass
    calc = XRDCalculator(wavelength)
    results, dense, peaks, labels = [], [], [], []
    for path in args.cif:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                structure = Structure.from_file(path)
            except Exception as err:  # pymatgen raises many types for unreadable files
                raise SystemExit(f"pmlxrd: cannot read a structure from {path}: {err}") from None
        pattern = calc.get_pattern(structure, two_theta_range=tuple(args.range))
        order = sorted(range(len(pattern.x)), key=lambda i: -pattern.y[i])[: args.top]
        top = [
            {"two_theta": float(pattern.x[i]), "intensity": float(pattern.y[i]), "d": pattern.d_hkls[i],
             "hkl": [list(f["hkl"]) for f in pattern.hkls[i]]}
            for i in sorted(order)
        ]
        results.append({"file": str(path), "formula": structure.composition.reduced_formula,
                        "wavelength": float(calc.wavelength), "peaks": len(pattern.x), "strongest": top})
        if args.png:
            dense.append(calc.get_diffractogram(
                structure, two_theta_range=tuple(args.range), step=args.step, profile=args.profile,
                crystallite_size=args.size, kalpha2=args.kalpha2,
            ))  # fmt: skip
            peaks.append(pattern)
            labels.append(f"{structure.composition.reduced_formula}  ({Path(path).name})")
    if args.png:
        from pymatgen_ml_xrd.plotting import plot_diffractograms

        plot_diffractograms(dense, labels, args.png, peaks=peaks)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['file']}: {r['formula']}, {r['peaks']} peaks; strongest {len(r['strongest'])}:")
            print(f"  {'2θ (°)':>9} {'I':>7} {'d (Å)':>8}  hkl")
            for p in r["strongest"]:
                hkls = " ".join("(" + " ".join(map(str, h)) + ")" for h in p["hkl"])
                print(f"  {p['two_theta']:9.3f} {p['intensity']:7.2f} {p['d']:8.4f}  {hkls}")
        if args.png:
            print(f"wrote {args.png}")
    return 0


def _load_input(path: Path, wavelength):
    """A measured pattern (Diffractogram) or, failing that, a structure file."""
    from pymatgen_ml_xrd.io import PatternFileError, read_pattern

    try:
        return read_pattern(path, wavelength)
    except PatternFileError as err:
        if path.suffix.lower() not in (".cif", ".vasp", ".json") and "POSCAR" not in path.name:
            raise
        from pymatgen.core import Structure

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return Structure.from_file(path)
            except Exception:  # noqa: BLE001 - report the pattern reader's message
                raise err from None


def _classify(args: argparse.Namespace) -> int:
    import numpy as np
    from pymatgen.core import IStructure

    from pymatgen_ml_xrd.estimators import SpaceGroupClassifier
    from pymatgen_ml_xrd.estimators.verification import fitted_first, kept_phases

    items = [_load_input(p, args.wavelength) for p in args.pattern]
    model = args.model
    if model == "auto":  # structures are simulated with Gaussian peaks: the model of those is best on them
        model = "gaussian" if all(isinstance(i, IStructure) for i in items) else "default"
    verify = _verify(args, items)
    compositions = _compositions(args.composition, len(items))
    clf = SpaceGroupClassifier(pretrained=model, verify=verify)
    proba = clf.predict_proba(items)
    order = clf.classes_[np.argsort(-proba, axis=1)]
    fitted = [None] * len(items)
    if verify:
        fits = clf.verified_fits(items, compositions)
        fitted = kept_phases(fits, compositions, clf.max_rwp)
        order = fitted_first(order, [None if p is None else p.space_group for p in fitted])
    column = {int(g): i for i, g in enumerate(clf.classes_)}
    results = []
    for n, (path, p) in enumerate(zip(args.pattern, proba)):
        top = [{"space_group": int(g), "probability": float(p[column[int(g)]]) if int(g) in column else None}
               for g in order[n, : args.top]]  # fmt: skip
        result = {"file": str(path), "model": str(model), "top": top}
        if verify:
            phase = fitted[n]
            result["verified"] = None if phase is None else {
                "space_group": phase.space_group, "reference": phase.name, "structure_type": phase.structure_type,
                "rwp": float(fits[n].rwp)}  # fmt: skip
        results.append(result)
    if args.png:
        from pymatgen_ml_xrd.plotting import plot_classification

        plot_classification(items, [r["file"] for r in results], results, args.png, clf)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        from pymatgen.symmetry.groups import SpaceGroup

        for r in results:
            print(f"{r['file']}:")
            fit = r.get("verified")
            for rank, t in enumerate(r["top"], start=1):
                symbol = SpaceGroup.from_int_number(t["space_group"]).symbol
                p = "" if t["probability"] is None else f"{t['probability']:6.1%}"
                mark = f"  fitted: {fit['reference']}, R_wp {fit['rwp']:.3f}" if fit and rank == 1 else ""
                print(f"  {rank}. {t['space_group']:>3} {symbol:<10} {p:>6}{mark}")
        if verify:
            from pymatgen_ml_xrd.estimators.verification import MAX_RWP

            print(f"(verified: the group of a catalogue structure fitted to the scan comes first when its R_wp is "
                  f"at most {MAX_RWP['composition']:g} with a composition, {MAX_RWP['blind']:g} without; "
                  f"probabilities are the network's)")  # fmt: skip
        if args.png:
            print(f"wrote {args.png}")
    return 0


def _predict_xrd(args: argparse.Namespace) -> int:
    import numpy as np

    from pymatgen_ml_xrd.estimators import CompositionToXRD
    from pymatgen_ml_xrd.patterns.metrics import find_pattern_peaks

    model = CompositionToXRD(pretrained=args.model)
    patterns = model.predict_diffractograms(args.formula)
    results = []
    for formula, dg in zip(args.formula, patterns):
        peaks = find_pattern_peaks(dg.x, dg.y)
        heights = np.interp(peaks, dg.x, dg.y)
        order = np.argsort(-heights, kind="stable")[: args.peaks]
        results.append({"formula": formula, "peaks": [{"two_theta": float(peaks[i]), "intensity": float(heights[i])}
                                                      for i in sorted(order)]})  # fmt: skip
        if args.xy:
            args.xy.mkdir(parents=True, exist_ok=True)
            np.savetxt(args.xy / f"{formula}.xy", np.column_stack([dg.x, dg.y]), fmt="%.4f",
                       header=f"CompositionToXRD prediction for {formula}; 2theta (deg, Cu K-alpha 1.54184 A), I/Imax")
    if args.png:
        from pymatgen_ml_xrd.plotting import plot_diffractograms

        plot_diffractograms(patterns, [f"{f}  (predicted from the formula)" for f in args.formula], args.png,
                            title="CompositionToXRD: patterns predicted from composition alone")  # fmt: skip
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['formula']}: predicted peaks (>= 10% of the maximum, merged within 2°):")
            print(f"  {'2θ (°)':>8} {'I/Imax':>7}")
            for p in r["peaks"]:
                print(f"  {p['two_theta']:8.2f} {p['intensity']:7.2f}")
        if args.png:
            print(f"wrote {args.png}")
    return 0


def _read_structures(paths: list[Path]):
    """Structures from structure files, or from CSV files with a ``cif`` column (one per row)."""
    import pandas as pd
    from pymatgen.core import Structure

    structures = []
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if path.suffix.lower() == ".csv" or path.name.lower().endswith(".csv.gz"):
                    frame = pd.read_csv(path)
                    if "cif" not in frame:
                        raise SystemExit(f"pmlxrd: {path} has no 'cif' column")
                    structures += [Structure.from_str(c, fmt="cif") for c in frame["cif"]]
                else:
                    structures.append(Structure.from_file(path))
            except SystemExit:
                raise
            except Exception as err:  # noqa: BLE001 - pymatgen raises many types for unreadable files
                raise SystemExit(f"pmlxrd: cannot read structures from {path}: {err}") from None
    return structures


def _compositions(given: list[str] | None, n: int) -> list[str] | None:
    """One formula per pattern from --composition (one for all patterns, or one each), or None."""
    if not given:
        return None
    if len(given) not in (1, n):
        raise SystemExit(f"pmlxrd: give one --composition for all patterns or one per pattern ({n}), not {len(given)}")
    return list(given) * (n if len(given) == 1 else 1)


def _verify(args: argparse.Namespace, items: list) -> bool:
    """Whether classify / identify check their answers by a fit: asked (--verify, --composition),
    refused (--no-verify), else whenever an input is a measured pattern (not a structure file):
    the networks alone are right on few measured scans (docs/benchmarks.md)."""
    from pymatgen.core import IStructure

    if args.no_verify and (args.verify or args.composition):
        raise SystemExit("pmlxrd: --no-verify contradicts --verify and --composition (which fits the formula)")
    if args.verify or args.composition:
        return True
    if args.no_verify:
        return False
    measured = [i for i in items if not isinstance(i, IStructure)]
    if measured:
        print(f"pmlxrd: checking the answers by fitting the structure-type catalogue to {len(measured)} measured "
              "pattern(s), tens of seconds each (--no-verify: the networks alone)", file=sys.stderr, flush=True)
    return bool(measured)


def _identify(args: argparse.Namespace) -> int:
    from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier

    items = [_load_input(p, args.wavelength) for p in args.pattern]
    verify = _verify(args, items)
    ident = StructureTypeIdentifier(pretrained=args.model, plugins=not args.no_plugins, threshold=args.threshold,
                                    verify=verify)  # fmt: skip
    compositions = _compositions(args.composition, len(items))
    answers = ident.predict(items, compositions=compositions) if verify else ident.predict(items)
    top, rel = ident.predict_top_k(items, k=args.top)
    results = [{"file": str(path), "type": str(a), "verified": verify,
                "top": [{"type": str(t), "reliability": float(r)} for t, r in zip(tt, rr)]}
               for path, a, tt, rr in zip(args.pattern, answers, top, rel)]  # fmt: skip
    if args.png:
        from pymatgen_ml_xrd.plotting import plot_identification

        plot_identification(items, [r["file"] for r in results], results, args.png, ident)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['file']}: {r['type']}")
            for rank, t in enumerate(r["top"], start=1):
                print(f"  {rank}. {t['type']:<32} R = {t['reliability']:.3f}")
        print(f"(reliability R = {ident.alpha:g} S + {1 - ident.alpha:g} C; 'unknown' below R0 = {ident.threshold:g}; "
              f"{len(ident.classes_)} types in {len(ident.rcnets_)} RCNets)")
        if verify:
            from pymatgen_ml_xrd.estimators.verification import MAX_RWP

            limit = f"{ident.max_rwp:g}" if ident.max_rwp is not None else \
                f"{MAX_RWP['composition']:g} with a composition, {MAX_RWP['blind']:g} without"
            print(f"(answers verified by a whole-pattern fit of the candidates; 'unknown' above R_wp {limit}; "
                  f"the list above is the RCNets' own ranking)")  # fmt: skip
        if args.png:
            print(f"wrote {args.png}")
    return 0


def _train_structure_types(args: argparse.Namespace) -> int:
    from pymatgen_ml_xrd.estimators.structure_type import StructureTypeIdentifier
    from pymatgen_ml_xrd.identification.plugin_package import types_from_folder, write_plugin_package
    from pymatgen_ml_xrd.models.provenance import command_line

    if len(args.structures) != 1:
        raise SystemExit("pmlxrd: train structure-types needs one FOLDER with a sub-folder of CIF files per type")
    try:
        structures, names = types_from_folder(args.structures[0])
    except (OSError, ValueError) as err:
        raise SystemExit(f"pmlxrd: {err}") from None
    if args.plugin_name:
        taken = sorted(set(names) & set(StructureTypeIdentifier().classes_))
        if taken:
            raise SystemExit(f"pmlxrd: types {taken} are already in the default set; a plugin adds new types")
    ident = StructureTypeIdentifier(pretrained=None, epochs=args.epochs or 15, patterns_per_type=args.patterns_per_type)
    ident.fit(structures, names)
    command = command_line(program="pmlxrd")  # "python -m pymatgen_ml_xrd.cli" is recorded as pmlxrd too
    for m in ident.rcnets_:  # fit's training_record named the running script; this command is pmlxrd's
        m.metadata["training"].update(command=command, commands=[command])
    if args.plugin_name:
        path = write_plugin_package(ident, args.plugin_name, args.out)
        print(f"trained {len(ident.rcnets_)} RCNet(s) for {len(set(names))} types; wrote the plugin package {path} "
              f"(install it with: pip install {path if path.is_absolute() else './' + str(path)})")
    else:
        path = ident.save(args.out)
        print(f"trained {len(ident.rcnets_)} RCNet(s) for {len(set(names))} types; wrote {path}")
    return 0


def _recipes(args: argparse.Namespace) -> int:
    from pymatgen_ml_xrd.recipes import recipe_table

    table = recipe_table()
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    for r in table:
        if r["kind"] == "script":
            how = r["script"]
        elif r["kind"] == "ensemble":
            how = f"ensemble of {', '.join(r['members'])} ({r['n_patterns']:,} patterns in their recipes)"
        else:
            how = f"{len(r['stages'])} stage(s), {r['n_patterns']:,} patterns"
        target = f"-> pretrained/{r['publishes']}" if r["publishes"] else "(not shipped)"
        print(f"{r['name']:<30} {r['model']:<19} {target}\n    {how}\n    {r['description']}")
    return 0


def _train_recipe(args: argparse.Namespace) -> int:
    import shutil

    from pymatgen_ml_xrd.estimators.base import pretrained_folder
    from pymatgen_ml_xrd.recipes import RecipePaused, get_recipe, run_recipe

    if args.model is not None or args.structures:
        raise SystemExit("pmlxrd: train --recipe NAME takes no model name or files (the recipe fixes them)")
    recipe = get_recipe(args.recipe)
    if args.publish and recipe.publishes is None:
        raise SystemExit(f"pmlxrd: recipe {recipe.name} has no shipped model to publish over; run it without --publish")
    try:
        path = run_recipe(args.recipe, args.out, args.data, resume=args.resume, minutes=args.minutes)
    except RecipePaused as pause:
        print(f"pmlxrd: {pause}")
        return 3
    if args.publish:
        target = pretrained_folder() / recipe.publishes
        for suffix in (".keras", ".json"):
            shutil.copyfile(path.with_suffix(suffix), target.with_suffix(suffix))
        print(f"published {target}.keras/.json")
    return 0


def _train(args: argparse.Namespace) -> int:
    if args.recipe is not None:
        return _train_recipe(args)
    for name in ("resume", "publish"):
        if getattr(args, name):
            raise SystemExit(f"pmlxrd: --{name} belongs to train --recipe NAME")
    if args.model is None:
        raise SystemExit("pmlxrd: train needs a model (space-group, composition-to-xrd, structure-types) or --recipe")
    if args.model == "structure-types":
        return _train_structure_types(args)
    if args.model == "space-group":
        from pymatgen_ml_xrd.estimators import SpaceGroupClassifier

        est = SpaceGroupClassifier(pretrained=None, architecture=args.architecture, n_workers=args.workers,
                                   backend=args.backend, ray_address=args.ray_address)  # fmt: skip
        est.fit(n_patterns=args.n_patterns, checkpoint_dir=str(args.checkpoint_dir) if args.checkpoint_dir else None,
                time_limit=None if args.minutes is None else 60 * args.minutes)  # fmt: skip
        seen = est.metadata_["training"]["patterns_seen"]
    else:
        from pymatgen_ml_xrd.estimators import CompositionToXRD

        if not args.structures:
            raise SystemExit("pmlxrd: train composition-to-xrd needs structure files (CIF, ... or CSV with a cif column)")
        est = CompositionToXRD(pretrained=None, epochs=args.epochs or 60, verbose=True)
        est.fit_structures(_read_structures(args.structures))
        seen = est.metadata_["training"]["n_train"]
    path = est.save(args.out)
    print(f"trained on {seen} {'patterns' if args.model == 'space-group' else 'formulas'}; wrote {path}")
    return 0


def _texture_argument(values: list[str]):
    """--texture: "auto", None ("none") or a plane normal of three numbers."""
    if len(values) == 1 and values[0].lower() in ("auto", "none"):
        return None if values[0].lower() == "none" else "auto"
    try:
        if len(values) != 3:
            raise ValueError
        return tuple(float(v) for v in values)
    except ValueError:
        raise SystemExit(f"pmlxrd: --texture takes auto, none or three numbers H K L, got {' '.join(values)}") from None


def _phases(args: argparse.Namespace) -> int:
    from pymatgen_ml_xrd.diffraction import Diffractogram
    from pymatgen_ml_xrd.phases import PhaseIdentifier

    items = [_load_input(p, args.wavelength) for p in args.pattern]
    for path, item in zip(args.pattern, items):
        if not isinstance(item, Diffractogram):
            raise SystemExit(f"pmlxrd: {path} is a structure, not a measured pattern")
    identifier = PhaseIdentifier(references=args.references, max_phases=args.max_phases,
                                 texture=_texture_argument(args.texture),
                                 members=args.members, axial_strain=args.axial_strain,
                                 coordinates=not args.fixed_atoms)  # fmt: skip
    results = []
    for k, (path, item) in enumerate(zip(args.pattern, items)):
        found = identifier.identify(item, composition=args.composition)
        results.append({"file": str(path), **found.as_dict()})
        if args.png:
            png = Path(args.png)
            target = png if len(items) == 1 else png.with_name(f"{png.stem}_{k}{png.suffix or '.png'}")
            found.plot(target, title=str(path))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for r in results:
            print(f"{r['file']}: Rwp {r['rwp']:.3f}, {len(r['phases'])} phase(s), lambda {r['wavelength']:.5f} A "
                  f"({'K-alpha doublet' if len(r['lines']) > 1 else 'one line'})")
            for p in r["phases"]:
                lattice = " ".join(f"{v:.4f}" for v in p["lattice"][:3])
                print(f"  {p['name']:<40} {p['weight_fraction']:6.1%}  a b c = {lattice} A")
            if not r["phases"]:
                print("  no reference phase explains the scan")
        if identifier.skipped_:
            print(f"({len(identifier.skipped_)} reference(s) skipped: {', '.join(identifier.skipped_)})")
    return 0


def _positive_int(text: str, minimum: int = 1) -> int:
    """A count on the command line: an integer >= ``minimum`` (1)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a whole number >= {minimum}, got {value}")
    return value


def _count(text: str) -> int:
    """A count that may be 0."""
    return _positive_int(text, minimum=0)


def _strain(text: str) -> float:
    """A lattice strain on the command line: a fraction in [0, MAX_AXIAL_STRAIN] (PhaseIdentifier's)."""
    from pymatgen_ml_xrd.phases.identifier import MAX_AXIAL_STRAIN

    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0.0 <= value <= MAX_AXIAL_STRAIN:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, {MAX_AXIAL_STRAIN:g}], got {text!r}")
    return value


_HELP = argparse.ArgumentDefaultsHelpFormatter  # every subcommand's help shows its defaults


def _radiation(text: str) -> str | float:
    """A --wavelength value: a number is a wavelength in angstrom ("0.406626"), anything else a
    radiation name, checked where it is used."""
    try:
        return float(text)
    except ValueError:
        return text


def build_parser() -> argparse.ArgumentParser:
    from pymatgen_ml_xrd import __version__

    parser = argparse.ArgumentParser(prog="pmlxrd", description="Powder XRD simulation and analysis.")
    parser.add_argument("--version", action="version", version=f"pmlxrd (pymatgen-ml-xrd) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", formatter_class=_HELP,
                         help="peaks (pymatgen-identical) and dense patterns of CIF files")
    sim.add_argument("cif", nargs="+", type=Path, help="structure files (CIF, POSCAR, ... anything pymatgen reads)")
    sim.add_argument("--wavelength", default="CuKa", type=_radiation, help="radiation name (CuKa, MoKa1, ...) or angstrom")
    sim.add_argument("--range", nargs=2, type=float, default=(5.0, 90.0), metavar=("MIN", "MAX"),
                     help="2-theta range [deg]")
    sim.add_argument("--step", type=float, default=0.01, help="grid step of the dense pattern [deg]")
    sim.add_argument("--profile", choices=["gaussian", "pseudo-voigt"], default="gaussian")
    sim.add_argument("--size", type=float, default=50.0, help="crystallite size [nm] (Scherrer broadening)")
    sim.add_argument("--kalpha2", action="store_true", help="add the K-alpha2 line")
    sim.add_argument("--top", type=_positive_int, default=10, help="strongest peaks to list")
    sim.add_argument("--png", type=Path, help="write a plot of the dense patterns")
    sim.add_argument("--json", action="store_true", help="machine-readable output")
    sim.set_defaults(func=_simulate)
    cls = sub.add_parser("classify", formatter_class=_HELP,
                         help="space groups of measured patterns (or structure files)")
    cls.add_argument("pattern", nargs="+", type=Path, help=".xy/.xye/.csv/.txt/.xrdml/pdCIF or a structure file")
    cls.add_argument("--top", type=_positive_int, default=5, help="candidates to list")
    cls.add_argument("--wavelength", default=None, type=_radiation,
                     help="radiation of files that do not state it (default: the file's, else CuKa)")
    cls.add_argument("--model", default="auto",
                     help="'default' (any input, all 230 groups), 'gaussian' (structures and patterns simulated "
                          "with this package's Gaussian peaks), 'experimental' (measured scans, 94 groups), "
                          "'pseudo-voigt' (clean simulated patterns of other peak shapes), 'v2', a path written by "
                          "SpaceGroupClassifier.save, or 'auto': gaussian when every input is a structure file, "
                          "else default")
    cls.add_argument("--verify", action="store_true",
                     help="fit the structure-type catalogue's best candidates to the scan (tens of seconds each): the "
                          "space group of a fit within R_wp 0.31 (0.39 with --composition) comes first; the default "
                          "for measured patterns")
    cls.add_argument("--no-verify", action="store_true", help="the network's answer alone, also for measured patterns")
    cls.add_argument("--composition", nargs="+", default=None, metavar="FORMULA",
                     help="formula of the main phase (one for all patterns, or one per pattern): its elements go "
                          "on every prototype of its stoichiometry; implies --verify")
    cls.add_argument("--png", type=Path, help="plot each pattern with its top candidates")
    cls.add_argument("--json", action="store_true", help="machine-readable output")
    cls.set_defaults(func=_classify)
    idn = sub.add_parser("identify", formatter_class=_HELP,
                         help="structure types of measured patterns (or structure files)")
    idn.add_argument("pattern", nargs="+", type=Path, help=".xy/.xye/.csv/.txt/.xrdml/pdCIF or a structure file")
    idn.add_argument("--top", type=_positive_int, default=3, help="candidates to list")
    idn.add_argument("--wavelength", default=None, type=_radiation,
                     help="radiation of files that do not state it (default: the file's, else CuKa)")
    idn.add_argument("--model", default="default", help="'default' or a folder written by StructureTypeIdentifier.save")
    idn.add_argument("--no-plugins", action="store_true", help="ignore installed structure-type plugins")
    idn.add_argument("--threshold", type=float, default=0.8, help="reliability below which the answer is 'unknown'")
    idn.add_argument("--verify", action="store_true",
                     help="check the answer by fitting the candidates' simulated patterns to the scan (tens of "
                          "seconds each); the default for measured patterns")
    idn.add_argument("--no-verify", action="store_true", help="the RCNets' answer alone, also for measured patterns")
    idn.add_argument("--composition", nargs="+", default=None, metavar="FORMULA",
                     help="formula of the main phase (one for all patterns, or one per pattern): its elements go "
                          "on every prototype of its stoichiometry; implies --verify")
    idn.add_argument("--png", type=Path, help="plot each pattern with its Grad-CAM heatmap and top candidates")
    idn.add_argument("--json", action="store_true", help="machine-readable output")
    idn.set_defaults(func=_identify)
    phs = sub.add_parser("phases", formatter_class=_HELP,
                         help="phases of measured patterns: search-match and whole-pattern refinement")
    phs.add_argument("pattern", nargs="+", type=Path, help=".xy/.xye/.csv/.txt/.xrdml/pdCIF measured scans")
    phs.add_argument("--references", default="default",
                     help="a folder of CIF files, or 'default' (the structure-type catalogue with plugins)")
    phs.add_argument("--max-phases", type=_positive_int, default=3, help="the most phases to report")
    phs.add_argument("--wavelength", default=None, type=_radiation,
                     help="radiation of files that do not state it (default: the file's, else CuKa)")
    phs.add_argument("--composition", default=None, metavar="FORMULA",
                     help="formula of the main phase, if known: its elements go on every structure type's prototype "
                          "of its stoichiometry, so phases absent from the references can be found and refined")
    phs.add_argument("--texture", nargs="+", default=["auto"], metavar="auto|none|H K L",
                     help="March-Dollase preferred orientation: 'auto' tries the low-index directions of each "
                          "finalist's crystal system and keeps one the BIC supports, 'none' fits random powders, "
                          "H K L refines one along this plane normal for every phase (plates: their face)")
    phs.add_argument("--members", type=_count, default=16,
                     help="with the default references and no composition: common formulas per structure type "
                          "put on its prototypes and screened too (0: the prototypes alone)")
    phs.add_argument("--axial-strain", type=_strain, default=None, metavar="FRACTION",
                     help="screen the references' free axes stretched by up to this fraction (steps of 0.04; "
                          "default: 0.08 for --references DIR, 0 for the default catalogue)")
    phs.add_argument("--fixed-atoms", action="store_true",
                     help="keep every reference's atoms and site scattering as they are (default: the first "
                          "phase's finalists are also refined with their free coordinates and site powers)")
    phs.add_argument("--png", type=Path, help="plot scan, fit, residual and tick marks (one file per scan)")
    phs.add_argument("--json", action="store_true", help="machine-readable output")
    phs.set_defaults(func=_phases)
    pxr = sub.add_parser("predict-xrd", formatter_class=_HELP,
                         help="predict a powder pattern from a chemical formula (CompositionToXRD)")
    pxr.add_argument("formula", nargs="+", help="chemical formulas, e.g. SrTiO3 LiFePO4")
    pxr.add_argument("--peaks", type=_positive_int, default=8, help="strongest predicted peaks to list")
    pxr.add_argument("--model", default="default", help="model path written by CompositionToXRD.save")
    pxr.add_argument("--png", type=Path, help="plot the predicted patterns")
    pxr.add_argument("--xy", type=Path, metavar="DIR", help="also write each pattern as DIR/FORMULA.xy")
    pxr.add_argument("--json", action="store_true", help="machine-readable output")
    pxr.set_defaults(func=_predict_xrd)
    trn = sub.add_parser("train", formatter_class=_HELP,
                         help="train a model with the package's fit() and save it")
    trn.add_argument("model", nargs="?", choices=["space-group", "composition-to-xrd", "structure-types"],
                     help="what to train with the options below (or give --recipe)")
    trn.add_argument("--recipe", help="a named recipe of a shipped model (pmlxrd recipes lists them); resumable")
    trn.add_argument("--resume", action="store_true", help="--recipe: continue the run in --out")
    trn.add_argument("--publish", action="store_true", help="--recipe: copy the result over the shipped weights")
    trn.add_argument("--data", type=Path, default=Path("../shared/data"),
                     help="--recipe: the data folder with structures/")
    trn.add_argument("structures", nargs="*", type=Path,
                     help="composition-to-xrd: structure files or CSV files with a 'cif' column; structure-types: "
                          "one FOLDER with a sub-folder of CIF files per type (the sub-folder name is the type name)")
    trn.add_argument("--out", type=Path, required=True,
                     help="model path (PATH.keras + PATH.json); structure-types: a folder")
    trn.add_argument("--plugin-name", help="structure-types: write --out as an installable plugin package of this name")
    trn.add_argument("--patterns-per-type", type=_positive_int, default=300, help="structure-types: training patterns per type")
    trn.add_argument("--n-patterns", type=_positive_int, default=200_000, help="space-group: synthetic patterns in total")
    trn.add_argument("--minutes", type=float,
                     help="space-group, --recipe: pause (with a checkpoint) after this long")
    trn.add_argument("--checkpoint-dir", type=Path, help="space-group: checkpoints, resumed when present")
    trn.add_argument("--architecture", default="compact", help="space-group: compact, resnet10/50/101, parkcnn_*")
    trn.add_argument("--workers", type=int, default=1, help="space-group: stream workers (processes or actors)")
    trn.add_argument("--backend", choices=["local", "ray"], default="local")
    trn.add_argument("--ray-address", help="space-group with --backend ray: a cluster address (default: local Ray)")
    trn.add_argument("--epochs", type=_positive_int, default=None,
                     help="composition-to-xrd: most epochs (early stopping; default 60); structure-types: epochs "
                          "(default 15)")
    trn.set_defaults(func=_train)
    rec = sub.add_parser("recipes", formatter_class=_HELP,
                         help="list the named training recipes of the shipped models")
    rec.add_argument("--json", action="store_true", help="machine-readable output")
    rec.set_defaults(func=_recipes)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except PymatgenMLXRDError as err:
        print(f"pmlxrd: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
