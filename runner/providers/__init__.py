"""Provider adapters, one module each, behind one table (names are the `provider:` values)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from runner.diagnostics import Diagnostic, SmsopsError
from runner.i18n import _
from runner.project import Project
from runner.providers import allmysms, brevo, kannel, ovh, twilio
from runner.providers.allmysms import create as create_allmysms
from runner.providers.base import Capabilities, Provider, ProviderConfigError
from runner.providers.brevo import create as create_brevo
from runner.providers.kannel import create as create_kannel
from runner.providers.ovh import appended_stop as ovh_appended_stop
from runner.providers.ovh import create as create_ovh
from runner.providers.simulator import create as create_simulator
from runner.providers.twilio import create as create_twilio
from runner.settings import Settings

Factory = Callable[[Mapping[str, Any], Mapping[str, str], Path, Callable[[], datetime]], Provider]

PROVIDERS: dict[str, Factory] = {
    "simulator": lambda config, env, root, clock: create_simulator(config, env, root=root,
                                                                   clock=clock),
    "kannel": lambda config, env, root, clock: create_kannel(config, env),
    "brevo": lambda config, env, root, clock: create_brevo(config, env, clock=clock),
    "ovh": lambda config, env, root, clock: create_ovh(config, env, clock=clock),
    "allmysms": lambda config, env, root, clock: create_allmysms(config, env, clock=clock),
    "twilio": lambda config, env, root, clock: create_twilio(config, env, clock=clock),
}


# The secrets each provider reads, by setting and default variable name (product.md): the
# scheduled workflow must pass every one of them (tests/test_workflows.py checks it).
ENV_DEFAULTS: dict[str, Mapping[str, str]] = {
    "kannel": kannel.ENV_DEFAULTS, "brevo": brevo.ENV_DEFAULTS, "ovh": ovh.ENV_DEFAULTS,
    "allmysms": allmysms.ENV_DEFAULTS, "twilio": twilio.ENV_DEFAULTS}


# Providers that add their own STOP text to every message: the rules and the plan count it
# without building the provider (CI has no provider secrets).
APPENDED_STOP: dict[str, Callable[[Mapping[str, Any]], str | None]] = {"ovh": ovh_appended_stop}


# Most SMS parts a provider takes when smsops.yaml does not say (the length rule caps at it).
DEFAULT_MAX_PARTS: dict[str, int] = {"allmysms": allmysms.MAX_PARTS}


# Providers whose opt-out short code is their own (providers.md: AllMySMS answers STOPs on
# 36180): a STOP mention naming another number would point people at a number that ignores them.
STOP_SHORT_CODE: dict[str, str] = {"allmysms": allmysms.STOP_SHORT_CODE}


def provider_max_parts(settings: Settings, name: str) -> int:
    config = settings.providers.get(name, {})
    return int(config.get("max_parts", DEFAULT_MAX_PARTS.get(name, Capabilities.max_parts)))


# Settings that work but lose something, per provider (`smsops providers check` warns).
WARNINGS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {"twilio": twilio.setting_warnings}


def setting_warnings(settings: Settings, name: str) -> list[str]:
    config = settings.providers.get(name, {})
    unpriced = [] if name == "simulator" or "price_eur_per_part" in config else [_(
        "no price_eur_per_part: the plan, the budgets and the report count 0 € per part")]
    found = WARNINGS.get(name)
    return unpriced + (found(config) if found else [])


def appended_stop(settings: Settings, name: str) -> str | None:
    found = APPENDED_STOP.get(name)
    return found(settings.providers.get(name, {})) if found else None


def make_provider(project: Project, name: str, env: Mapping[str, str],
                  clock: Callable[[], datetime]) -> Provider:
    settings = project.settings
    if name not in PROVIDERS:
        raise SmsopsError(Diagnostic.at(settings.doc.at("provider"), "schema", _(
            "provider '{name}' cannot send yet; available: {names}").format(
            name=name, names=", ".join(PROVIDERS))))
    try:
        return PROVIDERS[name](settings.providers.get(name, {}), env, project.root, clock)
    except ProviderConfigError as err:
        raise SmsopsError(Diagnostic.at(settings.doc.at("providers", name), "schema",
                                        str(err))) from None
