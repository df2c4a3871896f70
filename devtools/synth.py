"""Synthetic knowledge bases of any size, shaped like the real one, for measuring the build.

`kb-dev bench` needs knowledge bases of 100, 1,000 and 10,000 records that look like the real one
to every stage of the build: the same kinds in a market-like mix, several citations and
`[[links]]` per record, status histories, partial dates, sources that cite sources, text of
realistic length, and a few names with accents and apostrophes. Nothing here is a fact: names
are made of invented syllables and every URL is under the reserved `.example` domain, so a
synthetic record can never be mistaken for a real one.

Same entity count and seed, same bytes: every choice comes from one `random.Random(seed)` in a
fixed order, and files are written in sorted order. The knowledge base passes `kb check
--strict` (tests/test_synth.py checks it).

Generation runs in two passes, like the validator: first every record's structure (ids, names,
who makes what, which sources exist) so that any record can link to any other, then each
record's text and citations, which refer to the structure.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import textwrap
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Share of each kind per 100 records: many products and people per organization, a source for
# every eight records or so, as a market knowledge base grows (the seed dataset, from one
# article, has more organizations than a grown one would).
KIND_SHARES = {
    "organization": 12,
    "person": 14,
    "product": 24,
    "source": 12,
    "relationship": 13,
    "event": 15,
    "quote": 10,
}
PLURALS = {
    "organization": "organizations",
    "person": "people",
    "product": "products",
    "source": "sources",
    "relationship": "relationships",
    "event": "events",
    "quote": "quotes",
}
# Below this, the mix has too few organizations for one of each role (maker, carrier, retailer,
# publisher, government) that relationships and sources need.
MIN_ENTITIES = 50
# Relationship type -> (the maker's role, the other party's role or None): see relationship.yaml.
PARTY_ROLES = {
    "carrier-partnership": ("maker", "carrier"),
    "carrier-launch-deal": ("maker", "carrier"),
    "retail-distribution": ("supplier", "retailer"),
    "government-ban": ("target", "issuer"),
    "government-warning": ("target", "issuer"),
    "market-entry": ("entrant", None),
}
MARKER_FILE = ".kb-synth"  # in DIR/facts: says the folder is synthetic and may be replaced
# What a build needs besides facts/, copied from the repository so `kb build DIR` works.
SITE_FILES = ("mkdocs.yml",)
SITE_FOLDERS = ("content", "overrides", "templates")
WRAP_WIDTH = 96

ROLE_WEIGHTS = {
    "manufacturer": 44,
    "carrier": 12,
    "retailer": 16,
    "news-publisher": 14,
    "government-agency": 7,
    "government": 3,
    "trade-show": 4,
}
ROLE_NAME_WORDS = {
    "manufacturer": ["Mobile", "Electronics", "Devices", "Technologies", "Labs", "Systems"],
    "carrier": ["Wireless", "Telecom", "Cellular", "Networks", "Mobile Communications"],
    "retailer": ["Stores", "Market", "Retail", "Outlet", "Shop"],
    "news-publisher": ["Daily", "Tech Review", "Times", "Wire", "Ledger", "Post"],
    "government-agency": ["Commission", "Bureau", "Agency", "Office"],
    "government": ["Federal Government", "Ministry", "State Council"],
    "trade-show": ["Expo", "Summit", "World Congress"],
}
# fmt: off
# Word lists, kept compact: one vocabulary per line group.
SYLLABLES_START = [
    "Nor", "Vex", "Bel", "Cor", "Zan", "Tri", "Lum", "Kai", "Ora", "Sol", "Vir", "Qui", "Mar",
    "Tel", "Axi", "Ryn", "Dal", "Fen", "Gal", "Hel", "Ix", "Jun", "Kor", "Lys", "Mon", "Nex",
    "Pol", "Quo", "Ril", "Sen", "Tor", "Ul", "Vel", "Wyn", "Xan", "Yar", "Zel", "Bri", "Cal",
]
SYLLABLES_END = ["a", "ex", "on", "ia", "ix", "or", "us", "ar", "en", "io", "um", "is", "ent"]
COUNTRIES = [
    "United States", "China", "South Korea", "Japan", "Taiwan", "Germany", "Finland", "India",
    "Canada", "United Kingdom", "Sweden", "France",
]
FIRST_NAMES = [
    "Alice", "Ben", "Chen", "Dana", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jae", "Kofi",
    "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
    "Wei", "Ximena", "Yuki", "Zoë", "José", "Łukasz", "Søren", "Chloé", "Renée", "Aarav",
    "Bianca", "Carlos", "Deepa", "Emeka", "Fatima", "Gabriel", "Hana", "Ivan", "Jia", "Kenji",
    "Laila", "Minh", "Noor", "Olga", "Pablo", "Rahul", "Sara", "Tomás", "Uma", "Viktor",
]
LAST_NAMES = [
    "Chen", "Park", "Müller", "Nakamura", "O'Brien", "García", "Kowalski", "Singh", "Okafor",
    "Larsen", "Rossi", "Haddad", "Novak", "Tanaka", "Silva", "Kim", "Dubois", "Ivanova",
    "Nguyen", "Cohen", "Schmidt", "Patel", "Yilmaz", "Moreau", "Andersson", "Costa", "Reyes",
    "Fischer", "Sato", "Lindqvist", "Mensah", "Wójcik", "Bauer", "Hoang", "Ortiz", "Varga",
    "Kaur", "Lopez", "Zhang", "Abe", "Brennan", "Duarte", "Eriksen", "Ferreira", "Gupta",
]
TITLES = [
    "Chief Executive Officer", "Chairman", "President", "Chief Technology Officer",
    "Head of North America", "Vice President of Sales", "Chief Marketing Officer",
    "General Manager", "Spokesperson", "Director of Product", "Chief Operating Officer",
]
PRODUCT_LINES = [
    "Nova", "Edge", "Pulse", "Aero", "Vibe", "Zen", "Flex", "Spark", "Orbit", "Prime", "Halo",
    "Note", "Air", "Wave", "Echo", "Terra", "Luma", "Volt", "Sky", "Core",
]
PRODUCT_SUFFIXES = ["", "", "", " Pro", " Plus", " Lite", " Max", " Mini", " Ultra"]
# fmt: on
CATEGORY_WEIGHTS = {
    "smartphone": 55,
    "tv-set-top-box": 6,
    "headphones": 10,
    "battery-pack": 6,
    "camera": 6,
    "educational-kit": 3,
    "accessory": 10,
    "other": 4,
}
CATEGORY_WORDS = {
    "smartphone": "phone",
    "tv-set-top-box": "streaming box",
    "headphones": "pair of wireless earphones",
    "battery-pack": "portable battery",
    "camera": "360-degree camera",
    "educational-kit": "coding kit for children",
    "accessory": "phone accessory",
    "other": "smart home device",
}
SOURCE_KIND_WEIGHTS = {
    "news-article": 70,
    "press-release": 10,
    "report": 8,
    "interview": 5,
    "filing": 4,
    "news-report": 3,
}
EVENT_TYPES = ["ban", "warning", "cancellation", "launch", "expansion", "plan", "report", "remark"]
STATUS_PATHS = [
    ["planned", "announced", "active"],
    ["announced", "active"],
    ["planned", "cancelled"],
    ["announced", "active", "ended"],
    ["planned", "announced", "cancelled"],
    ["active"],
    ["planned", "announced", "active", "ended"],
]
PARTS_OF_YEAR = ["early", "mid", "late", "end"]
# Clauses that make text as long as real summaries, in the same register; {a} and {b} are links.
FILLER = [
    "the move followed months of talks with {a}",
    "analysts quoted by {a} saw it as a test of demand in the mid-range segment",
    "the company had earlier focused on markets in Asia and Europe",
    "its prices undercut most rivals in the same tier",
    "{a} and {b} had been named as possible partners",
    "the plan depended on approval from carriers and regulators",
    "sales were first limited to online channels",
    "the timing was reported without an exact date",
    "coverage by {a} put the figures in doubt",
    "it came shortly after a similar step by {a}",
    "reports disagreed on how many units were shipped in the first quarter",
    "the deal excluded prepaid plans at first",
    "{a} declined to comment on the details",
    "the product was later offered through {a} as well",
    "industry observers linked it to pressure on {a}",
    "support for the network bands used by {a} came in a later update",
]
QUOTE_TEMPLATES = [
    "We plan to bring {product} to customers in the US by {year}, working with carriers "
    "such as {carrier}.",
    "Our priority this year is the mid-range: phones that do almost everything a flagship "
    "does at half the price.",
    "We have always been considering the US market, but we will enter it step by step.",
    "The partnership with {carrier} lets us reach customers we could never reach online alone.",
    "We will not cut corners on security to win a contract, whatever the pressure.",
    "Demand for {product} has been stronger than we expected, especially among students.",
    "Retail is still where most people decide which phone to buy, so {retailer} matters to us.",
    "It is too early to say when the next model will ship, but the work has started.",
]


@dataclass
class SynthRecord:
    """One record being made: its kind, id, data (in schema order) and its neighbours."""

    kind: str
    id: str
    data: dict = field(default_factory=dict)
    related: list[str] = field(default_factory=list)  # ids its text is likely to mention


class SynthError(Exception):
    """A request `kb-dev synth` refuses (unsafe output folder, too few entities)."""


def kind_counts(entities: int) -> dict[str, int]:
    """How many records of each kind make `entities`, by largest remainder (sums exactly)."""
    if entities < MIN_ENTITIES:
        raise SynthError(f"--entities must be at least {MIN_ENTITIES}, got {entities}")
    total = sum(KIND_SHARES.values())
    exact = {kind: entities * share / total for kind, share in KIND_SHARES.items()}
    counts = {kind: int(value) for kind, value in exact.items()}
    short = entities - sum(counts.values())
    by_remainder = sorted(exact, key=lambda kind: (counts[kind] - exact[kind], kind))
    for kind in by_remainder[:short]:
        counts[kind] += 1
    return counts


def _slug(text: str, limit: int = 60) -> str:
    """An id made of the text's words, cut at a word boundary to at most `limit` characters."""
    folded = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    ascii_only = ascii_only.replace("ł", "l").replace("Ł", "L").replace("ø", "o")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_only.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[: limit + 1].rsplit("-", 1)[0]
    return slug


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


class _Synthesizer:
    """Makes one knowledge base; every random choice goes through `self.rng`, in order."""

    def __init__(self, entities: int, seed: int):
        self.rng = random.Random(seed)
        self.counts = kind_counts(entities)
        self.records: dict[str, SynthRecord] = {}
        self.by_kind: dict[str, list[SynthRecord]] = {kind: [] for kind in KIND_SHARES}
        self.names: set[str] = set()  # folded names and aliases: no two records share one
        self.orgs_by_role: dict[str, list[SynthRecord]] = {role: [] for role in ROLE_WEIGHTS}
        self.products_by_maker: dict[str, list[SynthRecord]] = {}
        self.people_by_org: dict[str, list[SynthRecord]] = {}
        self.sources_via: dict[str, str] = {}  # news report -> the source that cites it

    # -- helpers -------------------------------------------------------------------------

    def pick(self, items: list, count: int = 1) -> list:
        return self.rng.sample(items, min(count, len(items)))

    def weighted(self, weights: dict[str, int]) -> str:
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def add(self, kind: str, wanted_id: str) -> SynthRecord:
        record_id = wanted_id or kind
        number = 2
        while record_id in self.records:
            record_id = f"{wanted_id}-{number}"
            number += 1
        record = SynthRecord(kind=kind, id=record_id)
        self.records[record_id] = record
        self.by_kind[kind].append(record)
        return record

    def unique_name(self, make) -> str:
        """A name no record has yet; falls back to a numbered one after a few tries."""
        for _ in range(8):
            name = make()
            if _fold(name) not in self.names:
                break
        else:
            base, number = name, 2
            while _fold(name) in self.names:
                name = f"{base} {number}"
                number += 1
        self.names.add(_fold(name))
        return name

    def maybe_alias(self, name: str, candidates: list[str]) -> list[str]:
        aliases = []
        for alias in candidates:
            if _fold(alias) not in self.names:
                self.names.add(_fold(alias))
                aliases.append(alias)
        return aliases

    def date(self, low: int, high: int, precisions: str = "ymdpa") -> str:
        year = self.rng.randint(low, high)
        precision = self.rng.choice(precisions)
        if precision == "y":
            return f"{year}"
        if precision == "m":
            return f"{year}-{self.rng.randint(1, 12):02d}"
        if precision == "d":
            return f"{year}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        if precision == "p":
            return f"{self.rng.choice(PARTS_OF_YEAR)} {year}"
        return f"{year}-{self.rng.randint(1, 12):02d}~"

    def link(self, record_id: str) -> str:
        record = self.records[record_id]
        label = record.data.get("name") if self.rng.random() < 0.25 else None
        return f"[[{record_id}|{label}]]" if label else f"[[{record_id}]]"

    def linkable(self, record: SynthRecord) -> str:
        """A record to mention in `record`'s text: a neighbour mostly, anyone sometimes."""
        if record.related and self.rng.random() < 0.8:
            return self.rng.choice(record.related)
        while True:
            other = self.rng.choice(self.all_ids)
            if other != record.id:
                return other

    def text(self, record: SynthRecord, opening: str, low: int, high: int) -> str:
        """`opening` plus filler sentences with links, until it is `low`..`high` characters."""
        target = self.rng.randint(low, high)
        sentences = [opening]
        length = len(opening)
        clauses = self.rng.sample(FILLER, len(FILLER))  # no sentence twice in one text
        while length < target and clauses:
            clause = clauses.pop().format(
                a=self.link(self.linkable(record)), b=self.link(self.linkable(record))
            )
            sentence = clause[0].upper() + clause[1:] + "."
            sentences.append(sentence)
            length += len(sentence) + 1
        return " ".join(sentences)

    # -- pass 1: structure ---------------------------------------------------------------

    def make_organizations(self) -> None:
        fixed_roles = ["manufacturer", "carrier", "retailer", "news-publisher", "government"]
        for index in range(self.counts["organization"]):
            role = fixed_roles[index] if index < len(fixed_roles) else self.weighted(ROLE_WEIGHTS)
            word = self.rng.choice(ROLE_NAME_WORDS[role])

            def make(word=word) -> str:
                stem = self.rng.choice(SYLLABLES_START) + self.rng.choice(SYLLABLES_END)
                if self.rng.random() < 0.4:
                    stem += self.rng.choice(SYLLABLES_END)
                return f"{stem} {word}"

            name = self.unique_name(make)
            record = self.add("organization", _slug(name))
            roles = [role]
            if role == "manufacturer" and self.rng.random() < 0.2:
                roles.append("retailer")
            data = record.data
            data["name"] = name
            if self.rng.random() < 0.3:
                aliases = self.maybe_alias(name, [f"{name.split()[0]} Inc.", f"{name} Group"])
                if aliases:
                    data["aliases"] = aliases[: self.rng.randint(1, len(aliases))]
            data["roles"] = roles
            if role == "government-agency" and self.rng.random() < 0.3:
                data["group"] = True
            data["country"] = self.rng.choice(COUNTRIES)
            for each in roles:
                self.orgs_by_role[each].append(record)
        organizations = self.by_kind["organization"]
        for record in organizations:
            if self.rng.random() < 0.06:
                parent = self.rng.choice(organizations)
                if parent is not record and "parent" not in parent.data:
                    record.data["parent"] = parent.id
                    record.related.append(parent.id)

    def make_people(self) -> None:
        organizations = self.by_kind["organization"]
        for _ in range(self.counts["person"]):
            name = self.unique_name(
                lambda: f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            )
            record = self.add("person", _slug(name))
            record.data["name"] = name
            positions = []
            for org in self.pick(organizations, self.rng.choice([1, 1, 1, 2])):
                position = {"organization": org.id, "title": self.rng.choice(TITLES)}
                if self.rng.random() < 0.4:
                    start = self.rng.randint(2000, 2016)
                    position["from"] = str(start)
                    if self.rng.random() < 0.4:
                        position["to"] = str(self.rng.randint(start, 2022))
                positions.append(position)
                record.related.append(org.id)
                self.people_by_org.setdefault(org.id, []).append(record)
            record.data["positions"] = positions

    def make_products(self) -> None:
        makers = self.orgs_by_role["manufacturer"]
        for _ in range(self.counts["product"]):
            # A few makers make most products, as in a real market.
            maker = makers[int(len(makers) * self.rng.random() ** 2)]
            category = self.weighted(CATEGORY_WEIGHTS)
            brand = maker.data["name"].split()[0]
            name = self.unique_name(
                lambda brand=brand: (
                    f"{brand} {self.rng.choice(PRODUCT_LINES)} "
                    f"{self.rng.randint(1, 20)}{self.rng.choice(PRODUCT_SUFFIXES)}"
                )
            )
            record = self.add("product", _slug(name))
            data = record.data
            data["name"] = name
            data["maker"] = maker.id
            data["category"] = category
            if category == "smartphone" and self.rng.random() < 0.7:
                data["tier"] = self.rng.choice(["flagship", "mid-range", "budget"])
            year = self.rng.randint(2012, 2023)
            if self.rng.random() < 0.6:
                data["announced"] = f"{year}-{self.rng.randint(1, 6):02d}"
            if self.rng.random() < 0.5:
                data["released"] = f"{year}-{self.rng.randint(7, 12):02d}"
            record.related.append(maker.id)
            self.products_by_maker.setdefault(maker.id, []).append(record)

    def make_sources(self) -> None:
        publishers = self.orgs_by_role["news-publisher"]
        makers = self.orgs_by_role["manufacturer"]
        for _ in range(self.counts["source"]):
            kind = self.weighted(SOURCE_KIND_WEIGHTS)
            topic = self.rng.choice(self.by_kind["product"] or makers)
            title = self.rng.choice(
                [
                    "{name} heads to the US with carrier backing",
                    "Hands-on with the {name}: a lot of phone for the price",
                    "{name} sales stall as carriers hold back",
                    "Why the {name} matters for the mid-range market",
                    "{name} launch delayed again, sources say",
                    "Inside the deal that brought the {name} to American stores",
                ]
            ).format(name=topic.data["name"])
            record = self.add("source", _slug(title, 48))
            data = record.data
            data["title"] = title
            data["kind"] = kind
            record.related.append(topic.id)
            if kind == "news-report":
                # Known only through another source, like the seed dataset's WSJ report: no
                # date, no URL, a title in our words.
                data["title_supplied"] = True
                data["publisher"] = self.rng.choice(publishers).id
                continue
            publisher = self.rng.choice(makers if kind == "press-release" else publishers)
            data["publisher"] = publisher.id
            record.related.append(publisher.id)
            if kind in ("news-article", "interview") and self.rng.random() < 0.8:
                data["author"] = [
                    f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
                    for _ in range(self.rng.choice([1, 1, 2]))
                ]
            year = self.rng.randint(2012, 2024)
            month = self.rng.randint(1, 12)
            day = self.rng.randint(1, 28)
            data["published"] = f"{year}-{month:02d}-{day:02d}"
            path = f"{year}/{month:02d}/{_slug(title)}"
            data["url"] = f"https://{publisher.id}.example/{path}"
            data["accessed"] = f"{min(year + self.rng.randint(0, 2), 2025)}-12-{day:02d}"
            if self.rng.random() < 0.3:
                data["archive_url"] = f"https://archive.example/{year}{month:02d}{day:02d}/{path}"
        # Each news report is cited, and read, through one article that reports it.
        articles = [s for s in self.by_kind["source"] if s.data["kind"] == "news-article"]
        for report in self.by_kind["source"]:
            if report.data["kind"] != "news-report":
                continue
            if not articles:
                report.data["kind"] = "report"
                continue
            article = self.rng.choice(articles)
            article.data.setdefault("cites", []).append(report.id)
            self.sources_via[report.id] = article.id

    def make_relationships(self) -> None:
        manufacturers = self.orgs_by_role["manufacturer"]
        partners = {
            "carrier-partnership": self.orgs_by_role["carrier"],
            "carrier-launch-deal": self.orgs_by_role["carrier"],
            "retail-distribution": self.orgs_by_role["retailer"],
            "government-ban": self.orgs_by_role["government"]
            + self.orgs_by_role["government-agency"],
            "government-warning": self.orgs_by_role["government-agency"]
            + self.orgs_by_role["government"],
            "market-entry": self.orgs_by_role["carrier"] + self.orgs_by_role["retailer"],
        }
        weights = {
            "carrier-partnership": 30,
            "carrier-launch-deal": 25,
            "retail-distribution": 25,
            "government-ban": 6,
            "government-warning": 6,
            "market-entry": 8,
        }
        titles = {
            "carrier-partnership": "{a} partnership with {b}",
            "carrier-launch-deal": "{product} launch at {b}",
            "retail-distribution": "{a} products at {b}",
            "government-ban": "{b} ban on {a}",
            "government-warning": "{b} warning on {a}",
            "market-entry": "{a} entry into the US market",
        }
        for _ in range(self.counts["relationship"]):
            kind = self.weighted(weights)
            maker = self.rng.choice(manufacturers)
            other = self.rng.choice(partners[kind])
            products = self.products_by_maker.get(maker.id, [])
            chosen = self.pick(products, self.rng.choice([1, 1, 2])) if products else []
            if kind == "carrier-launch-deal" and not chosen:
                kind = "carrier-partnership"
            product_name = chosen[0].data["name"] if chosen else ""
            title = titles[kind].format(
                a=maker.data["name"], b=other.data["name"], product=product_name
            )
            record = self.add("relationship", _slug(title))
            data = record.data
            data["title"] = title
            data["type"] = kind
            # The maker takes the role its kind gives a manufacturer, the other party the first.
            maker_role, other_role = PARTY_ROLES[kind]
            data["parties"] = {other_role: other.id} if other_role else {}
            data["parties"][maker_role] = maker.id
            if chosen and kind not in ("government-ban", "government-warning"):
                data["products"] = [product.id for product in chosen]
            steps = self.rng.choice(STATUS_PATHS)
            year = self.rng.randint(2010, 2022)
            history = []
            for step in steps:
                item = {"status": step}
                if self.rng.random() < 0.75:
                    item["date"] = f"{year}-{self.rng.randint(1, 12):02d}"
                    year += self.rng.randint(1, 2)
                history.append(item)
            data["status_history"] = history
            record.related += list(data["parties"].values()) + data.get("products", [])

    def make_events(self) -> None:
        organizations = self.by_kind["organization"]
        verbs = {
            "ban": "bars {a} from federal contracts",
            "warning": "warns against {a} phones",
            "cancellation": "calls off the {product} launch",
            "launch": "launches the {product}",
            "expansion": "expands into {country}",
            "plan": "plans to enter {country}",
            "report": "reports on {a}'s plans",
            "remark": "speaks about {a} at a keynote",
        }
        for _ in range(self.counts["event"]):
            kind = self.rng.choice(EVENT_TYPES)
            actor = self.rng.choice(organizations)
            other = self.rng.choice(organizations)
            products = self.products_by_maker.get(actor.id) or self.by_kind["product"]
            product = self.rng.choice(products)
            title = (
                actor.data["name"]
                + " "
                + verbs[kind].format(
                    a=other.data["name"],
                    product=product.data["name"],
                    country=self.rng.choice(COUNTRIES),
                )
            )
            record = self.add("event", _slug(title))
            data = record.data
            data["title"] = title
            data["type"] = kind
            if self.rng.random() < 0.85:
                data["date"] = self.date(2008, 2024)
            if kind == "plan" and self.rng.random() < 0.6:
                year = self.rng.randint(2015, 2025)
                data["target"] = f"end {year}/early {year + 1}"
            participants = [actor.id]
            if other is not actor:
                participants.append(other.id)
            people = self.people_by_org.get(actor.id, [])
            if people and self.rng.random() < 0.5:
                participants.append(self.rng.choice(people).id)
            data["participants"] = participants
            if kind in ("cancellation", "launch") or self.rng.random() < 0.3:
                data["products"] = [product.id]
            record.related += participants + data.get("products", [])

    def make_quotes(self) -> None:
        speakers = self.by_kind["person"]
        carriers = self.orgs_by_role["carrier"]
        retailers = self.orgs_by_role["retailer"]
        said: set[str] = set()
        for _ in range(self.counts["quote"]):
            speaker = self.rng.choice(speakers)
            org_ids = [p["organization"] for p in speaker.data["positions"]]
            products = [p for org in org_ids for p in self.products_by_maker.get(org, [])]
            product = self.rng.choice(products or self.by_kind["product"])
            text = self.rng.choice(QUOTE_TEMPLATES).format(
                product=product.data["name"],
                carrier=self.rng.choice(carriers).data["name"],
                retailer=self.rng.choice(retailers).data["name"],
                year=self.rng.randint(2015, 2025),
            )
            while text in said:  # kb check warns of two quotes with the same words
                text += " We said it before, and we mean it."
            said.add(text)
            opening = "-".join(_slug(text).split("-")[:4])
            record = self.add("quote", _slug(f"{speaker.id}-{opening}", 70))
            data = record.data
            data["text"] = text
            data["speaker"] = speaker.id
            about = [org_ids[0]]
            if self.rng.random() < 0.6:
                about.append(product.id)
            others = self.by_kind["event"] + self.by_kind["relationship"]
            if others and self.rng.random() < 0.3:
                about.append(self.rng.choice(others).id)
            data["about"] = list(dict.fromkeys(about))
            record.related += [speaker.id] + data["about"]

    # -- pass 2: text and citations ------------------------------------------------------

    def citations(self, record: SynthRecord, count: int) -> list[dict]:
        out = []
        for number in range(count):
            source = self.next_source() if number == 0 else self.rng.choice(self.sources)
            citation = {"source": source.id}
            if source.id in self.sources_via:
                citation["via"] = self.sources_via[source.id]
            if self.rng.random() < 0.85:
                citation["excerpt"] = self.excerpt()
            citation["locator"] = f"paragraph {self.rng.randint(1, 14)}"
            out.append(citation)
        return out

    def next_source(self) -> SynthRecord:
        """Sources in turn for first citations, so every source is cited at least once."""
        source = self.sources[self.source_turn % len(self.sources)]
        self.source_turn += 1
        return source

    def excerpt(self) -> str:
        clause = self.rng.choice(FILLER).format(a="the carrier", b="its retail partner")
        text = f"{clause[0].upper()}{clause[1:]}, according to people familiar with the matter"
        limit = self.rng.randint(60, 200)
        return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0].rstrip(" ,")

    def fill_texts(self) -> None:
        self.sources = self.by_kind["source"]
        self.source_turn = 0
        self.all_ids = sorted(self.records)
        for kind in KIND_SHARES:
            for record in self.by_kind[kind]:
                getattr(self, f"fill_{kind}")(record)

    def summary(self, record: SynthRecord, opening: str, low=180, high=520) -> None:
        record.data["summary"] = self.text(record, opening, low, high)

    def note(self, record: SynthRecord) -> None:
        if self.rng.random() < 0.3:
            record.data["note"] = self.text(
                record, "The sources give no exact date for every step.", 60, 260
            )

    def fill_organization(self, record: SynthRecord) -> None:
        data = record.data
        role = data["roles"][0].replace("-", " ")
        self.summary(record, f"{data['name']} is a {role} based in {data['country']}.")
        self.note(record)
        data["citations"] = self.citations(record, self.rng.randint(1, 4))

    def fill_person(self, record: SynthRecord) -> None:
        first = record.data["positions"][0]
        self.summary(
            record,
            f"{first['title']} of {self.link(first['organization'])}.",
            low=120,
            high=380,
        )
        self.note(record)
        record.data["citations"] = self.citations(record, self.rng.randint(1, 3))

    def fill_product(self, record: SynthRecord) -> None:
        data = record.data
        retailers = self.orgs_by_role["retailer"]
        sold_at = []
        for retailer in self.pick(retailers, self.rng.choice([0, 0, 1, 1, 2])):
            place = {"retailer": retailer.id, "market": "United States"}
            place["channel"] = self.rng.choice(["in-store", "online"])
            if self.rng.random() < 0.4:
                place["since"] = f"{self.rng.randint(2014, 2024)}-{self.rng.randint(1, 12):02d}"
            place["citations"] = self.citations(record, 1)
            sold_at.append(place)
            record.related.append(retailer.id)
        if sold_at:
            data["sold_at"] = sold_at
        what = CATEGORY_WORDS[data["category"]]
        self.summary(record, f"A {what} made by {self.link(data['maker'])}.")
        self.note(record)
        data["citations"] = self.citations(record, self.rng.randint(1, 3))

    def fill_source(self, record: SynthRecord) -> None:
        if self.rng.random() < 0.5:
            self.summary(record, "Coverage of the market.", low=80, high=260)
        if record.data["kind"] == "news-report":
            record.data["note"] = (
                f"Known only through [[{self.sources_via[record.id]}]], which gives no title, "
                "date or link for it; the title above is our description."
            )

    def fill_relationship(self, record: SynthRecord) -> None:
        data = record.data
        for step in data["status_history"]:
            if self.rng.random() < 0.2:
                step["note"] = self.text(record, "Reported without naming the source.", 60, 160)
            step["citations"] = self.citations(record, 1)
        a, *rest = data["parties"].values()
        b = rest[0] if rest else a
        self.summary(record, f"Agreement between {self.link(a)} and {self.link(b)}.")
        self.note(record)
        data["citations"] = self.citations(record, self.rng.randint(1, 3))

    def fill_event(self, record: SynthRecord) -> None:
        data = record.data
        data["description"] = self.text(
            record, f"{self.link(data['participants'][0])} took part.", 160, 420
        )
        self.note(record)
        data["citations"] = self.citations(record, self.rng.randint(1, 3))

    def fill_quote(self, record: SynthRecord) -> None:
        data = record.data
        citations = self.citations(record, self.rng.randint(1, 2))
        # Nothing is said after the sources that report it were published (validate.py).
        published = [
            self.records[citation[key]].data.get("published")
            for citation in citations
            for key in ("source", "via")
            if key in citation
        ]
        years = [int(text[:4]) for text in published if text]
        if self.rng.random() < 0.75:
            latest = min(years) - 1 if years else 2024
            data["said"] = self.date(max(2005, latest - 6), latest, "ymp")
        data["context"] = self.text(
            record, f"{self.link(data['speaker'])} speaking to reporters.", 120, 320
        )
        self.note(record)
        data["citations"] = citations

    def run(self) -> dict[str, str]:
        self.make_organizations()
        self.make_people()
        self.make_products()
        self.make_sources()
        self.make_relationships()
        self.make_events()
        self.make_quotes()
        self.fill_texts()
        return {
            f"facts/{PLURALS[record.kind]}/{record.id}.yaml": render_fact_file(record)
            for record in self.records.values()
        }


# -- YAML writing -------------------------------------------------------------------------

# Written plain when it is plainly text to YAML 1.2 and 1.1 alike; everything else is quoted.
_PLAIN = re.compile(r"^[^\W\d_][\w .'&()+/-]*[\w.)]$")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
_FOLDED_FIELDS = {"summary", "note", "description", "context"}
# fmt: off
_ORDER = {
    "organization": ["name", "aliases", "roles", "group", "country", "parent", "summary"],
    "person": ["name", "aliases", "positions", "summary"],
    "product": [
        "name", "aliases", "maker", "category", "tier", "announced", "released", "sold_at",
        "summary",
    ],
    "source": [
        "title", "title_supplied", "kind", "publisher", "author", "published", "url",
        "accessed", "archive_url", "cites", "summary",
    ],
    "relationship": ["title", "type", "parties", "products", "status_history", "summary"],
    "event": ["title", "type", "date", "target", "participants", "products", "description"],
    "quote": ["text", "speaker", "said", "context", "about"],
}
# fmt: on


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and ": " not in text:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def _folded(key: str, text: str, indent: str) -> list[str]:
    lines = textwrap.wrap(
        text,
        WRAP_WIDTH - len(indent) - 2,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [f"{indent}{key}: >-"] + [f"{indent}  {line}" for line in lines]


def _mapping_lines(data: dict, order: list[str], indent: str) -> Iterator[str]:
    keys = [key for key in order if key in data] + [key for key in data if key not in order]
    for key in keys:
        value = data[key]
        if key in _FOLDED_FIELDS:
            yield from _folded(key, value, indent)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            yield f"{indent}{key}:"
            for item in value:
                item_lines = list(_mapping_lines(item, list(item), indent + "    "))
                first = item_lines[0][len(indent) + 4 :]
                yield f"{indent}  - {first}"
                yield from item_lines[1:]
        elif isinstance(value, list):
            yield f"{indent}{key}: [{', '.join(_scalar(item) for item in value)}]"
        elif isinstance(value, dict):
            yield f"{indent}{key}:"
            yield from _mapping_lines(value, list(value), indent + "  ")
        else:
            yield f"{indent}{key}: {_scalar(value)}"


def render_fact_file(record: SynthRecord) -> str:
    """The fact file's text, in the layout of the real ones (schema order, folded text)."""
    header = f"# yaml-language-server: $schema=../../schemas/json/{record.kind}.schema.json"
    order = _ORDER[record.kind] + ["note", "citations"]
    return "\n".join([header, *_mapping_lines(record.data, order, "")]) + "\n"


def synthesize(entities: int, seed: int = 0) -> dict[str, str]:
    """Every fact file of a synthetic knowledge base: relative path -> text."""
    return _Synthesizer(entities, seed).run()


# -- writing a knowledge base -------------------------------------------------------------


def repository_root() -> Path:
    """The checkout this package runs from: where mkdocs.yml and content/ live."""
    return Path(__file__).resolve().parents[1]


def check_output_folder(out: Path, force: bool) -> None:
    """Refuse folders whose facts are not ours to replace; raise SynthError with the reason."""
    out = out.resolve()
    repository_facts = (repository_root() / "facts").resolve()
    facts = out / "facts"
    if out == repository_facts or repository_facts in out.parents or facts == repository_facts:
        raise SynthError(
            f"{out} would write into the repository's facts/: choose another folder "
            "(for example build/synth)"
        )
    if out.exists() and not out.is_dir():
        raise SynthError(f"{out} is a file, not a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    if not force:
        raise SynthError(f"{out} is not empty: choose an empty folder, or pass --force")
    if facts.exists() and not (facts / MARKER_FILE).exists():
        raise SynthError(
            f"{facts} holds facts that kb-dev synth did not write; --force replaces only "
            "synthetic facts, so choose another folder"
        )


def write_knowledge_base(
    out: Path, entities: int, seed: int = 0, force: bool = False, site_from: Path | None = None
) -> dict[str, int]:
    """Write a synthetic knowledge base into `out`: facts/ plus what `kb build` needs.

    Returns how many records of each kind were written.
    """
    check_output_folder(out, force)
    files = synthesize(entities, seed)
    out = out.resolve()
    facts = out / "facts"
    if facts.exists():
        shutil.rmtree(facts)  # only ever a synthetic one (check_output_folder)
    for plural in sorted(set(PLURALS.values())):
        (facts / plural).mkdir(parents=True, exist_ok=True)
    for rel in sorted(files):
        (out / rel).write_text(files[rel], encoding="utf-8", newline="\n")
    (facts / MARKER_FILE).write_text(
        f"entities: {entities}\nseed: {seed}\n", encoding="utf-8", newline="\n"
    )
    site_from = site_from or repository_root()
    for name in SITE_FILES:
        if (site_from / name).is_file():
            shutil.copyfile(site_from / name, out / name)
    for name in SITE_FOLDERS:
        if (site_from / name).is_dir():
            if (out / name).exists():
                shutil.rmtree(out / name)
            shutil.copytree(site_from / name, out / name)
    counts: dict[str, int] = {}
    for rel in files:
        kind_folder = rel.split("/")[1]
        counts[kind_folder] = counts.get(kind_folder, 0) + 1
    return counts
