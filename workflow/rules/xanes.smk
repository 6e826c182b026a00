rule xanes:
    """Cu K-edge XANES of one batch of structures: every Cu absorber, normalised, averaged."""
    input:
        structures=structure_for_spectrum,
    output:
        spectra=f"{RESULTS}/spectra/{{engine}}/{{model}}/{{batch}}.json",
    log:
        f"{RESULTS}/logs/xanes/{{engine}}/{{model}}/{{batch}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/xanes/{{engine}}/{{model}}/{{batch}}.tsv"
    # The batch's "chain" group with its structure and relax jobs; none for FDMNES
    # finite differences (XANES_GROUP in common.smk): one ~8 h spectrum per job.
    group:
        XANES_GROUP
    conda:
        "../../envs/xanes.yaml"
    threads: 1
    # Per engine and mode, from measured seconds per Cu absorber at 6 A (FEFF10
    # 14-25 s, ~190 MB RSS; FDMNES green 99-107 s; FDMNES fdm 183 s per energy
    # point, ~8 h): x the batch's Cu atoms, with margin (cumor.resources).
    resources:
        mem_mb=xanes_mem_mb,
        runtime=xanes_runtime,
    params:
        settings=lambda wc: config["xanes"].get(wc.engine, {}),
        energy_grid=config["xanes"]["energy_grid"],
        # engine work files (and each finished spectrum, for resume) go to
        # <work_root>/<engine>/<model>/<point>/
        work_root=f"{RESULTS}/work",
    script:
        "../scripts/compute_xanes.py"
