rule structure:
    """Build one Cu-MOR structure (model, grid point) from its ring and grid values."""
    output:
        structure=f"{RESULTS}/structures/{{model}}/{{point}}.extxyz",
    params:
        spec=model_spec,
        point=grid_point,
    conda:
        "../../envs/structures.yaml"
    log:
        f"{RESULTS}/logs/structure/{{model}}/{{point}}.log",
    script:
        "../scripts/build_structure.py"
