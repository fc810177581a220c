"""nginx as the gateway, configured from deploy/gateway/nginx.conf.template."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from devinfra.paths import free_port, port_answers, repo_root
from devinfra.processes import LocalProcess


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if found is None:
        raise RuntimeError("nginx is missing: run `make setup` or install Debian's 'nginx-light'")
    return found


def render(values: dict[str, str]) -> str:
    template = (repo_root() / "deploy" / "gateway" / "nginx.conf.template").read_text()
    rendered = re.sub(r"\$\{([A-Z_]+)\}", lambda m: values[m.group(1)], template)
    return rendered


# An upstream left out (a test without the notifier): its routes answer the gateway's 503.
NO_SERVICE = "127.0.0.1:1 down"


@dataclass
class LocalGateway(LocalProcess):
    upstreams: dict[str, str]  # identity/registration/claim_status/notifier → host:port
    port: int = 0
    web_root: Path = field(default_factory=lambda: repo_root() / "web")
    sensitive_rate: str = "20r/m"
    sensitive_burst: int = 10

    pid_name = "nginx.pid"  # nginx writes it (the `pid` directive of the template)
    log_name = "error.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> LocalGateway:
        self.port = self.port or free_port()
        self._spawn(
            self.command(self.write_config()),
            stdout=subprocess.DEVNULL,
            stderr=(self.state_dir / "stderr.log").open("ab"),
        )
        self._wait_until(
            lambda: port_answers(self.port),
            timeout,
            f"nginx did not start; see {self.state_dir}/stderr.log",
        )
        return self

    def write_config(self) -> Path:
        """nginx.conf in the state folder, from the template, for this port and these upstreams."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = self.state_dir / "nginx.conf"
        config.write_text(
            render(
                {
                    "STATE_DIR": str(self.state_dir),
                    "LISTEN_ADDRESS": "127.0.0.1",
                    "PORT": str(self.port),
                    "WEB_ROOT": str(self.web_root),
                    "SENSITIVE_RATE": self.sensitive_rate,
                    "SENSITIVE_BURST": str(self.sensitive_burst),
                    "IDENTITY_UPSTREAM": self.upstreams["identity"],
                    "REGISTRATION_UPSTREAM": self.upstreams["registration"],
                    "CLAIM_STATUS_UPSTREAM": self.upstreams["claim_status"],
                    "NOTIFIER_UPSTREAM": self.upstreams.get("notifier", NO_SERVICE),
                }
            )
        )
        return config

    def command(self, config: Path) -> list[str]:
        """nginx in the foreground on `config`. Nothing in it needs root: the port is above 1024,
        there is no `user` directive, and the pid file, logs and temporary bodies are all in the
        state folder; `-e stderr` keeps builds whose built-in error log is a file of root's
        (nginx.org's packages) from complaining before they read the configuration. Any user who
        owns the state folder can run the gateway."""
        state = str(self.state_dir)
        return [nginx_binary(), "-c", str(config), "-p", state, "-e", "stderr", "-g", "daemon off;"]
