rule relax:
    """Relax one structure with LAMMPS (cell fixed; Cu and its Al held at the grid geometry)."""
    input:
        structure=f"{RESULTS}/structures/{{model}}/{{point}}.extxyz",
    output:
        structure=f"{RESULTS}/relaxed/{{model}}/{{point}}.extxyz",
    params:
        forcefield=config["relax"]["forcefield"],
        fmax=config["relax"]["fmax"],
        max_steps=config["relax"]["max_steps"],
        lammps_log=lambda wc: f"{RESULTS}/logs/relax/{wc.model}/{wc.point}.lammps.log",
    conda:
        "../../envs/relax.yaml"
    log:
        f"{RESULTS}/logs/relax/{{model}}/{{point}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/relax/{{model}}/{{point}}.tsv"
    threads: 1
    script:
        "../scripts/relax_structure.py"
