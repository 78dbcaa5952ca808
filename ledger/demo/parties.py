"""Who takes part in a demo project: tenderer, agent, sections with their bidders, experts.

Role: draw the parties (with distinct device, network, certificate and bank identifiers per
bidder, as in a lawful trail) and apply the identifier-sharing plants (same MAC, machine
code, CA certificate, file hash, bond account). Pure. Must not import the store, the API
or the verifier.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ledger.demo import names
from ledger.demo.names import Org, Person


@dataclass(frozen=True)
class Bidder:
    org: Org
    user_id: str
    rep_id: str
    pm_id: str
    ip: str
    mac: str
    machine_code: str
    device_fp: str
    ca_serial: str
    ca_subject: str
    account: str
    author: str
    license_serial: str
    file_hash: str
    file_size: int
    price: Decimal = Decimal(0)


@dataclass
class Section:
    section_id: str
    index: int
    max_price: Decimal
    bidders: list[Bidder]
    members: list[tuple[Person, str]] = field(default_factory=list)  # (person, role)
    room: str = ""


@dataclass
class Parties:
    tenderer: Org
    agent: Org
    tenderer_user: str
    agent_user: str
    office_ip: str
    agent_ip: str
    sections: list[Section]
    city: str = "沈阳"  # the project's city: its tenderer, supervisors and trading center

    @property
    def region_code(self) -> str:
        """The city's 6-digit 行政区划代码 (what region-scoped supervisor tokens match)."""
        return f"{names.CITY_CODES[self.city]}00"


def _bidder(rng: random.Random, subject: str, used_names: set[str], used_ips: set[str]) -> Bidder:
    org = names.company(rng, subject, used_names)
    short = org.org_id[-6:]
    return Bidder(
        org=org, user_id=f"u-{short.lower()}-{rng.choice(names.PINYIN)}",
        rep_id=f"REP-{short}-{rng.randrange(100):02d}", pm_id=f"PM-{names.hexid(rng, 12)}",
        ip=names.public_ip(rng, used_ips), mac=names.mac(rng),
        machine_code=f"MC-{names.hexid(rng, 4)}-{names.hexid(rng, 4)}-{names.hexid(rng, 4)}",
        device_fp=f"fp-{names.hexid(rng, 16).lower()}", ca_serial=names.hexid(rng, 16),
        ca_subject=org.org_id,
        account=f"{rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)} "
                f"{rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)}",
        author=f"{rng.choice(names.PINYIN)}.{short.lower()}",
        license_serial=f"LNTB-52-{rng.randrange(10**8):08d}", file_hash=names.sha(rng),
        file_size=rng.randrange(8_000_000, 90_000_000),
    )


def draw_parties(rng: random.Random, project_id: str, subject: str, amount: Decimal,
                 bidder_counts: list[int], city: str = "沈阳") -> Parties:
    """Tenderer, agent and per-section bidders (every name, id and identifier distinct)."""
    used_names: set[str] = set()
    used_ips: set[str] = set()
    name, kind = rng.choice(_TENDERERS)
    tenderer = Org(names.credit_code(rng, city, kind), f"{city}市{name}")
    agent_name, agent_city = rng.choice(_AGENTS)
    agent = Org(names.credit_code(rng, agent_city), agent_name)
    per_section = amount / len(bidder_counts)
    sections = [
        Section(f"{project_id}-S{k + 1:02d}", k, (per_section * Decimal("0.97")).quantize(
            Decimal("0.01")), [_bidder(rng, subject, used_names, used_ips) for _ in range(n)])
        for k, n in enumerate(bidder_counts)
    ]
    return Parties(tenderer, agent, f"tenderer-{rng.choice(names.PINYIN)}",
                   f"agent-{rng.choice(names.PINYIN)}", names.public_ip(rng, used_ips),
                   names.public_ip(rng, used_ips), sections, city)


# Tenderers (the city is prefixed) with the credit code's authority and type: 11 a state
# organ, 12 a public institution; agents with the city that registered them.
_TENDERERS = (("城乡建设事务服务中心", "12"), ("机关事务服务中心", "12"), ("交通运输局", "11"),
              ("教育局", "11"), ("卫生健康委员会", "11"))
_AGENTS = (("辽宁中诚工程咨询有限公司", "沈阳"), ("辽宁求实招标代理有限公司", "沈阳"),
           ("大连信达投资咨询监理有限公司", "大连"), ("鞍山国信招标代理有限公司", "鞍山"))

_SHARED = {
    "same_mac": ("mac",), "same_machine_code": ("machine_code",),
    "same_ca": ("ca_serial", "ca_subject"), "same_file_hash": ("file_hash", "file_size"),
    "same_bond_account": ("account",),
}


def plant_sharing(section: Section, planted: frozenset[str]) -> None:
    """Copy the planted identifiers of bidder 0 onto bidder 1 of ``section``."""
    if len(section.bidders) < 2:
        return
    first, second = section.bidders[0], section.bidders[1]
    for cls, attrs in _SHARED.items():
        if cls in planted:
            second = replace(second, **{a: getattr(first, a) for a in attrs})
    section.bidders[1] = second


def draw_prices(rng: random.Random, section: Section, pattern: bool) -> None:
    """Bid prices under the ceiling; irregular unless ``pattern`` (arithmetic spacing)."""
    top = section.max_price
    n = len(section.bidders)
    if pattern:
        step = (top * Decimal("0.006")).quantize(Decimal("1"))
        base = (top * Decimal("0.95")).quantize(Decimal("1"))
        prices = [base - i * step for i in range(n)]
    else:
        while True:
            prices = [(top * Decimal(rng.randint(8600, 9850)) / 10000 +
                       Decimal(rng.randint(0, 99)) / 100).quantize(Decimal("0.01"))
                      for _ in range(n)]
            if len(set(prices)) == n and not regular(prices):
                break
    section.bidders = [replace(b, price=p) for b, p in zip(section.bidders, prices, strict=True)]


def regular(prices: list[Decimal], tol: Decimal = Decimal("0.05")) -> bool:
    """True when sorted prices are near-evenly spaced, arithmetically or geometrically
    (a generous margin so that lawful prices stay far from R-TBR-40-4-PRICE-PATTERN)."""
    p = sorted(prices)
    if len(p) < 3:
        return False
    pairs = list(itertools.pairwise(p))
    series: list[list[Decimal]] = [[b - a for a, b in pairs], [b / a - 1 for a, b in pairs]]
    for base in series:
        mean = sum(base, Decimal(0)) / len(base)
        if mean == 0 or max(abs(g - mean) for g in base) <= tol * abs(mean):
            return True
    return False
