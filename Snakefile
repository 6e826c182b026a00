# Cu-MOR XANES + machine learning: where do Cu centres sit in mordenite?
# Stages: structure -> relax -> xanes (+ oxide references) -> dataset -> augment ->
# train / CV / leakage-free protocols / ensemble / UMAP -> results table. See README.md.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/structures.smk"
include: "workflow/rules/relax.smk"
include: "workflow/rules/xanes.smk"
include: "workflow/rules/references.smk"
include: "workflow/rules/dataset.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/ml.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/fidelity.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
