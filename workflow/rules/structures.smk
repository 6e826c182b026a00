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
    """Build one batch of a model's Cu-MOR structures (grid points) from its ring and grid values."""
    input:
        rings=f"{RESULTS}/framework/rings.json",
    output:
        structures=f"{RESULTS}/structures/{{model}}/{{batch}}.extxyz",
    log:
        f"{RESULTS}/logs/structure/{{model}}/{{batch}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/structure/{{model}}/{{batch}}.tsv"
    # One batch's structure -> relax -> xanes chain is one "chain" group; on a
    # cluster, profiles/slurm packs several chains into one submission
    # (group-components). Locally groups are ignored.
    group:
        "chain"
    conda:
        "../../envs/structures.yaml"
    threads: 1
    # Measured: ~2 s start-up and imports per job + <1 s per structure, ~160 MB
    # RSS. runtime in minutes; a SLURM group job asks for the sum over its chains.
    resources:
        mem_mb=512,
        runtime=RUNTIME["structure"],
    params:
        spec=model_spec,
        points=batch_points,
    script:
        "../scripts/build_structure.py"


rule model_figure:
    """Fig. 2/3: one model's Cu centre in its ring (middle grid point, before relaxation),
    viewed down the normal of its anchor ring."""
    input:
        structure=representative_structure,
        rings=f"{RESULTS}/framework/rings.json",
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
    params:
        point=lambda wc: representative_point(wc.model).point,
        spec=model_spec,
    script:
        "../scripts/plot_models.py"


# The panel shows the models in the config's order (the paper's Table 1: by class).
PANEL_MODELS = [m for m in config["models"] if m in MODELS]


rule model_panel:
    """Figs. 2 and 3 extended: every model's Cu centre in one panel."""
    input:
        structures=[representative_structure(m) for m in PANEL_MODELS],
        rings=f"{RESULTS}/framework/rings.json",
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
    params:
        points=[representative_point(m).point for m in PANEL_MODELS],
        specs=[config["models"][m] for m in PANEL_MODELS],
    script:
        "../scripts/plot_models.py"
