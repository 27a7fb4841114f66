"""The Docker hub example (examples/hub), checked without Docker.

No Docker engine runs the example in tests, so this checks what would break
it: the names the compose file and jupyterhub_config.py must agree on, the
mounts each kind of user gets, and that the course settings are real jelai
settings. test_hub.py runs the same design with local processes.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from traitlets.config import Config, PyFileConfigLoader

from jelai.classdata import user_dir_name
from jelai.config import Jelai, JelaiTelemetry, JelaiTutor

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "hub"


def hub_config() -> tuple[Config, dict[str, Any], list[str]]:
    """jupyterhub_config.py as the hub loads it, with folder creation recorded instead."""
    config = Config()
    namespace: dict[str, Any] = {"get_config": lambda: config}
    source = (EXAMPLE / "jupyterhub_config.py").read_text()
    exec(compile(source, "jupyterhub_config.py", "exec"), namespace)
    created: list[str] = []
    namespace["create_data_folder"] = created.append
    return config, namespace, created


def spawn(config: Config, name: str, groups: list[str]) -> SimpleNamespace:
    """A stand-in for the DockerSpawner of `name`, after the pre-spawn hook ran."""
    spawner = SimpleNamespace(
        user=SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups]),
        environment=config.DockerSpawner.environment,
        mounts=[],
    )
    config.Spawner.pre_spawn_hook(spawner)
    return spawner


def server_config(monkeypatch: pytest.MonkeyPatch, **environ: str) -> Config:
    for name in ("JELAI_CLASS_DATA_DIR", "OLLAMA_HOST", "JELAI_OLLAMA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    loader = PyFileConfigLoader("jupyter_server_config.py", path=str(EXAMPLE))
    return loader.load_config()


def test_compose_and_hub_agree_on_the_volume_and_network() -> None:
    compose = yaml.safe_load((EXAMPLE / "docker-compose.yml").read_text())
    hub = compose["services"]["jupyterhub"]
    environment = hub["environment"]
    # DockerSpawner names them to Docker directly: compose must not prefix them.
    assert compose["volumes"]["jelai-data"]["name"] == environment["JELAI_DATA_VOLUME"]
    assert compose["networks"]["jelai"]["name"] == environment["DOCKER_NETWORK_NAME"]
    assert "jelai-data:/srv/jelai" in hub["volumes"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in hub["volumes"]
    assert compose["services"]["ollama"]["networks"] == hub["networks"] == ["jelai"]
    assert hub["ports"] == ["127.0.0.1:8000:8000"]  # only nginx on the host reaches it
    assert "# deploy:" in (EXAMPLE / "docker-compose.yml").read_text()  # the GPU stanza


def test_a_student_mounts_only_their_own_folder() -> None:
    config, _, created = hub_config()
    assert config.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
    config.DockerSpawner.environment = {"JELAI_CLASS_DATA_DIR": "/leftover", "OTHER": "kept"}
    student = spawn(config, "ana.b@uni.edu", groups=["students"])
    assert created == ["ana.b@uni.edu"]
    assert student.mounts == [
        {
            "type": "volume",
            "source": "jelai-data",
            "subpath": "ana.b@uni.edu",
            "target": "/srv/jelai/ana.b@uni.edu",
            "read_only": False,
        }
    ]
    assert student.environment == {"OTHER": "kept"}  # never told where the class is
    assert config.DockerSpawner.environment["JELAI_CLASS_DATA_DIR"] == "/leftover"


def test_an_instructor_mounts_the_class_read_only() -> None:
    config, _, created = hub_config()
    config.DockerSpawner.environment = {}
    teacher = spawn(config, "teacher", groups=["instructors"])
    assert created == []
    assert teacher.mounts == [
        {"type": "volume", "source": "jelai-data", "target": "/srv/jelai", "read_only": True}
    ]
    assert teacher.environment == {"JELAI_CLASS_DATA_DIR": "/srv/jelai"}
    assert config.DockerSpawner.environment == {}  # the shared default is left alone


@pytest.mark.parametrize("name", ["ana", "Ana.B@uni.edu", "a/b", "..", "x y", "zoë", "a+b=c,d"])
def test_the_hub_names_folders_as_jelai_does(name: str) -> None:
    _, namespace, _ = hub_config()
    assert namespace["data_folder"](name) == user_dir_name(name)


def test_the_course_settings_are_jelai_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    student = server_config(monkeypatch)
    for section, configurable in (
        ("Jelai", Jelai),
        ("JelaiTelemetry", JelaiTelemetry),
        ("JelaiTutor", JelaiTutor),
    ):
        unknown = set(student[section]) - set(configurable.class_traits(config=True))
        assert not unknown, f"{section} has no {unknown}"
        configurable(config=student)  # every value passes the trait's validation
    monkeypatch.setenv("JUPYTERHUB_USER", "ana")
    assert Jelai(config=student).data_dir == "/srv/jelai/ana"
    assert student.Jelai.instructor_groups == ["instructors"]
    tutor = JelaiTutor(config=student)
    assert (tutor.ollama_url, tutor.mode, tutor.headers) == ("http://ollama:11434", "tutor", {})


def test_instructors_keep_their_own_data_off_the_class_volume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    teacher = server_config(monkeypatch, JELAI_CLASS_DATA_DIR="/srv/jelai")
    monkeypatch.setenv("JUPYTERHUB_USER", "teacher")
    jelai = Jelai(config=teacher)
    assert jelai.class_data_dir == "/srv/jelai"
    assert not jelai.data_dir.startswith("/srv/jelai")


def test_a_remote_ollama_gets_its_url_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    remote = server_config(
        monkeypatch, OLLAMA_HOST="https://ollama.example.org", JELAI_OLLAMA_TOKEN="s3cret"
    )
    tutor = JelaiTutor(config=remote)
    assert tutor.ollama_url == "https://ollama.example.org"
    assert tutor.headers == {"Authorization": "Bearer s3cret"}


def test_the_images_match_the_hub() -> None:
    user_image = (EXAMPLE / "Dockerfile").read_text()
    hub_image = (EXAMPLE / "Dockerfile.hub").read_text()
    compose = (EXAMPLE / "docker-compose.yml").read_text()
    assert "ARG BASE_IMAGE=quay.io/jupyter/scipy-notebook:" in user_image
    assert "FROM quay.io/jupyterhub/jupyterhub:${JUPYTERHUB_VERSION}" in hub_image
    # jupyterhub-singleuser in the users' image is the hub's version.
    versions = [
        re.findall(r"JUPYTERHUB_VERSION(?:=|:-)([\d.]+)", text)
        for text in (user_image, hub_image, compose)
    ]
    assert versions[0] == versions[1] == versions[2] and len(versions[0]) == 1, versions
    for dockerfile in (user_image, hub_image):
        for source in re.findall(r"^COPY (\S+)", dockerfile, re.MULTILINE):
            assert (EXAMPLE / source).is_file(), source


def test_nginx_streams_and_guards_ollama() -> None:
    text = (EXAMPLE / "nginx.conf").read_text()
    assert text.count("{") == text.count("}")
    hub, ollama = text.split("# -- a remote Ollama")
    assert "proxy_buffering off;" in hub and "proxy_set_header Upgrade $http_upgrade;" in hub
    assert "return 401;" in ollama
    assert "location ~ ^/api/(chat|generate|tags|show|version|ps)$" in ollama
