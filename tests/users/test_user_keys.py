"""The agent's user key: the first configured source with a value, HMAC-hashed with the
deployment's salt; bad specs are refused naming the setting."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from bongsu.agent._settings import AgentSettings, SettingError
from bongsu.agent._users import DEFAULT_SALT, UserKeys


def expected(source: str, value: str, salt: str = "pepper") -> str:
    mac = hmac.new(salt.encode(), f"{source}\0{value}".encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def test_the_first_source_with_a_value_wins_in_wsgi_and_asgi() -> None:
    keys = UserKeys("cookie:SESSIONID, header:X-User, client_ip", "pepper")
    cookie = {"HTTP_COOKIE": "theme=dark; SESSIONID=s-1; other=2", "HTTP_X_USER": "u-9",
              "REMOTE_ADDR": "10.0.0.1"}
    assert keys.wsgi(cookie) == expected("cookie:SESSIONID", "s-1")
    assert keys.wsgi({"HTTP_X_USER": "u-9", "REMOTE_ADDR": "10.0.0.1"}) == expected(
        "header:x-user", "u-9")
    assert keys.wsgi({"REMOTE_ADDR": "10.0.0.1"}) == expected("client_ip:", "10.0.0.1")
    assert keys.wsgi({"HTTP_X_FORWARDED_FOR": "203.0.113.7, 10.0.0.2",
                      "REMOTE_ADDR": "10.0.0.1"}) == expected("client_ip:", "203.0.113.7")
    assert keys.wsgi({}) is None
    scope = {"headers": [(b"cookie", b"SESSIONID=s-1"), (b"x-user", b"u-9")],
             "client": ("10.0.0.1", 5000)}
    assert keys.asgi(scope) == expected("cookie:SESSIONID", "s-1")
    assert keys.asgi({"headers": [(b"x-user", b"u-9")], "client": ("10.0.0.1", 1)}) == \
        expected("header:x-user", "u-9")
    assert keys.asgi({"headers": [], "client": ("10.0.0.1", 1)}) == expected(
        "client_ip:", "10.0.0.1")
    assert keys.asgi({"headers": [], "client": None}) is None


def test_the_salt_changes_every_id_and_none_turns_it_off() -> None:
    env = {"REMOTE_ADDR": "10.0.0.1"}
    assert UserKeys("client_ip", "a").wsgi(env) != UserKeys("client_ip", "b").wsgi(env)
    assert UserKeys("client_ip", "").wsgi(env) == expected("client_ip:", "10.0.0.1",
                                                           DEFAULT_SALT)
    assert not UserKeys("none", "x")
    assert not UserKeys("enduser.id", "x")


@pytest.mark.parametrize(("spec", "message"), [
    ("cookie:", "user_key: 'cookie:' needs a name (cookie:NAME)"),
    ("session", "user_key: unknown source 'session'"),
    ("client_ip:x", "user_key: unknown source 'client_ip:x'"),
])
def test_a_bad_spec_is_refused_naming_the_setting(spec: str, message: str) -> None:
    with pytest.raises(SettingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        AgentSettings.from_env({"BONGSU_USER_KEY": spec})


def test_settings_read_the_user_key_and_salt() -> None:
    s = AgentSettings.from_env({"BONGSU_USER_KEY": "cookie:sid", "BONGSU_USER_SALT": "k"})
    assert (s.user_key, s.user_salt) == ("cookie:sid", "k")
    assert AgentSettings.from_env({}).user_key == "client_ip"
