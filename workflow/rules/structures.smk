rule ring_catalogue:
    """Find the framework's rings once: wall rings, channel and side-pocket windows."""
    output:
        rings=f"{RESULTS}/framework/rings.json",
    log:
        f"{RESULTS}/logs/framework/rings.log",
    conda:
        "../../envs/structures.yaml"
    threads: 1
    resources:
        mem_mb=512,
        runtime=5,
    script:
        "../scripts/ring_catalogue.py"


rule structure:
    """Build one Cu-MOR structure (model, grid point) from its ring and grid values."""
    input:
        rings=f"{RESULTS}/framework/rings.json",
    output:
        structure=f"{RESULTS}/structures/{{model}}/{{point}}.extxyz",
    log:
        f"{RESULTS}/logs/structure/{{model}}/{{point}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/structure/{{model}}/{{point}}.tsv"
    # One structure's structure -> relax -> xanes chain is one "chain" group; on a
    # cluster, profiles/slurm batches many chains into one submission
    # (group-components). Locally groups are ignored.
    group:
        "chain"
    conda:
        "../../envs/structures.yaml"
    threads: 1
    # Measured: ~2 s (Python start-up and imports; rings come from the catalogue),
    # ~160 MB RSS. runtime is in minutes
    # (1 = the smallest); a SLURM group job asks for the sum over its chains.
    resources:
        mem_mb=512,
        runtime=1,
    params:
        spec=model_spec,
        point=grid_point,
    script:
        "../scripts/build_structure.py"


rule model_figure:
    """Fig. 2/3: one model's Cu centre in its ring (middle grid point, before relaxation)."""
    input:
        structure=representative_structure,
    output:
        png=report(
            f"{RESULTS}/figures/models/{{model}}.png",
            category="Models",
            subcategory="{model}",
            caption="../report/model.rst",
        ),
    log:
        f"{RESULTS}/logs/figures/models/{{model}}.log",
    conda:
        "../../envs/structures.yaml"
    threads: 1
    resources:
        mem_mb=1024,
        runtime=2,
    script:
        "../scripts/plot_models.py"


rule model_panel:
    """Figs. 2 and 3 extended: every model's Cu centre in one panel."""
    input:
        structures=[representative_structure(m) for m in MODELS],
    output:
        png=report(
            f"{RESULTS}/figures/models_panel.png",
            category="Models",
            caption="../report/model_panel.rst",
        ),
        pdf=f"{RESULTS}/figures/models_panel.pdf",
    log:
        f"{RESULTS}/logs/figures/models_panel.log",
    conda:
        "../../envs/structures.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=5,
    script:
        "../scripts/plot_models.py"
