"""`smsops serve`: a Datasette on the results database only, with our plugin's routes.

The contacts database is never given to Datasette, downloads are off and there is no
cross-database SQL: a clear phone number has no way out (see docs/privacy in the README)."""

from __future__ import annotations

import asyncio
import copy
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from datasette.app import Datasette

from runner import charts
from runner.datasette.state import DASHBOARD, WebState, register
from runner.project import Project
from runner.store import open_store

PASSWORD_HASH_ENV = "SMSOPS_SERVE_PASSWORD_HASH"  # `datasette hash-password` output
DESCRIPTION = (f'SMS campaign results: masked numbers and keyed hashes only. <a href="{DASHBOARD}">'
               "Dashboard</a> of all campaigns; a campaign's own opens from its id in "
               '<a href="/{database}/campaign_kpis">campaign_kpis</a> '
               f"(<code>{DASHBOARD}?campaign=ID</code>).")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def metadata(project: Project, plugin_config: dict[str, str], env: Mapping[str, str]) -> dict[str, Any]:
    """Descriptions, canned KPI queries and dashboards of the results database; with a password
    hash in the environment, every page (not the webhooks and short links) needs a login."""
    described = copy.deepcopy(charts.described())
    name = Path(project.settings.database).stem
    found: dict[str, Any] = {
        "title": f"smsops · {project.settings.advertiser}",
        "description_html": DESCRIPTION.format(database=name),
        "databases": {name: {"description_html": DESCRIPTION.format(database=name),
                             "tables": described["tables"], "queries": described["queries"]}},
        "plugins": {"smsops": plugin_config, "datasette-dashboards": _dashboards(
            described["dashboards"], name)},
    }
    if env.get(PASSWORD_HASH_ENV):
        found["allow"] = {"id": "smsops"}
        found["plugins"]["datasette-auth-passwords"] = {
            "smsops_password_hash": {"$env": PASSWORD_HASH_ENV}}
    return found


def _dashboards(dashboards: dict[str, Any], database: str) -> dict[str, Any]:
    for board in dashboards.values():
        for part in [*board["charts"].values(), *board["filters"].values()]:
            if "query" in part:
                part["db"] = database
    return dashboards


def make_datasette(project: Project, *, env: Mapping[str, str], hash_key: str,
                   clock: Callable[[], datetime] | None = None,
                   public_url: str | None = None) -> Datasette:
    database = project.root / project.settings.database
    open_store(database).conn.close()  # created and migrated before Datasette reads it
    zone = project.settings.zone
    state = WebState(project.settings, database, env, hash_key,
                     clock=clock or (lambda: datetime.now(zone)),  # clicks by local hour
                     public_url=public_url)
    return Datasette([str(database)], metadata=metadata(project, register(state), env),
                     settings={"allow_download": False, "allow_csv_stream": False,
                               "suggest_facets": False})  # suggestions rescan big tables


def exposure_warning(datasette: Datasette, host: str) -> str | None:
    """What to say when other machines can reach a Datasette that asks for no password."""
    if host in LOOPBACK or datasette.plugin_config("datasette-auth-passwords"):
        return None
    return (f"warning: --host {host} is reachable from other machines and no password is set: "
            f"anyone there can read the results; export {PASSWORD_HASH_ENV} (the output of "
            "`datasette hash-password`) or keep --host 127.0.0.1")


def serve(datasette: Datasette, host: str, port: int) -> None:
    import uvicorn

    warning = exposure_warning(datasette, host)
    if warning:
        print(warning, file=sys.stderr)

    async def main() -> None:
        await datasette.invoke_startup()
        config = uvicorn.Config(datasette.app(), host=host, port=port, log_level="warning",
                                lifespan="on")
        await uvicorn.Server(config).serve()

    asyncio.run(main())
