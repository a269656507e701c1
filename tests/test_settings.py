"""Settings are one table, and the docs list every row of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bongsu.errors import SettingError
from bongsu.settings import Settings, describe

DOC = Path(__file__).parents[1] / "docs" / "settings.md"


def test_docs_list_every_setting_with_its_default() -> None:
    text = DOC.read_text()
    for name, default, _help in describe():
        assert f"| `{name}` | `{default}` |" in text, f"{name} missing from docs/settings.md"


def test_environment_and_overrides() -> None:
    env = {"BONGSU_PORT": "9000", "BONGSU_FSYNC": "off", "BONGSU_RETENTION_DAYS": "2.5",
           "BONGSU_DATA_DIR": "/tmp/x"}
    s = Settings.from_env(env, port=None, otlp_port=5000)
    assert (s.port, s.fsync, s.retention_days, str(s.data_dir), s.otlp_port) == (
        9000, False, 2.5, "/tmp/x", 5000
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"BONGSU_PORT": "eighty"}, "BONGSU_PORT: expected int, got 'eighty'"),
        ({"BONGSU_FSYNC": "maybe"}, "BONGSU_FSYNC: expected bool"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError, match=message):
        Settings.from_env(env)


def test_apdex_overrides() -> None:
    s = Settings(apdex_t_overrides="checkout=200, search=1000")
    assert s.apdex_t_for("checkout") == 200 and s.apdex_t_for("other") == 500
    with pytest.raises(SettingError, match="expected service=ms"):
        Settings(apdex_t_overrides="nonsense").apdex_overrides()
