"""Datasette hooks: HTTP in, `runner.webhooks` / `runner.shortlinks` calls, HTTP out.

Routes exist only in a Datasette that `runner.web.make_datasette` built (it attaches the
project's `WebState`); a plain `datasette serve` with this package installed gets none."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils.asgi import Request, Response
from markupsafe import Markup, escape

from runner import charts
from runner.datasette.state import DASHBOARD, ROUTE_PREFIX, state_of
from runner.providers.base import WebhookCall
from runner.shortlinks import follow
from runner.webhooks import receive

if TYPE_CHECKING:
    from datasette.app import Datasette

FORM = "application/x-www-form-urlencoded"
# the cells that name a campaign and open its dashboard: (table, column); None = a query's rows
CAMPAIGN_CELLS = {("campaigns", "name"), ("campaign_kpis", "campaign_id"), (None, "campaign_id")}


async def _webhook(kind: Literal["dlr", "mo"], request: Request, datasette: Datasette) -> Response:
    state = state_of(datasette)
    if state is None:
        return Response.text("not found", status=404)
    provider = request.url_vars["provider"]
    body = await request.post_body() if request.method == "POST" else b""
    params = dict(parse_qsl(request.query_string, keep_blank_values=True))
    if request.headers.get("content-type", "").split(";")[0].strip() == FORM:
        params |= dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    now = state.clock()
    url = request.url  # providers sign the URL they called: the proxy's, not ours
    if state.public_url:
        url = state.public_url.rstrip("/") + request.path + (
            f"?{request.query_string}" if request.query_string else "")
    call = WebhookCall(kind=kind, method=request.method, url=url,
                       headers={k.lower(): v for k, v in request.headers.items()}, params=params,
                       body=body, received_at=now)
    answer = await state.write(lambda conn: receive(
        conn, provider, call, config=state.settings.providers.get(provider, {}), env=state.env,
        now=now, hash_key=state.hash_key, region=state.settings.region))
    return Response.text(answer.text, status=answer.status)


async def dlr(request: Request, datasette: Datasette) -> Response:
    return await _webhook("dlr", request, datasette)


async def mo(request: Request, datasette: Datasette) -> Response:
    return await _webhook("mo", request, datasette)


async def short_link(request: Request, datasette: Datasette) -> Response:
    state = state_of(datasette)
    if state is None:
        return Response.text("not found", status=404)
    token = request.url_vars["token"]
    target = await state.write(lambda conn: follow(
        conn, token, method=request.method, user_agent=request.headers.get("user-agent", ""),
        now=state.clock()))
    if target is None:
        return Response.html("<!doctype html><title>Lien inconnu</title><p>Ce lien n'existe pas "
                             "ou plus. / This link does not exist.</p>", status=404)
    return Response.redirect(target, status=302, headers={"cache-control": "no-store",
                                                          "referrer-policy": "no-referrer"})


async def chart(request: Request, datasette: Datasette) -> Response:
    """A dashboard chart as SVG, drawn on the server: for <img> in pages without JavaScript. The
    SQL and the spec come from metadata.yml, never from the request; only the campaign does."""
    name = request.url_vars["name"]
    if state_of(datasette) is None or name not in charts.CHARTS:
        return Response.text("no such chart", status=404)
    if not await datasette.permission_allowed(request.actor, "view-instance", default=True):
        return Response.text("forbidden: log in at /-/login", status=403)
    campaign = request.args.get("campaign") or None
    database = datasette.get_database()
    found = await database.execute_fn(lambda conn: charts.chart_rows(conn, name, campaign))
    svg = await asyncio.to_thread(charts.render, charts.chart_spec(name, found), "svg")
    return Response(svg.decode("utf-8"), content_type="image/svg+xml",
                    headers={"cache-control": "no-store"})


@hookimpl
def register_routes(datasette: Datasette) -> list[tuple[str, Any]]:
    state = state_of(datasette)
    if state is None:
        return []
    routes: list[tuple[str, Any]] = [
        (rf"^{ROUTE_PREFIX}/dlr/(?P<provider>[a-z0-9_]+)$", dlr),
        (rf"^{ROUTE_PREFIX}/mo/(?P<provider>[a-z0-9_]+)$", mo),
        (rf"^{ROUTE_PREFIX}/charts/(?P<name>[a-z0-9-]+)\.svg$", chart),
    ]
    if state.short_path is not None:
        routes.append((rf"^{state.short_path}/(?P<token>[A-Za-z0-9]{{8}})$", short_link))
    return routes


@hookimpl
def skip_csrf(datasette: Datasette, scope: dict[str, Any]) -> bool:
    """Providers POST without Datasette's CSRF cookie; the token or signature guards them."""
    return str(scope.get("path", "")).startswith(ROUTE_PREFIX + "/")


def dashboard_url(campaign: str) -> str:
    return f"{DASHBOARD}?{urlencode({'campaign': campaign})}"


@hookimpl
def render_cell(row: Any, value: object, column: str, table: str | None,
                datasette: Datasette) -> Markup | None:
    if state_of(datasette) is None or (table, column) not in CAMPAIGN_CELLS or not value:
        return None
    campaign = row["id"] if table == "campaigns" else str(value)
    return Markup(f'<a href="{escape(dashboard_url(campaign))}">{escape(str(value))}</a>')


@hookimpl(hookwrapper=True)
def menu_links(datasette: Datasette) -> Generator[None, Any, None]:
    """No "Log in" entry when no password is configured: there is nobody to log in as."""
    outcome = yield
    if state_of(datasette) is not None and not datasette.plugin_config("datasette-auth-passwords"):
        outcome.force_result([[link for link in links if not link["href"].endswith("/-/login")]
                              if isinstance(links, list) else links  # others may be awaitable
                              for links in outcome.get_result()])
