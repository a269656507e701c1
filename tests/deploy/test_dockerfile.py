"""``deploy/Dockerfile`` read as Docker reads it, checked against the tree and the server.

No Docker engine runs here, so the image is not built; what can drift is checked: the
files it copies exist and are not left out by ``.dockerignore``, the stages it copies
from exist and produce the paths it copies, the command is a real ``bongsu`` command,
and its ports, user, environment and volume are the server's.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import shlex
import tomllib

import yaml
from tests.deploy import render

from bongsu.cli import build_parser
from bongsu.settings import Settings, describe

ROOT = render.ROOT
DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    logical = ""
    for line in text.splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        word, _, rest = logical.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        logical = ""
    return out


STEPS = instructions(DOCKERFILE.read_text())


def args_of(rest: str) -> list[str]:
    """An instruction's arguments, in JSON (exec) form or shell words."""
    if rest.startswith("["):
        parsed: list[str] = json.loads(rest)
        return parsed
    return shlex.split(rest)


def ignored(path: str) -> bool:
    """Whether ``.dockerignore`` leaves ``path`` (relative to the context) out."""
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        for prefix in prefixes:
            if fnmatch.fnmatch(prefix, pattern) or (
                    pattern.startswith("**/") and fnmatch.fnmatch(prefix.split("/")[-1],
                                                                  pattern[3:])):
                return True
    return False


def test_dockerignore_reading() -> None:
    assert ignored(".venv/bin/python") and ignored("src/bongsu/web/static/index.html")
    assert ignored("src/bongsu/__pycache__/cli.cpython-311.pyc")
    assert not ignored("src/bongsu/cli.py") and not ignored("web/package.json")


def test_every_file_copied_from_the_context_exists_and_is_sent() -> None:
    copies = [args_of(rest) for step, rest in STEPS if step == "COPY"]
    from_context = [c for c in copies if not c[0].startswith("--from=")]
    assert from_context, "the Dockerfile copies nothing from the build context"
    for args in from_context:
        *sources, _dest = args
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert not ignored(source) or source == ".", f"COPY {source}: in .dockerignore"
    # What the wheel is built from: the package and its build files.
    for needed in ("pyproject.toml", "hatch_build.py", "src/bongsu/__init__.py", "README.md"):
        assert not ignored(needed), needed


def test_stages_copied_from_exist_and_make_the_paths_copied() -> None:
    stages: dict[str, str] = {}
    workdir, current = "/", ""
    copied_from: list[tuple[str, str]] = []
    for step, rest in STEPS:
        if step == "FROM":
            words = rest.split()
            current = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            workdir = "/"
        elif step == "WORKDIR":
            workdir = rest
            if current:
                stages[current] = workdir
        elif step == "COPY" and rest.startswith("--from="):
            flag, source, _dest = args_of(rest)
            copied_from.append((flag.removeprefix("--from="), source))
    assert copied_from
    for stage, _source in copied_from:
        assert stage in stages, f"COPY --from={stage}: no such stage"
    # The console bundle: Vite writes it to outDir, relative to the web stage's workdir.
    vite = (ROOT / "web" / "vite.config.ts").read_text()
    out_dir = re.search(r'outDir:\s*"([^"]+)"', vite)
    assert out_dir is not None
    bundle = posixpath.normpath(posixpath.join(stages["web"], out_dir.group(1)))
    assert ("web", bundle + "/") in copied_from


def test_the_command_is_a_bongsu_command() -> None:
    entrypoint = next(args_of(rest) for step, rest in STEPS if step == "ENTRYPOINT")
    command = next(args_of(rest) for step, rest in STEPS if step == "CMD")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint == ["bongsu"] and "bongsu" in scripts
    args = build_parser().parse_args(command)
    assert args.command == "server"
    # The chart runs the same command.
    pod = next(d for d in render.documents() if d["kind"] == "StatefulSet")
    assert pod["spec"]["template"]["spec"]["containers"][0]["args"] == command


def test_ports_user_environment_and_volume_are_the_servers() -> None:
    defaults = Settings()
    exposed = {int(p.split("/")[0]) for step, rest in STEPS if step == "EXPOSE"
               for p in rest.split()}
    assert exposed == {defaults.port, defaults.otlp_port}
    env: dict[str, str] = {}
    for step, rest in STEPS:
        if step == "ENV":
            env.update(dict(word.split("=", 1) for word in shlex.split(rest)))
    names = {name for name, _, _ in describe()}
    bongsu_env = {k: v for k, v in env.items() if k.startswith("BONGSU_")}
    # BONGSU_SKIP_WEB_BUILD is the build hook's, set on one RUN line only.
    assert set(bongsu_env) <= names, set(bongsu_env) - names
    settings = Settings.from_env(bongsu_env)
    assert settings.host == "0.0.0.0" and settings.otlp_host == "0.0.0.0"
    (volume,) = (args_of(rest) for step, rest in STEPS if step == "VOLUME")
    assert volume == [str(settings.data_dir)]
    user = next(rest for step, rest in STEPS if step == "USER")
    useradd = next(rest for step, rest in STEPS if step == "RUN" and "useradd" in rest)
    assert f"--uid {user} " in useradd and int(user) != 0
    assert f"chown bongsu:bongsu {volume[0]}" in useradd
    assert next(rest for step, rest in STEPS if step == "STOPSIGNAL") == "SIGTERM"


def test_base_images_fit_the_build() -> None:
    bases = [rest.split()[0] for step, rest in STEPS if step == "FROM"]
    node = next(b for b in bases if b.startswith("node:"))
    major, minor = (int(x) for x in re.findall(r"\d+", node.split(":")[1])[:2])
    assert (major, minor) >= (20, 19), "Vite 8 needs Node.js 20.19+"
    hook = (ROOT / "hatch_build.py").read_text()
    assert 'os.environ.get("BONGSU_SKIP_WEB_BUILD") == "1"' in hook
    assert any("BONGSU_SKIP_WEB_BUILD=1 pip wheel" in rest for step, rest in STEPS
               if step == "RUN")
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    floor = tuple(int(x) for x in re.findall(r"\d+", wanted)[:2])
    for python in (b for b in bases if b.startswith("python:")):
        version = tuple(int(x) for x in re.findall(r"\d+", python.split(":")[1])[:2])
        assert version >= floor, python
    # The chart's default image tag is the package's version.
    chart = yaml.safe_load((render.CHART / "Chart.yaml").read_text())
    from bongsu import __version__
    assert chart["appVersion"] == __version__
