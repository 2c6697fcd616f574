"""Optional extras: check that an optional parser is installed before using it.

The HTML, Word and PDF readers need libraries that plain-text users should not have to
install (``pip install "policytag[docs]"``). They are imported only when such a file
is read; when one is missing the user gets one line (E030) naming the install command.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.util import find_spec
from typing import Optional

from .errors import PolicytagError

#: The extra that provides each optional module.
EXTRA_OF = {"readability": "docs", "lxml": "docs", "docx": "docs", "pdfminer": "docs"}


@lru_cache(maxsize=None)
def available(module: str) -> bool:
    """True when ``module`` can be imported (checked without importing it)."""
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, kind: str, path: Optional[str] = None) -> None:
    """Raise E030 unless ``module`` is installed; ``kind`` names the file type, ``path`` the file."""
    if not available(module):
        raise PolicytagError("E030", path=path, kind=kind, extra=EXTRA_OF.get(module, "docs"), module=module)
