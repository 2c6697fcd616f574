"""The ``policytag`` command line (typer): ``main`` is the console-script entry point;
the commands are in :mod:`policytag.cli.app`."""
from .app import main

__all__ = ["main"]
