# Config validation and path helpers shared by every stage.
import dataclasses
import json
import math
import os

from snakemake.logging import logger
from snakemake.utils import validate

from cumor.config import (
    batch_table,
    check_config,
    coerce_config,
    load_schema,
    structure_table,
)
from cumor.convergence import (
    choose_structure,
    configured_setting_key,
    convergence_steps,
    panel_b,
)
from cumor.engines import check_engine_ready, get_engine
from cumor.relax import forcefield_from_config
from cumor.resources import job_mem_mb, job_runtime_minutes, uses_fdm

SCHEMA = workflow.source_path("../schemas/config.schema.yaml")
# `--config ml='{epochs: 200}'` reaches us as {"epochs": "200"} (Snakemake reads
# nested --config values as plain strings): give numbers, booleans and nulls the
# types the schema asks for before validating.
coerce_config(config, load_schema(SCHEMA))
validate(config, SCHEMA, set_default=True)
# Semantic checks (unknown model, min > max, bad force field, unknown engine) fail
# here, before any job runs, with the key and value in the message.
check_config(config)
forcefield_from_config(config["relax"]["forcefield"])
check_engine_ready(
    config["xanes"]["engine"], config["xanes"].get(config["xanes"]["engine"], {})
)

RESULTS = config["results"]
ENGINE = config["xanes"]["engine"]
FIGURES = config["figures"]
# The engine comparison runs a second engine: it must be ready too, checked here.
if FIGURES["engine_comparison"]["enabled"]:
    for _engine in FIGURES["engine_comparison"]["engines"]:
        check_engine_ready(_engine, config["xanes"].get(_engine, {}))
STRUCTURES = structure_table(config)
MODELS = sorted({p.model for p in STRUCTURES})
POINTS_OF = {m: [p for p in STRUCTURES if p.model == m] for m in MODELS}
#: Engines whose spectra the run computes: the configured one and the comparison's.
SPECTRUM_ENGINES = list(
    dict.fromkeys(
        [ENGINE]
        + (
            FIGURES["engine_comparison"]["engines"]
            if FIGURES["engine_comparison"]["enabled"]
            else []
        )
    )
)
#: FDMNES finite differences take ~8 h per Cu absorber at 6 A (cumor.resources):
#: one structure per job, and the xanes jobs stay out of the "chain" group, so that
#: a SLURM submission holds one of them, not several (group-components) in a row.
FDM = any(uses_fdm(e, config["xanes"].get(e, {})) for e in SPECTRUM_ENGINES)
XANES_GROUP = None if FDM else "chain"
# One structure / relax / xanes job per batch of grid points (cumor.config.batch_table):
# (model, batch) -> grid points. Outputs are one file per batch.
POINTS_PER_JOB = 1 if FDM else config["batching"]["points_per_job"]
if POINTS_PER_JOB != config["batching"]["points_per_job"]:
    logger.info(
        "FDMNES finite differences: one structure per job "
        f"(batching.points_per_job {config['batching']['points_per_job']} not used)"
    )
BATCHES = batch_table(STRUCTURES, POINTS_PER_JOB)
BATCH_OF = {(p.model, p.point): b for (_, b), pts in BATCHES.items() for p in pts}
# Minutes per batch job (SLURM runtime), from measured seconds per structure (2 loaded
# cores): building 0.1-1.7 s (2-Cu phi points fit twice); relaxing with CHGNet 17-30 CPU s
# (40-63 steps) plus ~10 s to load the model, sized 1.5 x (0.5 min + 0.5 min per point).
# Spectrum jobs: per engine and mode, see xanes_runtime and cumor.resources.
RUNTIME = {
    "structure": max(1, math.ceil(POINTS_PER_JOB * 0.1)),
    "relax": math.ceil(1.5 * (0.5 + 0.5 * POINTS_PER_JOB)),
}
#: Longest runtime (minutes) a SLURM partition commonly allows (7 days); a job
#: estimated beyond is reported before any job runs.
LONGEST_RUNTIME = 7 * 24 * 60
#: Selected models in catalogue (selection) order, unlike the sorted MODELS.
SELECTED = list(dict.fromkeys(p.model for p in STRUCTURES))


wildcard_constraints:
    model=r"[^/]+",
    batch=r"b\d{3}",
    engine=r"[a-z0-9_]+",


def model_spec(wildcards):
    return config["models"][wildcards.model]


def engine_settings(engine):
    """The configured settings of one engine (xanes.<engine>)."""
    return config["xanes"].get(engine, {})


def xanes_runtime(wildcards):
    """Minutes of one xanes job: its structures' Cu absorbers x the engine's seconds
    per absorber (cumor.resources: FEFF10 30 s, FDMNES green 0.75 s and fdm 200 s
    per energy point, at 6 A, with margin)."""
    points = batch_points(wildcards)
    absorbers = len(points) * config["models"][wildcards.model]["n_cu"]
    return job_runtime_minutes(
        wildcards.engine, engine_settings(wildcards.engine), absorbers
    )


def xanes_mem_mb(wildcards):
    """Memory (MB) of one spectrum job for its engine and mode (cumor.resources)."""
    return job_mem_mb(wildcards.engine, engine_settings(wildcards.engine))


def reference_runtime(wildcards):
    """Minutes of one oxide reference spectrum (at least the 15 measured for FEFF10)."""
    settings = engine_settings(wildcards.engine)
    return max(15, job_runtime_minutes(wildcards.engine, settings, 1, reference=True))


def batch_points(wildcards):
    """The grid points of one batch job, as plain dicts for its params."""
    points = BATCHES.get((wildcards.model, wildcards.batch))
    if points is None:
        raise ValueError(f"no batch {wildcards.batch} for model {wildcards.model}")
    return [p.as_dict() for p in points]


def structure_stage():
    """Which structures the spectra are computed from."""
    return "relaxed" if config["relax"]["enabled"] else "structures"


def batch_file(stage, model, batch):
    """Path of one batch's file of a stage ("structures", "relaxed", "spectra/<engine>")."""
    ext = "json" if stage.startswith("spectra") else "extxyz"
    return f"{RESULTS}/{stage}/{model}/{batch}.{ext}"


def representative_point(model):
    """The middle grid point of a model: the one its picture shows."""
    points = POINTS_OF[model]
    return points[len(points) // 2]


def representative_structure(wildcards):
    """The batch file that holds a model's representative point (unrelaxed)."""
    model = wildcards if isinstance(wildcards, str) else wildcards.model
    point = representative_point(model)
    return batch_file("structures", model, BATCH_OF[(model, point.point)])


def structure_for_spectrum(wildcards):
    return batch_file(structure_stage(), wildcards.model, wildcards.batch)


def all_batches(stage):
    return [batch_file(stage, model, batch) for model, batch in BATCHES]


def spectrum_path(engine, model, point):
    """The spectra file of the xanes rule that holds one structure's spectrum (its batch's).

    Read that structure's record with cumor.spectrum_io.read_point_spectrum.
    """
    return batch_file(f"spectra/{engine}", model, BATCH_OF[(model, point)])


def all_spectra(wildcards=None):
    return all_batches(f"spectra/{ENGINE}")


def final_outputs():
    return [
        f"{RESULTS}/dataset/spectra_{ENGINE}.parquet",
        f"{RESULTS}/ml/{ENGINE}/metrics.json",
        f"{RESULTS}/figures/confusion_matrix_{ENGINE}.png",
        f"{RESULTS}/figures/confusion_matrix_{ENGINE}.pdf",
        f"{RESULTS}/figures/models_panel.png",
        *[f"{RESULTS}/figures/models/{m}.png" for m in MODELS],
        f"{RESULTS}/qa/relaxation.csv",
        *ml_outputs(),  # ml.smk: augmented set, results table, ensemble, figures
        *figure_outputs(),  # figures.smk: Figs. 1 and 4, engine comparison
    ]


# --- Paper figures (rules in figures.smk) ------------------------------------------
#: Fig. 1: the grid point whose structure every convergence spectrum uses, and why a
#: configured one was replaced (logged by the figure job).
CONVERGENCE_MODEL, CONVERGENCE_POINT, CONVERGENCE_NOTES = choose_structure(
    FIGURES["convergence"]["model"],
    FIGURES["convergence"]["point"],
    {m: POINTS_OF[m] for m in SELECTED},
)


def convergence_structure(wildcards=None):
    """Structure file of the Fig. 1 study: the relaxed one of the chosen grid point.

    The only place the convergence rules learn where that structure lives: the
    batch file holding the grid point (the job picks the point out of it).
    """
    batch = BATCH_OF[(CONVERGENCE_MODEL, CONVERGENCE_POINT)]
    return batch_file(structure_stage(), CONVERGENCE_MODEL, batch)


def _convergence_plan(engine):
    """(steps, {setting key: engine settings}) of the Fig. 1 study for one engine.

    Panel b follows the engine and, for FDMNES, its mode (cumor.convergence.panel_b).
    A step the engine resolves to the data set's settings (FDMNES adimp 0.5 A when
    the config says null) is named like them and reuses the data set's spectrum.
    """
    base = engine_settings(engine)
    parameter, values = panel_b(FIGURES["convergence"], engine, base)
    steps = convergence_steps(
        base,
        FIGURES["convergence"]["radii"],
        parameter,
        values,
        resolve=lambda settings: get_engine(engine, settings).settings,
    )
    return steps, {s.key: {**base, **s.overrides} for s in steps}


#: Fig. 1 is made for the configured engine only.
CONVERGENCE = {ENGINE: _convergence_plan(ENGINE)}
# Its settings are validated now, not job by job.
for _settings in CONVERGENCE[ENGINE][1].values():
    get_engine(ENGINE, _settings)


def convergence_plan(engine):
    if engine not in CONVERGENCE:
        raise ValueError(
            f"Fig. 1 is made for the configured engine (xanes.engine {ENGINE}), "
            f"not {engine}"
        )
    return CONVERGENCE[engine]


def convergence_settings(wildcards):
    """Engine settings of one convergence spectrum (wildcards engine, setting)."""
    plan = convergence_plan(wildcards.engine)[1]
    if wildcards.setting not in plan:
        raise ValueError(
            f"no convergence setting {wildcards.setting!r} for {wildcards.engine}; "
            f"the config gives {sorted(plan)}"
        )
    return plan[wildcards.setting]


def convergence_keys(engine):
    """Setting keys of the study, each once, in panel order."""
    return list(dict.fromkeys(s.key for s in convergence_plan(engine)[0]))


def convergence_runtime(wildcards):
    """Minutes of one convergence spectrum: the structure's Cu x the setting's cost
    (at least the 20 min sized for FEFF10 before)."""
    settings = convergence_settings(wildcards)
    return max(20, _convergence_minutes(wildcards.engine, settings))


def _convergence_minutes(engine, settings):
    absorbers = config["models"][CONVERGENCE_MODEL]["n_cu"]
    return job_runtime_minutes(engine, settings, absorbers)


def convergence_mem_mb(wildcards):
    return job_mem_mb(wildcards.engine, convergence_settings(wildcards))


def convergence_spectrum(engine, key):
    """Spectrum of one setting; the configured settings' one is the data set's own."""
    if key == configured_setting_key(config["xanes"].get(engine, {})):
        return spectrum_path(engine, CONVERGENCE_MODEL, CONVERGENCE_POINT)
    return f"{RESULTS}/convergence/{engine}/{key}.json"


# A spectrum nobody's time limit allows (the paper's Adimp 0.05 A at 6 A) is said
# now, not after days in the queue.
for _key in convergence_keys(ENGINE):
    if convergence_spectrum(ENGINE, _key).startswith(f"{RESULTS}/convergence/"):
        _minutes = _convergence_minutes(ENGINE, CONVERGENCE[ENGINE][1][_key])
        if _minutes > LONGEST_RUNTIME:
            logger.warning(
                f"Fig. 1 spectrum {_key} ({ENGINE}) is estimated at "
                f"{_minutes / 60 / 24:.0f} days (cumor.resources), beyond the 7-day "
                "limit of most SLURM partitions; drop it from figures.convergence"
            )


def convergence_inputs(wildcards):
    return [
        convergence_spectrum(wildcards.engine, k)
        for k in convergence_keys(wildcards.engine)
    ]


def comparison_structures():
    """(model, point) pairs of the engine comparison: each model's representative point."""
    chosen = FIGURES["engine_comparison"]["models"]
    models = [m for m in SELECTED if chosen == "all" or m in chosen]
    return [(m, representative_point(m).point) for m in models]


def comparison_inputs(wildcards=None):
    """Named inputs, one list per engine (for unpack)."""
    return {
        engine: [spectrum_path(engine, m, p) for m, p in comparison_structures()]
        for engine in FIGURES["engine_comparison"]["engines"]
    }


def figure_outputs():
    outputs = [
        f"{RESULTS}/figures/fig1_convergence_{ENGINE}.{ext}"
        for ext in ("png", "pdf", "csv")
    ]
    outputs += [
        f"{RESULTS}/figures/fig4_example_spectra_{ENGINE}.{ext}"
        for ext in ("png", "pdf")
    ]
    if FIGURES["engine_comparison"]["enabled"]:
        outputs += [
            f"{RESULTS}/figures/engine_comparison.{ext}"
            for ext in ("png", "pdf", "csv")
        ]
    if FIGURES["fidelity"]["enabled"]:
        outputs += [
            f"{RESULTS}/fidelity/{ENGINE}/{name}"
            for name in ("fidelity.csv", "fidelity.md", "calibration.json")
        ]
        outputs += [
            f"{RESULTS}/figures/fidelity_{ENGINE}.{ext}" for ext in ("png", "pdf")
        ]
    return outputs


# --- Machine learning (rules in references.smk, train.smk, ml.smk) -----------------
#: Oxide reference spectra the data set is augmented with.
OXIDES = list(config["ml"]["augment"]["oxides"])
#: The ``ml`` keys every training rule depends on. ML rules get only ML settings as
#: params, so changing them never reruns a spectrum job.
ML_CORE = (
    "test_size",
    "epochs",
    "lr",
    "hidden",
    "dropout",
    "batch_size",
    "standardize",
    "seed",
    "log_every",
)
#: Measured spectra to classify: file stem -> path.
MEASURED = {}
for _path in config["measured"]["spectra"]:
    _name = os.path.splitext(os.path.basename(_path))[0]
    if _name in MEASURED:
        raise ValueError(
            f"measured.spectra: two files named {_name!r} ({MEASURED[_name]}, {_path})"
        )
    MEASURED[_name] = _path


def ml_params(*extra):
    """ML settings of one job (the core keys plus ``extra`` keys), for its params."""
    return {k: config["ml"][k] for k in (*ML_CORE, *extra)}


def reference_spectra(wildcards):
    return [f"{RESULTS}/references/{wildcards.engine}/{ox}.json" for ox in OXIDES]


def measured_outputs():
    return [
        f"{RESULTS}/measured/{ENGINE}/{name}.{ext}"
        for name in MEASURED
        for ext in ("json", "png")
    ]


def ml_outputs():
    return [
        f"{RESULTS}/dataset/augmented_{ENGINE}.parquet",
        f"{RESULTS}/ml/{ENGINE}/summary.csv",
        f"{RESULTS}/ml/{ENGINE}/summary.md",
        f"{RESULTS}/ml/{ENGINE}/ensemble.pt",
        f"{RESULTS}/figures/f1_history_{ENGINE}.png",
        f"{RESULTS}/figures/f1_history_{ENGINE}.pdf",
        f"{RESULTS}/figures/umap_{ENGINE}.png",
        f"{RESULTS}/figures/umap_{ENGINE}.pdf",
        *measured_outputs(),
    ]
