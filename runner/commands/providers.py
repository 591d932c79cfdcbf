"""`smsops providers check`: the configured providers' settings and environment variables,
checked without sending anything; names what is missing, never prints a secret."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import click

from runner.i18n import _
from runner.phones import HASH_KEY_ENV
from runner.project import load_project
from runner.providers import PROVIDERS, setting_warnings
from runner.providers.base import WEBHOOK_TOKEN_ENV, ProviderConfigError


@click.group("providers")
def providers_group() -> None:
    """The SMS providers this project sends through."""


@providers_group.command("check")
@click.pass_obj
def providers_check(root: Path) -> None:
    """Check each provider the project uses (settings, environment variables), sending nothing."""
    project = load_project(root)
    settings = project.settings
    names = sorted({settings.provider} | {c.provider for c in project.campaigns.values() if c.provider})
    problems = 0
    for name in names:
        if name not in PROVIDERS:
            click.echo(_("{name}: not available; choose one of {names}").format(
                name=name, names=", ".join(PROVIDERS)))
            problems += 1
            continue
        try:
            provider = PROVIDERS[name](settings.providers.get(name, {}), os.environ, project.root,
                                       lambda: datetime.now(UTC))
        except ProviderConfigError as err:
            click.echo(f"{name}: {err}")
            problems += 1
            continue
        asyncio.run(provider.aclose())
        caps = provider.capabilities
        click.echo(_("{name}: ready ({price} €/part, {rate}/s, up to {parts} parts{stop})").format(
            name=name, price=caps.price_eur_per_part, rate=caps.rate_per_second,
            parts=caps.max_parts, stop=_(", appends '{text}'").format(text=caps.appends_stop.strip())
            if caps.appends_stop else ""))
        for warning in setting_warnings(settings, name):
            click.echo(_("{name}: warning: {warning}").format(name=name, warning=warning))
    if names != ["simulator"]:
        for variable, why in ((HASH_KEY_ENV, _("hashes numbers for the opt-out list")),
                              (WEBHOOK_TOKEN_ENV, _("guards the webhooks of smsops serve"))):
            if not os.environ.get(variable):
                click.echo(_("{variable} is not set: it {why}").format(variable=variable, why=why))
                problems += 1
    if problems:
        raise SystemExit(1)
