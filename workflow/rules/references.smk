# Reference oxides (CuO tenorite, Cu2O cuprite) for the paper's augmentation: their
# Cu K-edge spectra with the data set's engine, settings, normalisation and grid.
# Helpers (OXIDES, reference_spectra) are in common.smk.


rule reference_spectrum:
    """Cu K-edge XANES of a copper oxide crystal (one Cu absorber: all Cu are equivalent)."""
    output:
        spectrum=f"{RESULTS}/references/{{engine}}/{{oxide}}.json",
    log:
        f"{RESULTS}/logs/references/{{engine}}/{{oxide}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/references/{{engine}}/{{oxide}}.tsv"
    wildcard_constraints:
        oxide="CuO|Cu2O",
    conda:
        "../../envs/xanes.yaml"
    threads: 1
    # Measured (FEFF10, 6 A): CuO 93-atom cluster ~150 s, Cu2O 65 atoms ~50 s, i.e.
    # 6 x a Cu-MOR absorber; FDMNES sized from that (cumor.resources).
    resources:
        mem_mb=xanes_mem_mb,
        runtime=reference_runtime,
    params:
        oxide=lambda wc: wc.oxide,
        engine=lambda wc: wc.engine,
        settings=lambda wc: config["xanes"].get(wc.engine, {}),
        energy_grid=config["xanes"]["energy_grid"],
        workdir=lambda wc: f"{RESULTS}/work/{wc.engine}/references/{wc.oxide}",
    script:
        "../scripts/reference_spectrum.py"
