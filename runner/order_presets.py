"""Order exports of Shopify, WooCommerce, PrestaShop and a generic CSV, read as orders with codes.

Column names (compared without case, accents, spaces or punctuation, first candidate present wins):
- Shopify admin > Orders > Export: one row per line item; `Name` (#1001), `Discount Code` (codes
  separated by commas), `Created at` (2027-01-09 15:02:26 +0100) and `Total` are on the order's
  first row only, so rows are grouped by `Name`.
- WooCommerce: the Customer/Order/Coupon Export and Import Export Suite columns (`order_id`,
  `order_number`, `order_date`, `order_total`, `coupon_items` as `code:HIVER20|amount:5.00;...`),
  and Analytics > Orders > Download (`Order #`, `Date`, `Coupon(s)`, `Net Sales`).
- PrestaShop: its order list export has no voucher column, so the export is an SQL Manager query
  (docs/cli.md) of `ps_orders` and `ps_cart_rule`: `reference`, `date_add`,
  `total_paid_tax_incl`, `codes`; the back office's French labels are accepted too.
- generic: `code,date,amount` (+ optional `order_id`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OrderPreset:
    order_id: tuple[str, ...]
    codes: tuple[str, ...]
    date: tuple[str, ...]
    amount: tuple[str, ...]


PRESETS: dict[str, OrderPreset] = {
    "shopify": OrderPreset(order_id=("Name", "Id"), codes=("Discount Code",),
                           date=("Created at", "Paid at"), amount=("Total",)),
    "woocommerce": OrderPreset(
        order_id=("order_number", "order_id", "Order #", "Commande #"),
        codes=("coupon_items", "Coupon(s)", "coupons", "coupon_code", "Code(s) promo"),
        date=("order_date", "date_created", "Date"),
        amount=("order_total", "Net Sales", "Ventes nettes", "total")),
    "prestashop": OrderPreset(
        order_id=("reference", "Référence", "id_order"),
        codes=("codes", "code", "cart_rules", "Bons de réduction", "Code promo"),
        date=("date_add", "Date"),
        amount=("total_paid_tax_incl", "total_paid", "Total")),
    "generic": OrderPreset(
        order_id=("order_id", "order", "commande", "numéro de commande", "order number"),
        codes=("code", "codes", "promo_code", "code promo", "coupon"),
        date=("date", "order_date", "date de commande"),
        amount=("amount", "montant", "total", "amount_eur")),
}


@dataclass(frozen=True)
class OrderColumns:
    preset: str
    order_id: str | None
    codes: str
    date: str
    amount: str | None


def _key(name: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", name).casefold() if ch.isalnum())


def find_column(header: Sequence[str], candidates: Sequence[str]) -> str | None:
    """The file's column for the first candidate present, compared without case, accents,
    spaces or punctuation."""
    by_key: dict[str, str] = {}
    for name in header:
        by_key.setdefault(_key(name), name)
    return next((by_key[_key(c)] for c in candidates if _key(c) in by_key), None)


def columns(preset: str, header: Sequence[str]) -> OrderColumns | None:
    """The file's columns for this preset; None when its code or date column is missing (or,
    for a platform, its order number or total, which tell it apart from a generic file)."""
    spec = PRESETS[preset]

    def find(candidates: tuple[str, ...]) -> str | None:
        return find_column(header, candidates)

    found = OrderColumns(preset, find(spec.order_id), find(spec.codes) or "", find(spec.date) or "",
                         find(spec.amount))
    required = [found.codes, found.date]
    if preset != "generic":
        required += [found.order_id or "", found.amount or ""]
    return found if all(required) else None


def detect(header: Sequence[str]) -> OrderColumns | None:
    for preset in PRESETS:
        if (found := columns(preset, header)) is not None:
            return found
    return None


def split_codes(cell: str) -> list[str]:
    """'HIVER20, VP7K3M9Q' or 'code:HIVER20|amount:5.00;code:VP7K3M9Q|amount:0' -> codes."""
    if "code:" in cell.lower():
        return [m.strip() for m in re.findall(r"(?i)code:([^|;]+)", cell) if m.strip()]
    return [code for code in re.split(r"[,;|\s]+", cell) if code]
