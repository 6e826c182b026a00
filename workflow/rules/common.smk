# Config validation and path helpers shared by every stage.
import json
import os

from snakemake.utils import validate

from cumor.config import check_config, structure_table
from cumor.engines import check_engine_ready
from cumor.relax import forcefield_from_config

validate(
    config, workflow.source_path("../schemas/config.schema.yaml"), set_default=True
)
# Semantic checks (unknown model, min > max, bad force field, unknown engine) fail
# here, before any job runs, with the key and value in the message.
check_config(config)
forcefield_from_config(config["relax"]["forcefield"])
check_engine_ready(
    config["xanes"]["engine"], config["xanes"].get(config["xanes"]["engine"], {})
)

RESULTS = config["results"]
ENGINE = config["xanes"]["engine"]
STRUCTURES = structure_table(config)
MODELS = sorted({p.model for p in STRUCTURES})
# (model, point) -> grid point: a dict, since every job looks its point up
GRID = {(p.model, p.point): p for p in STRUCTURES}
POINTS_OF = {m: [p for p in STRUCTURES if p.model == m] for m in MODELS}


wildcard_constraints:
    model=r"[^/]+",
    point=r"p\d{3}",
    engine=r"[a-z0-9_]+",


def model_spec(wildcards):
    return config["models"][wildcards.model]


def grid_point(wildcards):
    point = GRID.get((wildcards.model, wildcards.point))
    if point is None:
        raise ValueError(f"no grid point {wildcards.point} for model {wildcards.model}")
    return point.as_dict()


def representative_structure(wildcards):
    """The middle grid point of a model: the one its picture shows."""
    model = wildcards if isinstance(wildcards, str) else wildcards.model
    points = POINTS_OF[model]
    return f"{RESULTS}/structures/{model}/{points[len(points) // 2].point}.extxyz"


def structure_for_spectrum(wildcards):
    stage = "relaxed" if config["relax"]["enabled"] else "structures"
    return f"{RESULTS}/{stage}/{wildcards.model}/{wildcards.point}.extxyz"


def all_spectra(wildcards=None):
    return [f"{RESULTS}/spectra/{ENGINE}/{p.model}/{p.point}.json" for p in STRUCTURES]


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
    ]


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
