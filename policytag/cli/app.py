"""The ``policytag`` command line: a thin shell over the library.

Each command calls the library function of the same name and only formats its
result; errors are one line on stderr with a stable code, and a non-zero exit.
"""
from __future__ import annotations

import sys

import typer

from . import annotation, evaluation, tagging, training
from .common import echo_err

app = typer.Typer(
    name="policytag",
    help="Tag paragraphs of Chinese environmental-policy documents with six labels "
    "(air, water, soil, carbon, accountability, institutional).",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"policytag {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Tag paragraphs of Chinese environmental-policy documents with six labels."""


# the commands, in the order --help lists them; each lives in the module of its group
app.command()(tagging.labels)
app.command()(tagging.predict)
app.command()(tagging.explain)
app.command()(evaluation.evaluate)
app.command()(evaluation.summarize)
app.command()(training.train)
app.command()(training.check)
app.command()(training.suggest)
app.command()(training.upgrade)
app.command("export")(annotation.export)
app.command("import")(annotation.import_)


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM ends the run like Ctrl-C: files being written are removed, old ones stay."""
    echo_err("terminated")
    raise SystemExit(128 + signum)


def main() -> None:
    """Console-script entry point."""
    import signal

    try:
        signal.signal(signal.SIGTERM, _terminate)
    except (ValueError, OSError):  # not the main thread, or no such signal here
        pass
    for stream in (sys.stdout, sys.stderr):
        try:  # a character the terminal's encoding cannot show becomes an escape, not a crash
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    app()


if __name__ == "__main__":
    main()
