"""gunicorn.conf.py: each worker holds no more connections than it has threads."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.app.base import Application

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture(autouse=True)
def _metrics_folder(tmp_path, monkeypatch):
    """gunicorn.conf.py sets PROMETHEUS_MULTIPROC_DIR when it is read; reading it here
    must not leave the rest of the suite's process in multiprocess mode."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))


class _Site(Application):
    def __init__(self, argv):
        self.argv = argv
        super().__init__()

    def init(self, parser, opts, args):
        return None

    def load_config(self):
        self.load_config_from_file(str(CONF))
        parsed = self.cfg.parser().parse_args(self.argv)
        for key, value in vars(parsed).items():
            if value is not None and key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        raise AssertionError("not served")


@pytest.mark.parametrize(("argv", "threads", "connections"), [
    ([], 8, 8),
    (["--threads", "16"], 16, 16),
    (["--threads", "4", "--worker-connections", "50"], 4, 50),  # set on purpose: kept
])
def test_a_worker_holds_no_more_connections_than_threads(monkeypatch, argv, threads,
                                                         connections):
    monkeypatch.delenv("WEB_THREADS", raising=False)
    site = _Site(argv)

    site.cfg.on_starting(SimpleNamespace(cfg=site.cfg))

    assert site.cfg.worker_class_str == "gthread"
    assert (site.cfg.threads, site.cfg.worker_connections) == (threads, connections)
    assert site.cfg.keepalive == 0
