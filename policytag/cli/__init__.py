"""The ``policytag`` command line (typer). :mod:`.app` builds the app and holds ``main``,
the console-script entry point (``policytag.cli.app:main``); each command lives in the
module of its group (:mod:`.tagging`, :mod:`.evaluation`, :mod:`.training`,
:mod:`.annotation`), on what they share in :mod:`.common`."""
