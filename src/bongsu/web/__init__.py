"""The built web console: where its static files are, if they were built.

The console is a TypeScript app in ``web/`` at the repository root. ``hatch_build.py``
builds it into ``static/`` next to this file during ``pip install`` (or ``npm run
build`` in ``web/`` does); the files are git-ignored and shipped in the wheel.

>>> d = static_dir()
>>> d is None or (d / "index.html").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["static_dir"]

_STATIC = Path(__file__).resolve().parent / "static"


def static_dir() -> Path | None:
    """The built bundle directory (holding ``index.html``), or None when not built."""
    return _STATIC if (_STATIC / "index.html").is_file() else None
