rule relax:
    """Relax one batch of structures with LAMMPS (cell fixed; Cu and its Al held at the grid geometry)."""
    input:
        structures=f"{RESULTS}/structures/{{model}}/{{batch}}.extxyz",
    output:
        structures=f"{RESULTS}/relaxed/{{model}}/{{batch}}.extxyz",
    log:
        f"{RESULTS}/logs/relax/{{model}}/{{batch}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/relax/{{model}}/{{batch}}.tsv"
    group:
        "chain"
    conda:
        "../../envs/relax.yaml"
    threads: 1
    # Measured (test config, max_steps 200): 2-3 s per structure, ~120 MB RSS.
    resources:
        mem_mb=512,
        runtime=RUNTIME["relax"],
    params:
        forcefield=config["relax"]["forcefield"],
        fmax=config["relax"]["fmax"],
        max_steps=config["relax"]["max_steps"],
    script:
        "../scripts/relax_structure.py"


rule relaxation_qa:
    """QA of every relaxation: energy, largest displacement, Cu-Al drift, broken rings."""
    input:
        initial=all_batches("structures"),
        relaxed=all_batches("relaxed"),
    output:
        table=report(
            f"{RESULTS}/qa/relaxation.csv",
            category="Relaxation QA",
            caption="../report/relaxation_qa.rst",
        ),
        png=report(
            f"{RESULTS}/figures/relaxation_qa.png",
            category="Relaxation QA",
            caption="../report/relaxation_qa.rst",
        ),
        pdf=f"{RESULTS}/figures/relaxation_qa.pdf",
    log:
        f"{RESULTS}/logs/qa/relaxation.log",
    conda:
        "../../envs/structures.yaml"
    threads: 1
    resources:
        mem_mb=2048,
        runtime=10,
    script:
        "../scripts/relaxation_qa.py"
