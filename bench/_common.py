"""Shared helpers of the benchmarks: synthetic contacts, timing a command with its peak memory."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEADER = ("phone;first_name;last_name;city;birthday;last_purchase;total_spent;tags;consent;"
          "consent_date;consent_source")
FIRST = ["Camille", "Hélène", "Léa", "Lucas", "Manon", "Zoé", "Théo", "Inès", "Sébastien", "Jules"]
LAST = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy"]
CITIES = ["Nantes", "Rezé", "Vertou", "La Roche-sur-Yon", "Saint-Nazaire", "Angers", "Cholet"]
CONSENT = ["oui", "opt_in", "customer_soft_opt_in", "x", "non", ""]


def _phone(rng: random.Random, n: int) -> str:
    """Synthetic French mobiles in the shapes exports use; generated here, never sent anywhere."""
    # metropolitan mobile ranges (6 0-2/4-8, 7 3-9), as a shop's customers mostly have
    digits = rng.choice(["6" + rng.choice("0124578"), "7" + rng.choice("3456789")]) + f"{n % 10**7:07d}"
    shape = n % 5
    if shape == 0:
        return "0" + " ".join([digits[0], digits[1:3], digits[3:5], digits[5:7], digits[7:9]])
    if shape == 1:
        return "+33 " + digits[0] + " " + digits[1:5] + " " + digits[5:]
    if shape == 2:
        return "0" + ".".join([digits[:1] + digits[1:3], digits[3:5], digits[5:7], digits[7:9]])
    if shape == 3:
        return "0" + digits
    return "+33" + digits


def write_contacts(path: Path, rows: int, seed: int = 1) -> None:
    """rows lines; 2 % repeat an earlier number, 1 % are invalid (letters, Excel notation, landline)."""
    rng = random.Random(seed)
    invalid = ["6,39980001E+08", "appeler le soir", "01 99 00 12 34", ""]
    seen: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        for _row in range(rows):
            draw = rng.random()
            if draw < 0.01:
                phone = rng.choice(invalid)
            elif draw < 0.03 and seen:
                phone = rng.choice(seen)
            else:
                phone = _phone(rng, rng.randrange(10**8))
                if len(seen) < 10_000:
                    seen.append(phone)
            out.write(f"{phone};{rng.choice(FIRST)};{rng.choice(LAST)};{rng.choice(CITIES)};"
                      f"{rng.randrange(1, 29):02d}/{rng.randrange(1, 13):02d}/{rng.randrange(1940, 2008)};"
                      f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d};"
                      f"{rng.randrange(0, 500)},{rng.randrange(0, 100):02d};{rng.choice(['', 'vip'])};"
                      f"{rng.choice(CONSENT)};2025-06-01;store:Nantes\r\n")


def make_project(root: Path, rows: int) -> Path:
    shutil.copy(REPO / "smsops.yaml", root / "smsops.yaml")
    (root / "campaigns").mkdir()
    (root / "audiences").mkdir()
    shutil.copy(REPO / "campaigns" / "vente-privee.yaml", root / "campaigns")
    (root / "audiences" / "clients.yaml").write_text(
        "kind: contacts\nfile: clients.csv\nconsent: consent\nconsent_date: consent_date\n"
        "consent_source: consent_source\n", encoding="utf-8")
    (root / "audiences" / "clients-actifs.yaml").write_text(
        "kind: segment\ncontacts: clients\nwhere:\n  all:\n"
        "    - city: {in: [Nantes, Rezé, Vertou]}\n    - total_spent: {gte: 50}\n"
        "    - last_purchase: {within_days: 365}\n", encoding="utf-8")
    write_contacts(root / "audiences" / "clients.csv", rows)
    return root


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_rss_mb: float


def measure(command: list[str], cwd: Path) -> Measure:
    """Wall time and peak resident memory of one child process (os.wait4 gives its own rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{command[0]} failed: {child.stderr.read().decode()[-2000:] if child.stderr else ''}")
    return Measure(elapsed, usage.ru_maxrss / 1024)
