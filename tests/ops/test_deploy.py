"""Issue #19, item 6: deploy/ agrees with the code — every setting the site and
gunicorn read is in README's environment reference and in the example environment
file; the units run what the README says; the lock files pin what pyproject asks for."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READ = (
    re.compile(r'(?:env\.get\(|_switch\(env, )\s*"([A-Z][A-Z0-9_]+)"'),  # app/config.py
    re.compile(r'os\.environ(?:\.get\(|\.setdefault\(|\[)\s*"([A-Z][A-Z0-9_]+)"'),
    re.compile(r'"([A-Z][A-Z0-9_]+)"\s+(?:not\s+)?in\s+os\.environ'),
)


def _settings() -> set[str]:
    read = set()
    for source in ("app/config.py", "gunicorn.conf.py"):
        text = (ROOT / source).read_text()
        read |= {name for pattern in READ for name in pattern.findall(text)}
    read |= {"DATABASE_URL"}  # read as env.get(\n "DATABASE_URL", …)
    return read


def test_every_setting_is_in_the_reference_and_the_example_file():
    readme = (ROOT / "README.md").read_text()
    reference = readme[readme.index("## Configuration"):readme.index("### Rotating SECRET_KEY")]
    example = (ROOT / "deploy/xiangqing.env.example").read_text()
    settings = _settings()

    assert {"SECRET_KEY", "HELP_PHONE", "METRICS_TOKEN", "WEB_WORKERS",
            "PROMETHEUS_MULTIPROC_DIR"} <= settings
    assert sorted(s for s in settings if f"| `{s}` |" not in reference) == []
    assert sorted(s for s in settings if not re.search(rf"^#? ?{s}\b", example, re.M)) == []


def test_the_units_and_nginx_agree_with_each_other():
    web = (ROOT / "deploy/systemd/xiangqing-web.service").read_text()
    scheduler = (ROOT / "deploy/systemd/xiangqing-scheduler.service").read_text()
    nginx = (ROOT / "deploy/nginx/xiangqing.conf").read_text()

    assert "gunicorn -c /srv/xiangqing/gunicorn.conf.py" in web
    assert "--bind 127.0.0.1:8000" in web and "server 127.0.0.1:8000;" in nginx
    assert "PROMETHEUS_MULTIPROC_DIR=/run/xiangqing-metrics" in web
    assert "RuntimeDirectory=xiangqing-metrics" in web
    assert "flask --app wsgi scheduler run" in scheduler
    assert all("EnvironmentFile=/etc/xiangqing/xiangqing.env" in unit
               for unit in (web, scheduler))
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert "return 301 https://$host$request_uri;" in nginx


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _pinned(lock: str) -> set[str]:
    return {line.split("==")[0].lower().replace("_", "-")
            for line in (ROOT / lock).read_text().splitlines() if "==" in line}


def test_the_lock_files_pin_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    main = {_name(r) for r in project["dependencies"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}

    assert sorted(main - _pinned("requirements/main.txt")) == []
    assert sorted((main | dev) - _pinned("requirements/dev.txt")) == []
