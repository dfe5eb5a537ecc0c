"""The console's aiohttp application: settings, database engine, middlewares, pages.

``make_app(settings)`` is what ``python -m console serve`` and the tests run. Each page is a
module ``console.pages.<name>`` exposing ``routes = web.RouteTableDef()``; ``PAGES`` lists them.
All of them are imported plainly: a broken page stops the console at start, not at first use.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from pathlib import Path
from typing import List, Optional

from aiohttp import web

from console import security
from console.settings import ConsoleSettings
from policy_kb.db import get_engine

log = logging.getLogger(__name__)

PAGES = ("leads", "questions", "inbox", "stats", "accounts")
STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY = 1024 * 1024  # forms only: no uploads


def _load_pages(app: web.Application) -> List[str]:
    """Register every page of PAGES (an import error in a page stops the console: better at start)."""
    for name in PAGES:
        app.router.add_routes(importlib.import_module(f"console.pages.{name}").routes)
    return list(PAGES)


def make_app(settings: Optional[ConsoleSettings] = None) -> web.Application:
    settings = settings or ConsoleSettings.from_env()
    app = web.Application(
        middlewares=[security.headers_middleware, security.session_middleware], client_max_size=MAX_BODY
    )
    with warnings.catch_warnings():
        # The shared design names plain string keys (app["settings"], app["db_url"], app["engine"])
        # that every page module uses; aiohttp 3.9 merely recommends AppKey objects.
        warnings.simplefilter("ignore", web.NotAppKeyWarning)
        app["settings"] = settings
        app["db_url"] = settings.db_url
        app["engine"] = get_engine(settings.db_url)
        app.router.add_routes(security.routes)
        app["pages"] = _load_pages(app)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=False)
    return app
