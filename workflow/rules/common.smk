# Config validation and path helpers shared by every stage.
import json

from snakemake.utils import validate

from cumor.config import check_config, structure_table
from cumor.engines import get_engine
from cumor.relax import forcefield_from_config


validate(config, workflow.source_path("../schemas/config.schema.yaml"), set_default=True)
# Semantic checks (unknown model, min > max, bad force field, unknown engine) fail
# here, before any job runs, with the key and value in the message.
check_config(config)
forcefield_from_config(config["relax"]["forcefield"])
get_engine(config["xanes"]["engine"], config["xanes"].get(config["xanes"]["engine"], {}))

RESULTS = config["results"]
ENGINE = config["xanes"]["engine"]
STRUCTURES = structure_table(config)
MODELS = sorted({p.model for p in STRUCTURES})


wildcard_constraints:
    model="|".join(re.escape(m) for m in MODELS),
    point=r"p\d{3}",
    engine=r"[a-z0-9_]+",


def model_spec(wildcards):
    return config["models"][wildcards.model]


def grid_point(wildcards):
    for p in STRUCTURES:
        if p.model == wildcards.model and p.point == wildcards.point:
            return p.as_dict()
    raise ValueError(f"no grid point {wildcards.point} for model {wildcards.model}")


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
    ]
