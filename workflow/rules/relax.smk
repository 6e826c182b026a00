rule relax:
    """Relax one batch of structures (cell fixed; CHGNet by default; grid values held by restraints)."""
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
    # Measured with CHGNet (fmax 0.05, free_radius 6 A, 1 thread, 2 cores loaded):
    # 17-30 CPU s per structure, 40-63 optimiser steps, ~1 GB RSS with torch.
    resources:
        mem_mb=2048,
        runtime=RUNTIME["relax"],
    params:
        forcefield=config["relax"]["forcefield"],
        fmax=config["relax"]["fmax"],
        max_steps=config["relax"]["max_steps"],
        free_radius=config["relax"]["free_radius"],
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
