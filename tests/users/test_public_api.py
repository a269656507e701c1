"""The users package's declared public names."""

from __future__ import annotations

import bongsu.users


def test_public_api_is_pinned() -> None:
    assert sorted(bongsu.users.__all__) == [
        "Count", "PRECISION", "Point", "Sketch", "SketchError", "UsersReport", "key_hash",
        "relative_error", "users_report",
    ]
    for name in bongsu.users.__all__:
        assert hasattr(bongsu.users, name), name
