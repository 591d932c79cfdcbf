"""`smsops serve`: a Datasette on the results database only, with our plugin's routes.

The contacts database is never given to Datasette, downloads are off and there is no
cross-database SQL: a clear phone number has no way out (see docs/privacy in the README)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from datasette.app import Datasette

from runner.datasette.state import WebState, register
from runner.project import Project
from runner.store import open_store


def metadata(project: Project, plugin_config: dict[str, str]) -> dict[str, Any]:
    name = Path(project.settings.database).stem
    return {"title": f"smsops: {project.settings.advertiser}", "databases": {name: {}},
            "plugins": {"smsops": plugin_config}}


def make_datasette(project: Project, *, env: Mapping[str, str], hash_key: str,
                   clock: Callable[[], datetime] | None = None) -> Datasette:
    database = project.root / project.settings.database
    open_store(database).conn.close()  # created and migrated before Datasette reads it
    state = WebState(project.settings, database, env, hash_key)
    if clock is not None:
        state.clock = clock
    return Datasette([str(database)], metadata=metadata(project, register(state)),
                     settings={"allow_download": False, "allow_csv_stream": False})


def serve(datasette: Datasette, host: str, port: int) -> None:
    import uvicorn

    async def main() -> None:
        await datasette.invoke_startup()
        config = uvicorn.Config(datasette.app(), host=host, port=port, log_level="warning",
                                lifespan="on")
        await uvicorn.Server(config).serve()

    asyncio.run(main())
