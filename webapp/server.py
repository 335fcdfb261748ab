"""Production serving: gunicorn workers (processes), app and jieba loaded before the fork."""

from __future__ import annotations

from typing import Any

from indexer.api import Settings, segmenter

from . import create_app
from .hosts import listening_base_url


def run_server(settings: Settings, host: str, port: int, workers: int, threads: int, dev: bool = False) -> None:
    """Serve the app on host:port until stopped."""
    segmenter(settings.userdict_path)  # load the dictionary once, before forking, so workers share it
    if not settings.base_url:
        settings = settings.with_(base_url=listening_base_url(host, port))
    app = create_app(settings)
    if dev:
        app.run(host=host, port=port, debug=False, threaded=True)
        return
    from gunicorn.app.base import BaseApplication

    class _App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "preload_app": True,
                "timeout": 120,
                "accesslog": "-",
                "graceful_timeout": 5,
                # no 414 of gunicorn's own: the app refuses a long query itself, with its JSON or page
                "limit_request_line": 0,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return app

    _App().run()
