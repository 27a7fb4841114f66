"""The course deployments (examples/hub, examples/z2jh), checked without Docker or a cluster.

No Docker engine or Kubernetes cluster runs the examples in tests, so this
checks what would break them or make them unsafe: the names the compose
file, jupyterhub_config.py, the service's environment and the Kubernetes
manifests must agree on; that the users' containers and pods reach neither
the model server nor the database and hold no address or credential of
them; that the course settings are real jelai settings; and that the hub
grants exactly the scopes the service needs. test_service.py runs the same
design with local processes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from traitlets.config import Config, PyFileConfigLoader

from jelai.config import JelaiTelemetry, JelaiTutor
from jelai.service.config import READ_CLASS_SCOPE, JelaiService

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
HUB = EXAMPLES / "hub"
Z2JH = EXAMPLES / "z2jh"

SERVICE = "jelai"
PREFIX = f"/services/{SERVICE}/"
ACCESS = f"access:services!service={SERVICE}"
# Every scope a user's server token needs, and why: JupyterHub's activity
# reports, the owner's groups (instructors), the service itself, and the
# class-reading custom scope for those who hold it.
SERVER_TOKEN_SCOPES = ["users:activity!user", "read:users:groups!user", ACCESS, READ_CLASS_SCOPE]
# What would tell a user's server where the model server is, or let it in.
MODEL_SECRETS = re.compile(r"OLLAMA|11434|MODEL|TOKEN|BEARER|AUTHORIZATION|POSTGRES|5432", re.I)


def compose() -> dict[str, Any]:
    return yaml.safe_load((HUB / "docker-compose.yml").read_text())


def compose_variable(value: str) -> str:
    """The .env variable a compose value is made of: `${NAME:?...}` or `${NAME:-...}`."""
    found = re.fullmatch(r"\$\{(\w+)(?::[?-][^}]*)?\}", value)
    assert found, f"{value!r} is not one .env variable"
    return found.group(1)


def hub_config(monkeypatch: pytest.MonkeyPatch, **environ: str) -> Config:
    """jupyterhub_config.py as the hub loads it, with the environment compose gives it."""
    hub_environment = compose()["services"]["jupyterhub"]["environment"]
    for value in hub_environment.values():
        if value.startswith("${"):
            monkeypatch.delenv(compose_variable(value), raising=False)
    # The service's token, under the variable compose passes to the hub.
    variable = compose_variable(hub_environment["JELAI_SERVICE_API_TOKEN"])
    monkeypatch.setenv(variable, "the-service-token")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = Config()
    source = (HUB / "jupyterhub_config.py").read_text()
    exec(compile(source, "jupyterhub_config.py", "exec"), {"get_config": lambda: config})
    return config


def service_config(monkeypatch: pytest.MonkeyPatch, path: Path, **environ: str) -> Config:
    """A jelai_service_config.py as `jelai service --config` loads it."""
    for name in ("JELAI_STORE_URL", "OLLAMA_HOST", "JELAI_OLLAMA_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def manifests(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((Z2JH / name).read_text()) if doc]


def resource(kind: str, name: str) -> dict[str, Any]:
    """The one resource of `kind` named `name` in examples/z2jh."""
    found = [
        doc
        for path in sorted(Z2JH.glob("*.yaml"))
        if path.name != "values.yaml"
        for doc in manifests(path.name)
        if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def z2jh_values() -> dict[str, Any]:
    return yaml.safe_load((Z2JH / "values.yaml").read_text())


# -- one Docker host: compose, the hub, the service ------------------------------


def test_the_hub_and_the_service_agree_on_names_address_and_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = compose()["services"]
    config = hub_config(monkeypatch)
    jelai = next(s for s in config.JupyterHub.services if s["name"] == SERVICE)
    # The hub's proxy routes /services/jelai/ to the service's container and port.
    url = urlparse(jelai["url"])
    assert url.hostname == services["jelai-service"]["container_name"] == "jelai-service"
    environment = services["jelai-service"]["environment"]
    listen = urlparse(environment["JUPYTERHUB_SERVICE_URL"])
    assert (listen.hostname, listen.port) == ("0.0.0.0", url.port)
    assert environment["JUPYTERHUB_SERVICE_NAME"] == SERVICE
    assert environment["JUPYTERHUB_SERVICE_PREFIX"] == PREFIX
    assert environment["JUPYTERHUB_CLIENT_ID"] == f"service-{SERVICE}"
    assert environment["JUPYTERHUB_OAUTH_CALLBACK_URL"] == f"{PREFIX}oauth_callback"
    assert json.loads(environment["JUPYTERHUB_OAUTH_ACCESS_SCOPES"]) == [ACCESS]
    # The service asks the hub who a token is at the hub's compose name and API port.
    api = urlparse(environment["JUPYTERHUB_API_URL"])
    assert (
        api.hostname == services["jupyterhub"]["container_name"] == config.JupyterHub.hub_connect_ip
    )
    assert (api.port, api.path) == (8081, "/hub/api")
    # One token, from one .env variable: the hub registers it, the service uses it.
    variable = compose_variable(environment["JUPYTERHUB_API_TOKEN"])
    assert compose_variable(services["jupyterhub"]["environment"][variable]) == variable
    assert jelai["api_token"] == "the-service-token"  # what the hub's container was given
    assert jelai["oauth_no_confirm"] is True
    # Each user's server relays to the service's prefix.
    spawner_env = config.DockerSpawner.environment
    assert spawner_env["JELAI_SERVICE_URL"] == f"{jelai['url']}{PREFIX}"


def test_the_hub_grants_exactly_the_scopes_the_service_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = hub_config(monkeypatch)
    roles = {role["name"]: role for role in config.JupyterHub.load_roles}
    assert roles["user"]["scopes"] == ["self", ACCESS]
    assert roles["jelai-class-reader"]["scopes"] == [READ_CLASS_SCOPE]
    assert "users" not in roles["jelai-class-reader"]  # granted through a group only
    assert config.Spawner.server_token_scopes == SERVER_TOKEN_SCOPES
    # JupyterHub refuses a custom scope it was not told of.
    assert READ_CLASS_SCOPE in config.JupyterHub.custom_scopes
    # The service's one role: reading the instructors' group (to leave its
    # members out of the class); asking who a token belongs to needs none.
    assert [role for role in roles.values() if SERVICE in role.get("services", [])] == [
        {
            "name": "jelai-service",
            "scopes": ["read:groups!group=instructors"],
            "services": [SERVICE],
        }
    ]
    assert roles["jupyterhub-idle-culler"]["services"] == ["jupyterhub-idle-culler"]
    culler = next(s for s in config.JupyterHub.services if s["name"] == "jupyterhub-idle-culler")
    assert culler["command"][:3] == ["python3", "-m", "jupyterhub_idle_culler"]


def test_the_users_containers_get_their_notebooks_and_the_service_address_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = hub_config(monkeypatch, DOCKER_NETWORK_NAME="jelai-users")
    assert config.JupyterHub.spawner_class == "dockerspawner.DockerSpawner"
    assert config.DockerSpawner.image == "jelai-notebook"
    assert config.DockerSpawner.network_name == "jelai-users"
    # No class volume, no jelai data folder: the retired mode is gone.
    assert config.DockerSpawner.volumes == {"jupyterhub-user-{username}": "/home/jovyan/work"}
    assert "pre_spawn_hook" not in config.Spawner
    assert "mounts" not in config.DockerSpawner
    assert list(config.DockerSpawner.environment) == ["JELAI_SERVICE_URL"]
    for section in ("Spawner", "DockerSpawner"):
        assert "env_keep" not in config[section]  # nothing of the hub's environment leaks


def test_the_users_network_reaches_neither_the_model_server_nor_the_database() -> None:
    spec = compose()
    services, networks = spec["services"], spec["networks"]
    hub = services["jupyterhub"]
    users = hub["environment"]["DOCKER_NETWORK_NAME"]
    # DockerSpawner names the network to Docker directly: compose must not prefix it.
    users_key = next(key for key, net in networks.items() if net.get("name") == users)
    assert users_key in hub["networks"]
    assert users_key in services["jelai-service"]["networks"]
    for name in ("ollama", "postgres"):
        assert users_key not in services[name]["networks"], name
        assert "ports" not in services[name], f"{name} publishes a port on the host"
        # The service reaches them on a network of their own, which the hub is not on.
        shared = set(services[name]["networks"]) & set(services["jelai-service"]["networks"])
        assert shared and not shared & set(hub["networks"]), name
    assert hub["ports"] == ["127.0.0.1:8000:8000"]  # only nginx on the host reaches it
    assert "ports" not in services["jelai-service"]
    assert set(services) == {"jupyterhub", "jelai-service", "postgres", "ollama"}


def test_no_model_server_address_or_credential_reaches_the_users(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    services = compose()["services"]
    # Not in the hub's container, whose settings decide the users' environment.
    for name in services["jupyterhub"]["environment"]:
        assert not re.search(r"OLLAMA|MODEL|POSTGRES|DB_PASSWORD|STORE", name), name
    config = hub_config(monkeypatch, OLLAMA_HOST="http://ollama:11434", JELAI_OLLAMA_TOKEN="s3c")
    for name, value in config.DockerSpawner.environment.items():
        assert not MODEL_SECRETS.search(f"{name}={value}"), name
    # Not in the users' image: no course settings copied in, no variable set.
    image = (HUB / "Dockerfile").read_text()
    instructions = [line for line in image.splitlines() if line and not line.startswith("#")]
    assert not [line for line in instructions if re.match(r"(COPY|ADD|ENV)\b", line)]
    assert not MODEL_SECRETS.search("\n".join(instructions))
    # The service alone gets them, and the database password.
    environment = services["jelai-service"]["environment"]
    assert compose_variable(environment["OLLAMA_HOST"]) == "OLLAMA_HOST"
    assert compose_variable(environment["JELAI_OLLAMA_TOKEN"]) == "JELAI_OLLAMA_TOKEN"


def test_the_database_is_the_services_own(monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "jelai-db:/var/lib/postgresql/data" in postgres["volumes"]
    assert "jelai-db" in compose()["volumes"]
    password = compose_variable(postgres["environment"]["POSTGRES_PASSWORD"])
    url = services["jelai-service"]["environment"]["JELAI_STORE_URL"]
    variables = re.findall(r"\$\{[^}]*\}", url)
    assert [compose_variable(v) for v in variables] == [password] == ["JELAI_DB_PASSWORD"]
    store = urlparse(url.replace(variables[0], "the-password"))
    assert store.scheme == "postgresql+psycopg" and store.password == "the-password"
    assert (store.username, store.hostname, store.port, store.path) == (
        postgres["environment"]["POSTGRES_USER"],
        "postgres",
        5432,
        "/" + postgres["environment"]["POSTGRES_DB"],
    )
    assert services["jelai-service"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_every_secret_comes_from_the_env_file() -> None:
    text = (HUB / "docker-compose.yml").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert required == {"JELAI_SERVICE_API_TOKEN", "JELAI_DB_PASSWORD"}
    example = (HUB / "env.example").read_text()
    listed = set(re.findall(r"^#? ?(\w+)=", example, re.MULTILINE))
    optional = set(re.findall(r"\$\{(\w+):-", text)) - {"JUPYTERHUB_VERSION", "OLLAMA_VERSION"}
    assert required | optional - {"POSTGRES_VERSION"} <= listed, (required | optional) - listed
    # The secrets are left empty for each course to generate, never shipped.
    for name in required:
        assert re.search(rf"^{name}=$", example, re.MULTILINE), name
    assert "openssl rand -hex 32" in example


def test_the_service_settings_are_jelai_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://jelai:abc@postgres:5432/jelai"
    config = service_config(monkeypatch, HUB / "jelai_service_config.py", JELAI_STORE_URL=url)
    for section, configurable in (
        ("JelaiService", JelaiService),
        ("JelaiTelemetry", JelaiTelemetry),
        ("JelaiTutor", JelaiTutor),
    ):
        unknown = set(config[section]) - set(configurable.class_traits(config=True))
        assert not unknown, f"{section} has no {unknown}"
        configurable(config=config)  # every value passes the trait's validation
    assert set(config) == {"JelaiService", "JelaiTelemetry", "JelaiTutor"}
    service = JelaiService(config=config)
    assert service.store_url == url
    assert service.instructor_groups == ["instructors"]  # the hub's load_groups
    tutor = JelaiTutor(config=config)
    # The compose file's Ollama, by its service name and port, and no token.
    assert (tutor.ollama_url, tutor.headers, tutor.mode) == ("http://ollama:11434", {}, "tutor")
    assert tutor.default_model in tutor.models


def test_a_remote_model_server_gets_its_url_and_token(monkeypatch: pytest.MonkeyPatch) -> None:
    config = service_config(
        monkeypatch,
        HUB / "jelai_service_config.py",
        JELAI_STORE_URL="postgresql+psycopg://jelai:abc@postgres:5432/jelai",
        OLLAMA_HOST="https://ollama.example.org",
        JELAI_OLLAMA_TOKEN="s3cret",
    )
    tutor = JelaiTutor(config=config)
    assert tutor.ollama_url == "https://ollama.example.org"
    assert tutor.headers == {"Authorization": "Bearer s3cret"}


def test_the_service_refuses_to_start_without_its_store(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="JELAI_STORE_URL"):
        service_config(monkeypatch, HUB / "jelai_service_config.py", OLLAMA_HOST="")


def test_the_service_container_runs_jelai_service_on_its_mounted_settings() -> None:
    service = compose()["services"]["jelai-service"]
    dockerfile = (HUB / "Dockerfile.service").read_text()
    assert service["build"]["dockerfile"] == "Dockerfile.service"
    assert "ARG JELAI_SPEC=jelai[postgresql]" in dockerfile
    assert 'pip install --no-cache-dir "${JELAI_SPEC}"' in dockerfile
    command = json.loads(re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1))
    assert command[:3] == ["jelai", "service", "--config"]
    source, target, mode = service["volumes"][0].split(":")
    assert (HUB / source).resolve() == (HUB / "jelai_service_config.py").resolve()
    assert (target, mode) == (command[3], "ro")
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)  # not as root


def test_the_images_match_the_hub() -> None:
    user_image = (HUB / "Dockerfile").read_text()
    hub_image = (HUB / "Dockerfile.hub").read_text()
    service_image = (HUB / "Dockerfile.service").read_text()
    text = (HUB / "docker-compose.yml").read_text()
    assert "ARG BASE_IMAGE=quay.io/jupyter/scipy-notebook:" in user_image
    for image in (hub_image, service_image):
        assert "FROM quay.io/jupyterhub/jupyterhub:${JUPYTERHUB_VERSION}" in image
    # jupyterhub-singleuser in the users' image and the service's HubOAuth are the hub's version.
    versions = [
        set(re.findall(r"JUPYTERHUB_VERSION(?:=|:-)([\d.]+)", source))
        for source in (user_image, hub_image, service_image, text)
    ]
    assert all(v == versions[0] for v in versions) and len(versions[0]) == 1, versions
    for dockerfile in (user_image, hub_image, service_image):
        for source in re.findall(r"^COPY (\S+)", dockerfile, re.MULTILINE):
            assert (HUB / source).is_file(), source


def test_nginx_streams_and_guards_ollama() -> None:
    text = (HUB / "nginx.conf").read_text()
    assert text.count("{") == text.count("}")
    hub, ollama = text.split("# -- a remote Ollama")
    assert "proxy_buffering off;" in hub and "proxy_set_header Upgrade $http_upgrade;" in hub
    assert "proxy_pass http://127.0.0.1:8000;" in hub  # the hub's published port
    assert "return 401;" in ollama
    assert "location ~ ^/api/(chat|generate|tags|show|version|ps)$" in ollama


# -- Kubernetes: Zero to JupyterHub and the manifests -------------------------------


def test_every_manifest_parses_and_is_a_known_kind() -> None:
    kinds = {"ConfigMap", "Deployment", "StatefulSet", "Service", "NetworkPolicy"}
    files = sorted(path.name for path in Z2JH.glob("*.yaml"))
    assert files == ["jelai-service.yaml", "ollama.yaml", "postgres.yaml", "values.yaml"]
    for name in (f for f in files if f != "values.yaml"):
        for doc in manifests(name):
            assert doc["kind"] in kinds, (name, doc["kind"])
            assert doc["apiVersion"] in {"v1", "apps/v1", "networking.k8s.io/v1"}
            assert "namespace" not in doc["metadata"]  # applied in the hub's namespace


def test_the_chart_registers_the_service_its_deployment_serves() -> None:
    values = z2jh_values()
    jelai = values["hub"]["services"][SERVICE]
    url = urlparse(jelai["url"])
    service = resource("Service", "jelai-service")
    port = service["spec"]["ports"][0]
    assert (url.hostname, url.port) == (service["metadata"]["name"], port["port"])
    deployment = resource("Deployment", "jelai-service")
    pod = deployment["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    container = pod["spec"]["containers"][0]
    assert port["targetPort"] in {p["name"] for p in container["ports"]}
    listen = next(p for p in container["ports"] if p["name"] == port["targetPort"])
    env = env_of(container)
    assert urlparse(env["JUPYTERHUB_SERVICE_URL"]).port == listen["containerPort"]
    assert env["JUPYTERHUB_SERVICE_NAME"] == SERVICE
    assert env["JUPYTERHUB_SERVICE_PREFIX"] == PREFIX
    assert env["JUPYTERHUB_CLIENT_ID"] == f"service-{SERVICE}"
    assert env["JUPYTERHUB_OAUTH_CALLBACK_URL"] == f"{PREFIX}oauth_callback"
    assert json.loads(env["JUPYTERHUB_OAUTH_ACCESS_SCOPES"]) == [ACCESS]
    assert env["JUPYTERHUB_API_URL"] == "http://hub:8081/hub/api"  # the chart's hub Service
    # The token the chart generated for hub.services.jelai, from the chart's Secret.
    assert env["JUPYTERHUB_API_TOKEN"] == {
        "secretKeyRef": {"name": "hub", "key": f"hub.services.{SERVICE}.apiToken"}
    }
    assert "apiToken" not in jelai and "api_token" not in jelai  # no secret in values
    assert env["JELAI_STORE_URL"] == {"secretKeyRef": {"name": "jelai-db", "key": "url"}}
    # The chart's hub NetworkPolicy admits the service's pods to the hub's API.
    assert pod["metadata"]["labels"]["hub.jupyter.org/network-access-hub"] == "true"
    assert deployment["spec"]["replicas"] == 1


def test_the_configmap_holds_the_course_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    config_map = resource("ConfigMap", "jelai-service-config")
    text = config_map["data"]["jelai_service_config.py"]
    assert text == (HUB / "jelai_service_config.py").read_text()
    pod = resource("Deployment", "jelai-service")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    mount = container["volumeMounts"][0]
    volume = next(v for v in pod["volumes"] if v["name"] == mount["name"])
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert container["args"][:3] == ["jelai", "service", "--config"]
    assert container["args"][3] == f"{mount['mountPath']}/jelai_service_config.py"
    # The model server the settings name is ollama.yaml's Service.
    ollama = resource("Service", "ollama")
    config = service_config(
        monkeypatch, HUB / "jelai_service_config.py", JELAI_STORE_URL="postgresql+psycopg://x"
    )
    url = urlparse(JelaiTutor(config=config).ollama_url)
    assert (url.hostname, url.port) == (
        ollama["metadata"]["name"],
        ollama["spec"]["ports"][0]["port"],
    )


def test_the_hub_values_grant_exactly_the_scopes_the_service_needs() -> None:
    hub = z2jh_values()["hub"]
    assert hub["loadRoles"]["user"]["scopes"] == ["self", ACCESS]
    assert hub["loadRoles"]["jelai-class-reader"]["scopes"] == [READ_CLASS_SCOPE]
    assert hub["loadRoles"]["jelai-service"] == {
        "scopes": ["read:groups!group=instructors"],
        "services": [SERVICE],
    }
    assert hub["config"]["Spawner"]["server_token_scopes"] == SERVER_TOKEN_SCOPES
    assert READ_CLASS_SCOPE in hub["config"]["JupyterHub"]["custom_scopes"]
    assert "instructors" in hub["config"]["JupyterHub"]["load_groups"]
    assert z2jh_values()["cull"]["enabled"] is True


def test_the_students_pods_get_the_service_address_and_nothing_of_the_model() -> None:
    singleuser = z2jh_values()["singleuser"]
    jelai = z2jh_values()["hub"]["services"][SERVICE]
    assert singleuser["extraEnv"] == {"JELAI_SERVICE_URL": f"{jelai['url']}{PREFIX}"}
    for name, value in singleuser["extraEnv"].items():
        assert not MODEL_SECRETS.search(f"{name}={value}"), name
    for key in ("extraFiles", "storage", "lifecycleHooks", "initContainers"):
        assert key not in singleuser  # no course settings or secret mounted some other way


def test_the_students_pods_may_reach_the_service_and_no_other_private_address() -> None:
    policy = z2jh_values()["singleuser"]["networkPolicy"]
    assert policy["enabled"] is True
    assert policy["egressAllowRules"]["privateIPs"] is False
    assert policy["egressAllowRules"].get("cloudMetadataServer", False) is False
    service_pod = resource("Deployment", "jelai-service")["spec"]["template"]["metadata"]
    service_port = resource("Service", "jelai-service")["spec"]["ports"][0]["port"]
    assert len(policy["egress"]) == 1
    (rule,) = policy["egress"]
    (target,) = rule["to"]
    assert set(target) == {"podSelector"}  # pods of this namespace, no address range
    assert target["podSelector"]["matchLabels"].items() <= service_pod["labels"].items()
    assert rule["ports"] == [{"port": service_port, "protocol": "TCP"}]


@pytest.mark.parametrize(
    ("kind", "name", "port"),
    [("StatefulSet", "ollama", 11434), ("StatefulSet", "jelai-db", 5432)],
)
def test_only_the_service_reaches_the_model_server_and_the_database(
    kind: str, name: str, port: int
) -> None:
    pods = resource(kind, name)["spec"]["template"]
    policy = resource("NetworkPolicy", name)["spec"]
    # The policy selects the server's pods...
    assert policy["podSelector"]["matchLabels"].items() <= pods["metadata"]["labels"].items()
    assert "Ingress" in policy["policyTypes"]
    container_ports = {p["containerPort"] for c in pods["spec"]["containers"] for p in c["ports"]}
    assert port in container_ports
    # ...and admits the service's pods alone, on the server's port.
    service_labels = resource("Deployment", "jelai-service")["spec"]["template"]["metadata"][
        "labels"
    ]
    (rule,) = policy["ingress"]
    assert rule["ports"] == [{"port": port, "protocol": "TCP"}]
    (source,) = rule["from"]
    assert set(source) == {"podSelector"}  # no namespaceSelector, no ipBlock
    selector = source["podSelector"]["matchLabels"]
    assert selector and selector.items() <= service_labels.items()
    # No student's pod carries those labels (the chart labels them singleuser-server).
    assert "component" not in selector and selector != {}


def test_the_service_admits_the_proxy_the_hub_and_the_users_servers() -> None:
    policy = resource("NetworkPolicy", "jelai-service")["spec"]
    pod = resource("Deployment", "jelai-service")["spec"]["template"]["metadata"]
    assert policy["podSelector"]["matchLabels"].items() <= pod["labels"].items()
    (rule,) = policy["ingress"]
    components = {source["podSelector"]["matchLabels"]["component"] for source in rule["from"]}
    assert components == {"proxy", "hub", "singleuser-server"}  # the chart's pod labels
    assert rule["ports"] == [{"port": 10101, "protocol": "TCP"}]


def test_the_database_secret_is_used_by_the_service_and_postgres_alike() -> None:
    pod = resource("StatefulSet", "jelai-db")["spec"]["template"]["spec"]
    env = env_of(pod["containers"][0])
    assert env["POSTGRES_PASSWORD"] == {"secretKeyRef": {"name": "jelai-db", "key": "password"}}
    assert env["POSTGRES_USER"] == env["POSTGRES_DB"] == "jelai"
    service = resource("Service", "jelai-db")
    text = (Z2JH / "postgres.yaml").read_text()
    # The documented URL names this Service, its port and database.
    documented = re.search(r'url="(postgresql\+psycopg://[^"]+)"', text).group(1)
    url = urlparse(documented.replace("$password", "pw"))
    assert (url.hostname, url.port, url.path) == (
        service["metadata"]["name"],
        service["spec"]["ports"][0]["port"],
        "/jelai",
    )
