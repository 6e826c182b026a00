"""cumor: Cu K-edge XANES + machine learning for Cu centres in mordenite (Cu-MOR).

Modules, one concept each:

- :mod:`cumor.framework`  the MOR framework from the IZA crystallographic facts
- :mod:`cumor.rings`      ring finder over the T-O-T graph, channel assignment
- :mod:`cumor.models`     Cu-centre models built from a ring and a grid point
- :mod:`cumor.config`     config loading, validation and the model/grid catalogue
- :mod:`cumor.relax`      LAMMPS relaxation through ASE
- :mod:`cumor.engines`    spectrum engines (FEFF10, FDMNES) behind one interface
- :mod:`cumor.normalise`  edge finding, normalisation, energy grid
- :mod:`cumor.dataset`    the spectra table
- :mod:`cumor.classifier` the paper's MLP and its training loop
- :mod:`cumor.atomic_io`  atomic (temp-then-rename) output writing
"""

__version__ = "0.1.0"
