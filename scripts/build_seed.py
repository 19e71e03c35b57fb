"""Build the seed data file a new install starts with from the shared reference file.

Usage: python scripts/build_seed.py [REFERENCE_YAML] [OUT]
(defaults: ../shared/reference/emwp-reference.yaml beside the repo, storage/seed_data/emwp-seed.yaml).
The reference holds facts only; this script decides how they fit `bot.domain.seed.SeedData`,
validates the result and writes it deterministically (same input, byte-identical output).

Mapping rules:
- Delegations: the 27 member states by EU code (Greece = EL), then GSC, COM and EEAS
  (institutions), then the EU agencies as observers (acronym upper-cased, non-letters -> '-').
- Regions keep the reference id as key; display names drop parenthetical qualifiers, which go
  to notes. Unverified records (here and for organisations) get source_url null and say so.
- Initiatives are `initiatives:` plus `regional_dialogues:` (type dialogue), keyed by reference id.
- Countries (of initiatives and regions) are third countries: EU member states listed in the
  reference (the EU side of a dialogue, GR in the EU-Turkey Statement, GR and CY in the Eastern
  Mediterranean route) are removed and named in notes. `countries_ref`
  resolves to the referenced region's or dialogue's list (empty if that record has none).
- Regions: a reference region key is used as is; free text and dialogue region names map to
  keys only through REGION_ALIASES or an exact display name; the original text stays in notes.
- Type: the reference types are InitiativeType values already; TYPE_ALIASES maps variants, and an
  unknown type fails validation rather than being guessed. Dialogues are type "dialogue".
- Status is conservative: "suspended" when the reference says suspended or dormant, otherwise
  "active". The reference never says explicitly that an initiative ended, so none is "completed";
  its doubts (e.g. "later status not verified") stay in notes.
- start_date: the "in force" date if given (null if only YYYY-MM), else the first full
  YYYY-MM-DD in `date` ("2016-03-29/30" -> 2016-03-29); year-month alone gives null.
- Partners and instruments: organisations named as whole words (short name or full name) in
  partner_orgs, member_orgs, secretariat, lead or funding; instrument ids or aliases in funding.
- ref: <PREFIX>-<CODE>[-<YEAR>], PREFIX from REF_RULES; CODE from REF_CODES if listed, else the
  one third country, else the first region's REGION_CODES entry (route-based families, e.g. AP and
  TEI, try the region first). No year known: no year part (TP-MA). Unknown id: the build fails.
  Dialogues: short name (DIALOGUE_NAMES or the id without _process/_dialogue) + year.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = ROOT / ".." / "shared" / "reference" / "emwp-reference.yaml"
DEFAULT_OUT = ROOT / "storage" / "seed_data" / "emwp-seed.yaml"
SHORT_URL = 120  # longer secondary source URLs are left out of notes

Record = dict[str, Any]

INSTITUTIONS = (
    ("GSC", "General Secretariat of the Council"),
    ("COM", "European Commission"),
    ("EEAS", "European External Action Service"),
)
REGION_NAMES = {"middle_east": "Middle East", "south_asia_silk_routes": "Silk Routes"}
REQUIRED_REGIONS = {
    "north_africa": "North Africa",
    "sahel_lake_chad": "Sahel and Lake Chad",
    "west_africa": "West Africa",
    "horn_of_africa": "Horn of Africa",
    "middle_east": "Middle East",
    "western_balkans": "Western Balkans",
    "eastern_partnership": "Eastern Partnership",
    "central_asia": "Central Asia",
    "south_asia_silk_routes": "Silk Routes",
    "latin_america_caribbean": "Latin America and the Caribbean",
}
REGION_ALIASES: dict[str, tuple[str, ...]] = {
    "maghreb": ("north_africa",),
    "sahel": ("sahel_lake_chad",),
    "silk routes (af bd ir iq pk)": ("south_asia_silk_routes",),
    "arab partner states (north africa, middle east)": ("north_africa", "middle_east"),
}
INSTRUMENT_SHORT = {
    "ndici_ge": "NDICI-Global Europe",
    "eutf_africa": "EUTF for Africa",
    "frit": "FRIT",
    "amif_2021_2027": "AMIF",
    "bmvi": "BMVI",
    "ipa_iii": "IPA III",
    "mobility_partnership_facility": "MPF",
}
INSTRUMENT_ALIASES = {
    "ndici_ge": ("NDICI",),
    "eutf_africa": ("EUTF",),
    "frit": ("FRIT", "Facility for Refugees in Turkey"),
    "amif_2021_2027": ("AMIF",),
    "bmvi": ("BMVI",),
    "ipa_iii": ("IPA",),
    "mobility_partnership_facility": ("MPF", "Mobility Partnership Facility"),
}
TYPE_ALIASES = {"roadmap": "road_map", "programme": "funding_programme", "funding": "funding_programme"}
# (id or id prefix, ref prefix, code from region before country)
REF_RULES = (
    ("mp", "MP", False),
    ("camm", "CAMM", False),
    ("ra", "RA", False),
    ("tp", "TP", False),
    ("asop", "ASOP", False),
    ("ap", "AP", True),
    ("tei", "TEI", True),
    ("eu_turkey_jap", "JAP", False),
    ("eu_turkey_statement", "STMT", False),
    ("jwf", "JWF", False),
    ("eu_tunisia_mou", "MOU", False),
    ("eu_egypt_scp", "SCP", False),
    ("eu_mauritania_partnership", "MIGP", False),
    ("eu_lebanon_package", "PKG", False),
    ("migration_partnership_framework", "PF", True),
    ("jvap", "JVAP", True),
)
REF_CODES = {
    "tei_atlantic_wmed": "WMED",
    "tei_central_med": "CMED",
    "migration_partnership_framework": "AFR",
    "jvap": "AFR",
}
REGION_CODES = {
    "north_africa": "NAFR",
    "southern_neighbourhood": "SNBH",
    "sahel_lake_chad": "SLC",
    "west_africa": "WAFR",
    "horn_of_africa": "HOA",
    "middle_east": "MIDE",
    "western_balkans": "WB",
    "eastern_partnership": "EAP",
    "central_asia": "CAS",
    "south_asia_silk_routes": "SILK",
    "eastern_mediterranean": "EMED",
    "central_mediterranean": "CMED",
    "western_mediterranean_atlantic": "WMED",
    "latin_america_caribbean": "LAC",
}
DIALOGUE_NAMES = {"africa_eu_mmd": "C2CMMD", "valletta_jvap": "VALLETTA", "eap_migration_panel": "EAP-PANEL"}
NOTE_FIELDS = (
    ("", "note"),
    ("Launched", "launched"),
    ("Secretariat", "secretariat"),
    ("Observers", "observers"),
    ("Partner organisations", "partner_orgs"),
    ("Member organisations", "member_orgs"),
    ("Strategic framework", "strategic_framework"),
    ("EU role", "eu_role"),
    ("Countries", "countries_note"),
    ("Status", "status_note"),
)
INSTRUMENT_NOTE_FIELDS = (
    ("Legal basis", "legal_basis"),
    ("Implemented by", "implementer"),
    ("Purpose", "purpose"),
    ("Migration share", "migration_share"),
    ("External dimension", "external_dimension"),
    ("Beneficiaries", "beneficiaries"),
    ("", "note"),
    ("Doubtful", "doubtful"),
)
PARTNER_FIELDS = ("partner_orgs", "member_orgs", "secretariat", "lead", "funding")


def _text(value: Any) -> str:
    """A reference value as text: lists joined by commas."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _labelled(rec: Record, fields: Iterable[tuple[str, str]]) -> list[str]:
    """'Label: value' lines for the fields the record has (bare value for an empty label)."""
    return [f"{label}: {_text(rec[k])}" if label else _text(rec[k]) for label, k in fields if rec.get(k)]


def _rejoin(items: Iterable[str]) -> list[str]:
    """Re-join names that a comma inside parentheses split apart, e.g. '(North Africa', 'Middle East)'."""
    out: list[str] = []
    for item in (i.strip() for i in items):
        if out and out[-1].count("(") > out[-1].count(")"):
            out[-1] += ", " + item
        elif item:
            out.append(item)
    return out


def _notes(lines: Iterable[str | None]) -> str | None:
    """Join the non-empty note lines, or None."""
    kept = [line for line in lines if line]
    return "\n".join(kept) if kept else None


def _unverified(rec: Record) -> str | None:
    """The note for an unverified record or its unverified fields."""
    if rec.get("unverified"):
        return "Unverified: no source in the reference."
    fields = rec.get("unverified_fields")
    return f"Unverified: {_text(fields)}." if fields else None


def _sources(rec: Record) -> str | None:
    """Secondary source URLs (source_*), short ones only."""
    urls = [str(v) for k, v in rec.items() if k.startswith("source_") and len(str(v)) <= SHORT_URL]
    return "Sources: " + " ; ".join(urls) if urls else None


def build_delegations(ref: Record) -> list[Record]:
    """Member states, institutions, then agencies as observers."""
    states = ref["member_states"]["list"]
    out = [{"code": m["eu_code"], "name": m["name"], "kind": "member_state"} for m in states]
    out += [{"code": code, "name": name, "kind": "institution"} for code, name in INSTITUTIONS]
    for agency in ref["eu_bodies"]["agencies"]:
        code = re.sub(r"[^A-Z]", "-", str(agency["acronym"]).upper())
        out.append({"code": code, "name": agency["name"], "kind": "observer"})
    return out


def build_region(rec: Record, eu_iso: set[str]) -> Record:
    """One region of third countries with a short display name; the rest goes to notes."""
    full = str(rec["name"])
    name = REGION_NAMES.get(rec["id"]) or re.sub(r"\s*\([^)]*\)", "", full).strip()
    members = rec.get("unverified_members")
    removed = [c for c in rec["countries"] if c in eu_iso]
    notes = _notes(
        [
            f"Reference name: {full}." if name != full else None,
            rec.get("note"),
            f"EU member states listed: {', '.join(removed)}." if removed else None,
            f"Unverified members: {_text(members)}." if members else None,
            _unverified(rec),
        ]
    )
    source = None if rec.get("unverified") else rec.get("source")
    countries = [c for c in rec["countries"] if c not in eu_iso]
    return {"key": rec["id"], "name": name, "countries": countries, "source_url": source, "notes": notes}


def build_regions(ref: Record) -> list[Record]:
    """All reference regions; fails if a region the SPEC names is missing or misnamed."""
    eu_iso = {str(m["iso"]) for m in ref["member_states"]["list"]}
    regions = [build_region(r, eu_iso) for r in ref["regions"]]
    names = {r["key"]: r["name"] for r in regions}
    wrong = [key for key, name in REQUIRED_REGIONS.items() if names.get(key) != name]
    if wrong:
        raise SystemExit(f"SPEC regions missing or misnamed: {', '.join(wrong)}")
    return regions


def build_organisation(rec: Record) -> Record:
    """One international organisation, keyed by its short name."""
    facts = _labelled(rec, (("Headquarters", "hq"), ("Founded", "founded"), ("", "note")))
    notes = _notes([*facts, _unverified(rec)])
    source = None if rec.get("unverified") else rec.get("source")
    return {"key": rec["short"], "name": rec["name"], "source_url": source, "notes": notes}


def build_instrument(rec: Record) -> Record:
    """One financing instrument with its short name."""
    acronym = re.search(r"\(([^)]+)\)\s*$", str(rec["name"]))
    short = INSTRUMENT_SHORT.get(rec["id"]) or (acronym.group(1) if acronym else rec["id"])
    total, prices = rec.get("total_eur"), rec.get("prices")
    notes = _notes(
        [
            f"Total: EUR {total:,}{f' ({prices} prices)' if prices else ''}" if total else None,
            f"Breakdown: {rec['breakdown']}" if rec.get("breakdown") else None,
            *_labelled(rec, INSTRUMENT_NOTE_FIELDS),
            _unverified(rec),
        ]
    )
    return {
        "key": rec["id"],
        "short_name": short,
        "name": rec["name"],
        "period": rec.get("period"),
        "source_url": rec.get("source"),
        "notes": notes,
    }


class Context:
    """What initiatives are resolved against: regions, dialogues, organisations, instruments."""

    def __init__(self, ref: Record, regions: list[Record]) -> None:
        self.eu_iso = {str(m["iso"]) for m in ref["member_states"]["list"]}
        self.region_countries = {r["key"]: r["countries"] for r in regions}
        self.region_by_name = {r["name"].lower(): (r["key"],) for r in regions} | REGION_ALIASES
        self.dialogues = {d["id"]: d for d in ref["regional_dialogues"]}
        self.orgs = [
            (str(o["short"]), re.sub(r"\s*\([^)]*\)", "", str(o["name"])))
            for o in ref["international_organisations"]
        ]
        self.instruments = [str(i["id"]) for i in ref["funding_instruments"]]


def countries_of(rec: Record, ctx: Context) -> tuple[list[str], list[str]]:
    """(third countries, EU member states removed) from `countries` or `countries_ref`."""
    listed = [str(c) for c in rec.get("countries") or []]
    target = str(rec.get("countries_ref") or "").split(" ")[0]
    if target.startswith("regions."):
        listed = list(ctx.region_countries[target.removeprefix("regions.")])
    elif target.startswith("regional_dialogues."):
        dialogue = ctx.dialogues[target.removeprefix("regional_dialogues.")]
        listed = [str(c) for c in dialogue.get("countries") or []]
    return [c for c in listed if c not in ctx.eu_iso], [c for c in listed if c in ctx.eu_iso]


def regions_of(names: list[str], ctx: Context) -> list[str]:
    """Region keys for region ids or names that clearly match; others are dropped (kept in notes)."""
    keys: list[str] = []
    for name in names:
        found = (name,) if name in ctx.region_countries else ctx.region_by_name.get(name.strip().lower(), ())
        keys += [k for k in found if k not in keys]
    return keys


def partners_of(rec: Record, ctx: Context) -> list[str]:
    """Organisations named as whole words in the partner, secretariat, lead or funding text."""
    text = " ; ".join(_text(rec[f]) for f in PARTNER_FIELDS if rec.get(f))
    found = []
    for short, name in ctx.orgs:
        if re.search(rf"(?<![\w-]){re.escape(short)}(?![\w-])", text) or re.search(
            rf"\b{re.escape(name)}\b", text, re.IGNORECASE
        ):
            found.append(short)
    return found


def instruments_of(funding: Any, ctx: Context) -> list[str]:
    """Instrument ids: the funding value itself, or aliases named in the funding text."""
    if funding is None:
        return []
    if funding in ctx.instruments:
        return [str(funding)]
    text = str(funding)
    return [
        key
        for key in ctx.instruments
        if any(re.search(rf"(?<!\w){re.escape(a)}(?!\w)", text) for a in INSTRUMENT_ALIASES.get(key, ()))
    ]


def start_date(value: Any) -> dt.date | None:
    """The in-force date, else the first full ISO date; None for year-month only."""
    if value is None:
        return None
    text = str(value)
    in_force = re.search(r"in force (\d{4}-\d{2}(?:-\d{2})?)", text)
    found = in_force.group(1) if in_force else (re.findall(r"\d{4}-\d{2}-\d{2}", text) or [""])[0]
    return dt.date.fromisoformat(found) if len(found) == 10 else None


def initiative_ref(rec: Record, countries: list[str], regions: list[str]) -> str:
    """<PREFIX>-<CODE>[-<YEAR>] for an initiative; <NAME>-<YEAR> for a dialogue."""
    ident, year = str(rec["id"]), rec.get("year")
    if "regions" in rec:
        short = re.sub(r"_(process|dialogue)$", "", ident).replace("_", "-").upper()
        return f"{DIALOGUE_NAMES.get(ident, short)}-{year}"
    rule = next((r for r in REF_RULES if ident == r[0] or ident.startswith(r[0] + "_")), None)
    if rule is None:
        raise SystemExit(f"no ref rule for initiative {ident}: add one to REF_RULES")
    country = countries[0] if len(countries) == 1 else None
    region = REGION_CODES[regions[0]] if regions else None
    code = REF_CODES.get(ident) or ((region or country) if rule[2] else (country or region))
    if code is None:
        raise SystemExit(f"no country or region code for initiative {ident}: add one to REF_CODES")
    return "-".join([rule[1], code, *([str(year)] if year else [])])


def initiative_notes(rec: Record, found: Record, ctx: Context) -> str | None:
    """Everything the reference says that has no field of its own."""
    region, raw_date = rec.get("region"), rec.get("date")
    date, removed = found["start_date"], found["removed"]
    listed = "" if found["countries"] or removed else " (no country list there)"
    return _notes(
        [
            *_labelled(rec, NOTE_FIELDS),
            f"Regions (reference): {_text(_rejoin(rec['regions']))}" if rec.get("regions") else None,
            f"Region (reference): {region}" if region and region not in ctx.region_countries else None,
            f"Countries from {rec['countries_ref']}{listed}" if rec.get("countries_ref") else None,
            f"Date: {raw_date}" if raw_date and str(raw_date) != str(date) else None,
            f"EU member states listed: {', '.join(removed)}" if removed else None,
            _unverified(rec),
            _sources(rec),
        ]
    )


def build_initiative(rec: Record, ctx: Context) -> Record:
    """One initiative or regional dialogue."""
    countries, removed = countries_of(rec, ctx)
    names = rec["regions"] if "regions" in rec else str(rec.get("region") or "").split(",")
    regions = regions_of(_rejoin(names), ctx)
    funding = rec.get("funding")
    date = start_date(rec.get("date"))
    found = {"countries": countries, "removed": removed, "start_date": date}
    return {
        "ref": initiative_ref(rec, countries, regions),
        "key": rec["id"],
        "title": rec["name"],
        "type": "dialogue" if "regions" in rec else TYPE_ALIASES.get(rec["type"], rec["type"]),
        "status": "suspended" if rec.get("status") in ("suspended", "dormant") else "active",
        "countries": countries,
        "regions": regions,
        "lead": rec.get("lead"),
        "partners": partners_of(rec, ctx),
        "instruments": instruments_of(funding, ctx),
        "funding": None if funding in ctx.instruments else funding,
        "year": rec.get("year"),
        "start_date": date,
        "end_date": None,
        "source_url": rec.get("source"),
        "notes": initiative_notes(rec, found, ctx),
    }


def build_seed(ref: Record) -> Record:
    """The whole seed document, validated against SeedData."""
    regions = build_regions(ref)
    ctx = Context(ref, regions)
    seed = {
        "version": 1,
        "delegations": build_delegations(ref),
        "regions": regions,
        "organisations": [build_organisation(o) for o in ref["international_organisations"]],
        "instruments": [build_instrument(i) for i in ref["funding_instruments"]],
        "initiatives": [build_initiative(r, ctx) for r in [*ref["initiatives"], *ref["regional_dialogues"]]],
    }
    sys.path.insert(0, str(ROOT))
    from bot.domain.seed import SeedData

    SeedData.model_validate(seed)
    return seed


class _Dumper(yaml.SafeDumper):
    """Block mappings, flow lists of scalars, literal blocks for multi-line text."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.SequenceNode:
    flow = all(not isinstance(item, dict) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


def render(seed: Record, reference: Path, digest: str, compiled: str) -> str:
    """The YAML text with its generated-file header."""
    header = (
        "# GENERATED FILE - do not edit by hand; rebuild with: .venv/bin/python scripts/build_seed.py\n"
        f"# Source: {reference.name} (shared/reference, compiled {compiled}),\n"
        f"# sha256 {digest}.\n"
    )
    body = yaml.dump(seed, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
    return header + body


def main(argv: list[str]) -> int:
    """Read the reference, build and validate the seed, write it."""
    reference = Path(argv[1]) if len(argv) > 1 else DEFAULT_REFERENCE
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    raw = reference.read_bytes()
    ref = yaml.safe_load(raw)
    text = render(build_seed(ref), reference, hashlib.sha256(raw).hexdigest(), str(ref["meta"]["compiled"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
