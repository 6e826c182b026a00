"""Logging for workflow jobs: every job writes what it does to its ``log:`` file."""

from __future__ import annotations

import contextlib
import logging
import traceback
from pathlib import Path


@contextlib.contextmanager
def job_log(path: str | Path | None, name: str = "cumor"):
    """Route the ``cumor`` logger, stdout and stderr to ``path`` for the block.

    An exception escaping the block is written to the log with its traceback and
    re-raised, so Snakemake marks the job failed and the log says why.

    Yields
    ------
    logging.Logger
    """
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    if path is None:
        yield logger
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", buffering=1) as stream:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        try:
            with contextlib.redirect_stdout(stream), contextlib.redirect_stderr(stream):
                yield logger
        except BaseException:
            stream.write(traceback.format_exc())
            raise
        finally:
            logger.removeHandler(handler)
