rule relax:
    """Relax one structure with LAMMPS (cell fixed; Cu and its Al held at the grid geometry)."""
    input:
        structure=f"{RESULTS}/structures/{{model}}/{{point}}.extxyz",
    output:
        structure=f"{RESULTS}/relaxed/{{model}}/{{point}}.extxyz",
    log:
        f"{RESULTS}/logs/relax/{{model}}/{{point}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/relax/{{model}}/{{point}}.tsv"
    group:
        "chain"
    conda:
        "../../envs/relax.yaml"
    threads: 1
    # Measured (test config, max_steps 200): 2-3 s, ~120 MB RSS; runtime in minutes.
    resources:
        mem_mb=512,
        runtime=1,
    params:
        forcefield=config["relax"]["forcefield"],
        fmax=config["relax"]["fmax"],
        max_steps=config["relax"]["max_steps"],
    script:
        "../scripts/relax_structure.py"


rule relaxation_qa:
    """QA of every relaxation: energy, largest displacement, Cu-Al drift, broken rings."""
    input:
        initial=[f"{RESULTS}/structures/{p.model}/{p.point}.extxyz" for p in STRUCTURES],
        relaxed=[f"{RESULTS}/relaxed/{p.model}/{p.point}.extxyz" for p in STRUCTURES],
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
