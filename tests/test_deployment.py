"""What deploy/ says must match what the code reads: every env var in compose and Kubernetes is
one a service's settings know, ports and health checks are the services' own, secrets are only
referenced, every topic exists with its DLQ, and Prometheus's config and alerts pass promtool.
Nothing here can start containers (no Docker engine on this machine); it checks what can be."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic_settings import BaseSettings

from claim_status.settings import ClaimStatusSettings
from claims_shared.events import topics
from devinfra.paths import repo_root
from identity.settings import IdentitySettings
from notifier.settings import NotifierSettings
from registration.settings import RegistrationSettings

DEPLOY = repo_root() / "deploy"
SETTINGS: dict[str, type[BaseSettings]] = {
    "identity": IdentitySettings,
    "registration": RegistrationSettings,
    "claim-status": ClaimStatusSettings,
    "notifier": NotifierSettings,
}
SECRET = re.compile(r"(DATABASE_URL|_KEY$|PASSWORD)")
FOLLOWERS = "claim-status-followers"
CLAMAV = "clamav"  # clamd for the upload scan, ClamAV's own image


def env_names(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads (its prefix, or a field's alias)."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        names.add(alias if isinstance(alias, str) else f"{prefix}{name}".upper())
    return names


def default(settings: type[BaseSettings], field: str) -> Any:
    return settings.model_fields[field].default


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is missing: run `make setup` (system packages)")
    return found


# --- docker compose -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded["services"]


def test_compose_runs_the_whole_product(compose: dict[str, Any]) -> None:
    assert set(compose) >= {
        *SETTINGS,
        "claim-status-followers",
        "kafka",
        "postgres",
        "mail",
        "gateway",
        "prometheus",
        "grafana",
        "clamav",
        "object-store",
    }


@pytest.mark.parametrize("service", list(SETTINGS))
def test_compose_service_env_ports_and_health_match_the_settings(
    compose: dict[str, Any], service: str
) -> None:
    settings = SETTINGS[service]
    spec = compose[service]
    env = spec["environment"]
    unknown = set(env) - env_names(settings)
    assert not unknown, f"{service}: settings do not read {sorted(unknown)}"
    prefix = str(settings.model_config["env_prefix"])
    port = default(settings, "http_port")
    assert int(env[f"{prefix}HTTP_PORT"]) == port and env[f"{prefix}HTTP_HOST"] == "0.0.0.0"
    assert spec["expose"] == [str(port)]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(spec["healthcheck"]["test"])
    database = env[f"{prefix}DATABASE_URL"].rsplit("/", 1)[1]
    assert database == service.replace("-", "_")
    assert database in (DEPLOY / "postgres" / "init-databases.sql").read_text()
    assert spec["build"]["args"]["SERVICE"] == service
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert env["IDENTITY_JWKS_URL"].startswith(
        f"http://identity:{default(IdentitySettings, 'http_port')}/"
    )


def test_claim_status_runs_its_followers_apart_in_compose(compose: dict[str, Any]) -> None:
    """The projection and the relay in one process of their own; every other worker beside the
    API, in the processes that scale."""
    followers, service = compose["claim-status-followers"], compose["claim-status"]
    assert followers["environment"]["CLAIM_STATUS_WORKERS"] == "projection,relay"
    assert service["environment"]["CLAIM_STATUS_WORKERS"] == "consumer,sweeper"
    assert {k: v for k, v in followers.items() if k != "environment"} == {
        k: v for k, v in service.items() if k != "environment"
    }


def test_compose_gateway_fills_every_placeholder_of_the_nginx_template(
    compose: dict[str, Any],
) -> None:
    template = (DEPLOY / "gateway" / "nginx.conf.template").read_text()
    placeholders = set(re.findall(r"\$\{([A-Z_]+)\}", template))
    dockerfile = (DEPLOY / "docker" / "gateway.Dockerfile").read_text()
    from_image = set(re.findall(r"\b([A-Z_]+)=", dockerfile))
    given = from_image | set(compose["gateway"]["environment"])
    assert placeholders - given == set()
    upstreams = compose["gateway"]["environment"]
    for service, settings in SETTINGS.items():
        if service == "notifier":
            continue
        key = f"{service.replace('-', '_').upper()}_UPSTREAM"
        assert upstreams[key] == f"{service}:{default(settings, 'http_port')}"


def test_compose_creates_every_topic_and_dlq_with_the_partitions_of_kubernetes(
    compose: dict[str, Any],
) -> None:
    """Partitions decide each consumer group's parallelism and which claims share an order:
    the same in compose as in the Strimzi topics."""
    script = compose["kafka-topics"]["command"][0]
    created = {name: int(n) for name, n in re.findall(r"^\s*topic ([\w.-]+) (\d+)$", script, re.M)}
    dlqs = re.search(r"for dlq in ([^;]+); do\s+topic \$\$dlq\.dlq (\d+)", script)
    assert dlqs is not None, "the DLQs are created in a loop"
    created |= {topics.dlq(name): int(dlqs[2]) for name in dlqs[1].replace("\\", " ").split()}
    strimzi = yaml.safe_load_all((DEPLOY / "k8s/base/topics.yaml").read_text())
    declared = {o["spec"]["topicName"]: o["spec"]["partitions"] for o in strimzi if o}
    assert set(created) == {*topics.ALL, *(topics.dlq(t) for t in topics.ALL)}
    assert created == declared


def test_prometheus_scrapes_each_service_where_it_listens() -> None:
    for config, host in (("local.yml", "127.0.0.1"), ("compose.yml", None)):
        loaded = yaml.safe_load((DEPLOY / "prometheus" / config).read_text())
        targets = loaded["scrape_configs"][0]["static_configs"][0]["targets"]
        expected = [
            f"{host or service}:{default(settings, 'http_port')}"
            for service, settings in SETTINGS.items()
        ]
        if host is None:  # compose runs claim-status's followers as a service of their own
            expected.insert(3, "claim-status-followers:8103")
        assert targets == expected, config


# --- Kubernetes -----------------------------------------------------------------------------


def render(overlay: str) -> list[dict[str, Any]]:
    rendered = subprocess.run(
        [tool("kubectl"), "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


@pytest.fixture(scope="module", params=["dev", "prod"])
def overlay(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_every_deployment_has_probes_resources_an_autoscaler_and_a_disruption_budget(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    name, objects = overlay
    deployments = of_kind(objects, "Deployment")
    assert set(deployments) == {*SETTINGS, "gateway", FOLLOWERS, CLAMAV}
    autoscalers, budgets = (
        of_kind(objects, "HorizontalPodAutoscaler"),
        of_kind(objects, "PodDisruptionBudget"),
    )
    for deployment, spec in deployments.items():
        container = spec["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"] and container["resources"]["limits"]
        if deployment == CLAMAV:  # a released version of its own, never `latest`
            assert re.fullmatch(r"clamav/clamav:\d+\.\d+(\.\d+)?", container["image"])
        else:
            assert container["image"].endswith(":dev" if name == "dev" else ":1.0.0")
        if deployment == FOLLOWERS:
            continue  # a singleton: test_claim_status_followers_run_exactly_once
        assert autoscalers[deployment]["spec"]["scaleTargetRef"]["name"] == deployment
        assert (
            budgets[deployment]["spec"]["selector"]["matchLabels"]
            == (spec["spec"]["selector"]["matchLabels"])
        )
        if deployment in ("gateway", CLAMAV):
            continue
        port = default(SETTINGS[deployment], "http_port")
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    if name == "prod":
        assert all(a["spec"]["minReplicas"] >= 2 for a in autoscalers.values())
        assert all(b["spec"].get("minAvailable", 0) >= 1 for b in budgets.values())


def test_claim_status_followers_run_exactly_once(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    """The projection and the relay follow the event store in order: one process, never two,
    not even during a rollout; the API and the consumer scale in the other Deployment."""
    _, objects = overlay
    deployments = of_kind(objects, "Deployment")
    followers, service = deployments[FOLLOWERS], deployments["claim-status"]
    assert followers["spec"]["replicas"] == 1
    assert followers["spec"]["strategy"] == {"type": "Recreate"}
    assert FOLLOWERS not in of_kind(objects, "HorizontalPodAutoscaler")

    def workers(spec: dict[str, Any]) -> str:
        env = spec["spec"]["template"]["spec"]["containers"][0]["env"]
        return str(next(v["value"] for v in env if v["name"] == "CLAIM_STATUS_WORKERS"))

    assert workers(followers) == "projection,relay"
    assert workers(service) == "consumer,sweeper"

    def without_workers(spec: dict[str, Any]) -> dict[str, Any]:
        """The pod as written twice in claim-status.yaml: it must not drift apart."""
        pod = dict(spec["spec"]["template"]["spec"])
        pod.pop("topologySpreadConstraints", None)  # one replica has nothing to spread
        container = dict(pod["containers"][0])
        container["env"] = [v for v in container["env"] if v["name"] != "CLAIM_STATUS_WORKERS"]
        container["resources"] = None  # overlays may size them differently
        return {**pod, "containers": [container]}

    assert without_workers(followers) == without_workers(service)
    monitored = of_kind(objects, "PodMonitor")["claims-services"]["spec"]["selector"]
    assert FOLLOWERS in monitored["matchExpressions"][0]["values"]


def test_secrets_are_referenced_never_inlined_and_every_env_var_is_read(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = overlay
    assert not of_kind(objects, "Secret"), "secrets come from the platform, not this repo"
    config = of_kind(objects, "ConfigMap")["claims-config"]["data"]
    assert not [key for key in config if SECRET.search(key)]
    for deployment, settings in SETTINGS.items():
        spec = of_kind(objects, "Deployment")[deployment]
        env = spec["spec"]["template"]["spec"]["containers"][0]["env"]
        for variable in env:
            assert variable["name"] in env_names(settings), (deployment, variable["name"])
            if SECRET.search(variable["name"]) and "PUBLIC" not in variable["name"]:
                assert "secretKeyRef" in variable.get("valueFrom", {}), variable
    read_by_some_service = set().union(*(env_names(s) for s in SETTINGS.values()))
    assert set(config) <= read_by_some_service, set(config) - read_by_some_service


def test_every_topic_and_its_dlq_is_a_strimzi_topic(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    name, objects = overlay
    declared = {o["spec"]["topicName"]: o["spec"] for o in objects if o["kind"] == "KafkaTopic"}
    assert set(declared) == {*topics.ALL, *(topics.dlq(t) for t in topics.ALL)}
    if name == "prod":
        for spec in declared.values():
            assert spec["replicas"] >= 3 and int(spec["config"]["min.insync.replicas"]) >= 2
        assert declared[topics.ADJUSTER_UPDATES]["partitions"] >= 12


# --- Prometheus -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["check", "config", "local.yml"],
        ["check", "config", "compose.yml"],
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ],
    ids=["local config", "compose config", "alert rules", "alert unit tests"],
)
def test_promtool_accepts_the_prometheus_files(command: list[str]) -> None:
    checked = subprocess.run(
        [tool("promtool"), *command],
        cwd=DEPLOY / "prometheus",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_claim_status_finds_clamd_and_the_object_store_where_compose_runs_them(
    compose: dict[str, Any],
) -> None:
    env = compose["claim-status"]["environment"]
    host, port = env["CLAIM_STATUS_CLAMD_ADDRESS"].split(":")
    assert compose[host]["expose"] == [port]
    url = urlsplit(env["CLAIM_STATUS_OBJECT_STORE_URL"])
    store = compose[str(url.hostname)]
    assert store["expose"] == [str(url.port)]
    assert store["environment"]["S3PROXY_ENDPOINT"].endswith(f":{url.port}")
    keys = (
        env["CLAIM_STATUS_OBJECT_STORE_ACCESS_KEY"],
        env["CLAIM_STATUS_OBJECT_STORE_SECRET_KEY"],
    )
    assert keys == (
        store["environment"]["S3PROXY_IDENTITY"],
        store["environment"]["S3PROXY_CREDENTIAL"],
    )
    bucket = env["CLAIM_STATUS_OBJECT_STORE_BUCKET"]
    assert f"/data/{bucket}" in compose["object-store-bucket"]["entrypoint"][-1]
    followers = compose[FOLLOWERS]["environment"]
    documents = {key: value for key, value in env.items() if "CLAMD" in key or "OBJECT" in key}
    assert {key: followers[key] for key in documents} == documents


def test_claim_status_scans_with_the_clamav_service_and_keeps_documents_in_s3(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = overlay
    config = of_kind(objects, "ConfigMap")["claims-config"]["data"]
    host, port = config["CLAIM_STATUS_CLAMD_ADDRESS"].split(":")
    service = of_kind(objects, "Service")[host]
    assert [entry["port"] for entry in service["spec"]["ports"]] == [int(port)]
    assert urlsplit(config["CLAIM_STATUS_OBJECT_STORE_URL"]).scheme == "https"
    assert config["CLAIM_STATUS_OBJECT_STORE_BUCKET"]


# --- hardening: non-root pods, read-only root file systems, network policies ------------------

GATEWAY_USER = 101  # nginx's unprivileged image


def pods(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every Deployment's pod template, by Deployment."""
    return {name: d["spec"]["template"] for name, d in of_kind(objects, "Deployment").items()}


def test_every_container_runs_non_root_read_only_without_privileges(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    """A process that breaks out of its program finds no root, no capability, no set-uid way up
    and nothing on its root file system to change; what it must write is an emptyDir."""
    _, objects = overlay
    for name, template in pods(objects).items():
        pod = template["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for container in [*pod.get("initContainers", []), *pod["containers"]]:
            context = container["securityContext"]
            assert context.get("runAsUser", 1) > 0 and context.get("runAsNonRoot", True), name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"] == {"drop": ["ALL"]}, name
            assert not context.get("privileged"), name
            mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
            assert "emptyDir" in mounts["/tmp"], name
            assert all("emptyDir" in volume for volume in mounts.values()), name


def test_the_gateway_is_unprivileged_nginx_on_8080(
    compose: dict[str, Any], overlay: tuple[str, list[dict[str, Any]]]
) -> None:
    """No port below 1024 and no capability: nginx's unprivileged image, as its own user."""
    dockerfile = (DEPLOY / "docker" / "gateway.Dockerfile").read_text()
    assert re.search(r"^FROM nginxinc/nginx-unprivileged:\S+$", dockerfile, re.M)
    assert re.search(rf"^USER {GATEWAY_USER}$", dockerfile, re.M)
    assert "NET_BIND_SERVICE" not in dockerfile
    env = dict(re.findall(r"\b([A-Z_]+)=(\S+)", dockerfile))
    writable = "/tmp"  # the emptyDir / tmpfs: the rest of the file system is read-only
    assert env["NGINX_ENVSUBST_OUTPUT_DIR"] == env["STATE_DIR"] == writable
    assert "/etc/nginx/templates/nginx.conf.template" in dockerfile  # rendered into /tmp
    command = json.loads(re.findall(r"^CMD (.+)$", dockerfile, re.M)[-1])
    assert command[:3] == ["nginx", "-c", f"{writable}/nginx.conf"], command
    template = (DEPLOY / "gateway" / "nginx.conf.template").read_text()
    assert not re.search(r"^\s*user\s", template, re.M), "a `user` directive needs root"
    _, objects = overlay
    pod = pods(objects)["gateway"]["spec"]
    assert pod["securityContext"]["runAsUser"] == GATEWAY_USER
    assert pod["containers"][0]["ports"] == [{"name": "http", "containerPort": 8080}]
    gateway = compose["gateway"]
    assert gateway["user"] == str(GATEWAY_USER) and gateway["ports"] == ["8080:8080"]


def test_compose_runs_every_service_and_the_gateway_non_root_and_read_only(
    compose: dict[str, Any],
) -> None:
    dockerfile = (DEPLOY / "docker" / "service.Dockerfile").read_text()
    user = re.findall(r"^USER (\d+)$", dockerfile, re.M)
    assert user and int(user[-1]) > 0
    for name in [*SETTINGS, FOLLOWERS, "gateway"]:
        spec = compose[name]
        assert int(spec["user"]) > 0, name
        assert spec["read_only"] is True and spec["tmpfs"] == ["/tmp"], name
        assert spec["cap_drop"] == ["ALL"] and "cap_add" not in spec, name
        assert "no-new-privileges:true" in spec["security_opt"], name
    assert compose["identity"]["user"] == user[-1]


# Where each workload may connect, as its policies allow: peers named by what they are.
PUBLIC_HTTPS = ("internet", 443)
EGRESS: dict[str, set[tuple[str, int | str]]] = {
    "gateway": {("identity", 8101), ("registration", 8102), ("claim-status", 8103)}
    | {("notifier", 8104)},
    "identity": set(),
    "registration": set(),
    "claim-status": {("identity", 8101), ("clamav", 3310), PUBLIC_HTTPS},
    FOLLOWERS: {("identity", 8101), ("clamav", 3310), PUBLIC_HTTPS},
    "notifier": {("identity", 8101), ("smtp", 587), PUBLIC_HTTPS},
    CLAMAV: {PUBLIC_HTTPS},  # freshclam
}
SERVICES_BACKENDS = {("kafka", 9093), ("database", 5432)}  # the TLS listener alone
DNS = {("dns", 53)}
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes' label selector (matchLabels and matchExpressions with In)."""
    wanted = selector.get("matchLabels", {})
    if any(labels.get(key) != value for key, value in wanted.items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def peer_name(peer: dict[str, Any]) -> str:
    """What a policy's peer is, in the words of EGRESS."""
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        if block["cidr"] == "0.0.0.0/0":
            assert set(PRIVATE) <= set(block["except"]), "public addresses only"
            return "internet"
        assert block["cidr"].startswith("10."), block
        return "database"
    namespace = peer.get("namespaceSelector", {}).get("matchLabels", {})
    space = namespace.get("kubernetes.io/metadata.name")
    if space is not None:
        return {"kube-system": "dns", "mail": "smtp", "monitoring": "prometheus"}.get(space, space)
    labels = peer["podSelector"].get("matchLabels", {})
    if labels.get("strimzi.io/cluster"):
        return "kafka"
    if "app.kubernetes.io/name" in labels:
        return str(labels["app.kubernetes.io/name"])
    values = peer["podSelector"]["matchExpressions"][0]["values"]
    return "+".join(values)


def traffic(
    objects: list[dict[str, Any]], workload: str, direction: str
) -> set[tuple[str, int | str]]:
    """The (peer, port) pairs the policies selecting the workload's pods allow in a direction."""
    labels = pods(objects)[workload]["metadata"]["labels"]
    allowed = set()
    for policy in of_kind(objects, "NetworkPolicy").values():
        if not selects(policy["spec"]["podSelector"], labels):
            continue
        for rule in policy["spec"].get(direction, []):
            peers = rule["to" if direction == "egress" else "from"]
            allowed |= {(peer_name(p), port["port"]) for p in peers for port in rule["ports"]}
    return allowed


def test_network_policies_deny_everything_by_default(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = overlay
    deny = [
        p["spec"]
        for p in of_kind(objects, "NetworkPolicy").values()
        if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")
    ]
    assert {"policyTypes": ["Ingress", "Egress"], "podSelector": {}} in deny
    for workload in pods(objects):  # nothing goes out or in without a named peer and port
        for direction in ("ingress", "egress"):
            assert all(port != "" for _, port in traffic(objects, workload, direction))


def test_each_workload_reaches_only_what_it_needs(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = overlay
    assert set(pods(objects)) == set(EGRESS)
    for workload, needs in EGRESS.items():
        backends = SERVICES_BACKENDS if workload in {*SETTINGS, FOLLOWERS} else set()
        assert traffic(objects, workload, "egress") == needs | backends | DNS, workload
    config = of_kind(objects, "ConfigMap")["claims-config"]["data"]
    kafka_port = int(config["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1])
    assert ("kafka", kafka_port) in SERVICES_BACKENDS
    assert ("smtp", int(config["SMTP_PORT"])) in EGRESS["notifier"]
    assert ("clamav", int(config["CLAIM_STATUS_CLAMD_ADDRESS"].split(":")[1])) in EGRESS[FOLLOWERS]
    jwks = urlsplit(config["IDENTITY_JWKS_URL"])
    assert (jwks.hostname, jwks.port) == ("identity", default(IdentitySettings, "http_port"))


def test_only_the_gateway_is_reached_from_outside_and_prometheus_scrapes_the_services(
    overlay: tuple[str, list[dict[str, Any]]],
) -> None:
    _, objects = overlay
    assert traffic(objects, "gateway", "ingress") == {("ingress-nginx", 8080)}
    scrape = ("prometheus", "http")
    verifiers = "claim-status+claim-status-followers+notifier"
    expected = {
        "identity": {("gateway", 8101), (verifiers, 8101), scrape},
        "registration": {("gateway", 8102), scrape},
        "claim-status": {("gateway", 8103), scrape},
        FOLLOWERS: {("gateway", 8103), scrape},  # its pods are not behind the Service
        "notifier": {("gateway", 8104), scrape},
        CLAMAV: {("claim-status+claim-status-followers", 3310)},
    }
    for workload, peers in expected.items():
        assert traffic(objects, workload, "ingress") == peers, workload


def test_the_contact_desk_is_set_wherever_the_notifier_runs(
    compose: dict[str, Any], overlay: tuple[str, list[dict[str, Any]]]
) -> None:
    """The security mails and GET /api/v1/contact-desk name it, and production refuses to start
    without it (notifier.settings): compose and every overlay give the notifier one."""
    _, objects = overlay
    notifier = of_kind(objects, "Deployment")["notifier"]["spec"]["template"]["spec"]
    from_config = {"configMapRef": {"name": "claims-config"}} in notifier["containers"][0].get(
        "envFrom", []
    )
    config = of_kind(objects, "ConfigMap")["claims-config"]["data"]
    assert from_config and config.get("NOTIFIER_CONTACT_DESK", "").strip()
    assert compose["notifier"]["environment"].get("NOTIFIER_CONTACT_DESK", "").strip()
