"""serve(): run the API under uvicorn with JSON request logs (what `articleqa serve` calls)."""

from __future__ import annotations

import ipaddress
import logging
import logging.config
from typing import Any

import uvicorn

from service.app import create_app
from service.settings import Settings

log = logging.getLogger("articleqa.service")


def log_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's logging config with every articleqa and uvicorn record, and every library's warning, as one
    JSON line on stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "service.requestlog.JsonLineFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"}},
        # Libraries' warnings too (pymilvus', say): one JSON line each, never a plain one.
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "articleqa": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
        },
    }


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, host: str | None = None, port: int | None = None,
          log_level: str = "info") -> None:
    """Serve until interrupted; binds settings.host (127.0.0.1 by default) unless `host` is given."""
    host = host or settings.host
    port = port or settings.port
    logging.config.dictConfig(log_config(log_level.upper()))
    if not is_loopback(host) and settings.api_key is None:
        log.warning("listening on %s without ARTICLEQA_API_KEY: anyone who can reach it can search", host)
    uvicorn.run(create_app(settings), host=host, port=port, log_config=log_config(log_level.upper()),
                access_log=False, proxy_headers=False, server_header=False)
