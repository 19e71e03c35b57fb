"""The shipped seed file: valid, complete against the reference, and reproducible by its script."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.domain.seed import REF_PATTERN, SeedData

ROOT = Path(__file__).resolve().parents[1]
SEED_FILE = ROOT / "storage" / "seed_data" / "emwp-seed.yaml"
REFERENCE_FILE = ROOT / ".." / "shared" / "reference" / "emwp-reference.yaml"
BUILD_SCRIPT = ROOT / "scripts" / "build_seed.py"
NO_REFERENCE = "the shared reference file is not beside the repo (it is not shipped to users)"


def _raw_seed() -> dict[str, Any]:
    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _seed() -> SeedData:
    return SeedData.model_validate(_raw_seed())


def _initiative(seed: SeedData, ref: str) -> Any:
    return next(i for i in seed.initiatives if i.ref == ref)


def test_seed_file_validates_against_the_schema() -> None:
    seed = _seed()
    assert seed.version == 1
    assert seed.regions
    assert seed.organisations
    assert seed.instruments
    assert seed.initiatives


def test_seed_file_says_it_is_generated() -> None:
    first_line = SEED_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# GENERATED FILE")


def test_every_reference_initiative_and_dialogue_is_present() -> None:
    if not REFERENCE_FILE.exists():
        pytest.skip(NO_REFERENCE)
    reference = yaml.safe_load(REFERENCE_FILE.read_text(encoding="utf-8"))
    by_key = {i.key: i for i in _seed().initiatives}
    for record in reference["initiatives"]:
        assert record["id"] in by_key, record["id"]
        assert by_key[record["id"]].title == record["name"]
    for record in reference["regional_dialogues"]:
        assert record["id"] in by_key, record["id"]
        assert by_key[record["id"]].type == "dialogue"


def test_every_initiative_keeps_a_source_url() -> None:
    missing = [i.ref for i in _seed().initiatives if not (i.source_url or "").startswith("http")]
    assert missing == []


def test_refs_are_unique_and_well_formed() -> None:
    refs = [i.ref for i in _seed().initiatives]
    assert len(refs) == len(set(refs))
    for ref in refs:
        assert REF_PATTERN.match(ref), ref
        assert len(ref) <= 32, ref


def test_eu_morocco_mobility_partnership() -> None:
    mp = _initiative(_seed(), "MP-MA-2013")
    assert mp.key == "mp_morocco"
    assert mp.title == "EU-Morocco Mobility Partnership"
    assert mp.type == "partnership"
    assert mp.status == "active"
    assert mp.countries == ("MA",)
    assert mp.regions == ("north_africa",)
    assert mp.instruments == ("mobility_partnership_facility",)
    assert mp.start_date == dt.date(2013, 6, 7)
    assert mp.year == 2013


def test_delegations_are_the_27_member_states_then_institutions_and_observers() -> None:
    delegations = _seed().delegations
    states = [d for d in delegations if d.kind == "member_state"]
    assert len(states) == 27
    codes = {d.code: d.name for d in states}
    assert codes["EL"] == "Greece"
    assert "GR" not in codes
    assert {d.code for d in delegations if d.kind == "institution"} == {"GSC", "COM", "EEAS"}
    observers = {d.code for d in delegations if d.kind == "observer"}
    assert {"FRONTEX", "EUAA", "EUROPOL", "EUROJUST", "EU-LISA", "ETF"} <= observers


def test_spec_regions_exist_with_their_names() -> None:
    names = {r.key: r.name for r in _seed().regions}
    assert names["north_africa"] == "North Africa"
    assert names["sahel_lake_chad"] == "Sahel and Lake Chad"
    assert names["south_asia_silk_routes"] == "Silk Routes"
    assert names["latin_america_caribbean"] == "Latin America and the Caribbean"
    assert {
        "west_africa",
        "horn_of_africa",
        "middle_east",
        "western_balkans",
        "eastern_partnership",
        "central_asia",
    } <= set(names)


def test_unverified_region_has_no_source_and_says_so() -> None:
    region = next(r for r in _seed().regions if r.key == "eastern_mediterranean")
    assert region.source_url is None
    assert "Unverified" in (region.notes or "")


def test_dialogues_list_third_countries_only() -> None:
    seed = _seed()
    eu_iso = {d.code for d in seed.delegations if d.kind == "member_state"} | {"GR"}  # EU code EL
    for initiative in seed.initiatives:
        assert not eu_iso & set(initiative.countries), initiative.ref
    rabat = _initiative(seed, "RABAT-2006")
    assert {"MA", "SN", "NO", "CH"} <= set(rabat.countries)
    assert "ICMPD" in rabat.partners
    assert _initiative(seed, "EU-CELAC-2009").regions == ("latin_america_caribbean",)
    assert len(_initiative(seed, "EU-CELAC-2009").countries) == 33


def test_spot_checks_of_real_values() -> None:
    seed = _seed()
    assert _initiative(seed, "RA-AL-2006").start_date == dt.date(2006, 5, 1)
    assert _initiative(seed, "RA-BY-2020").status == "suspended"
    assert _initiative(seed, "ACP-EU-2010").status == "suspended"
    assert _initiative(seed, "AP-WB-2022").countries == ("AL", "BA", "XK", "ME", "MK", "RS")
    assert _initiative(seed, "CAMM-IN-2016").start_date == dt.date(2016, 3, 29)
    assert _initiative(seed, "MP-GE-2009").start_date is None
    assert _initiative(seed, "TP-MA").year is None
    assert _initiative(seed, "JAP-TR-2015").instruments == ("frit",)
    assert {
        "MP-MD-2008",
        "CAMM-NG-2015",
        "ASOP-MA-2022",
        "TEI-CMED-2022",
        "AP-CMED-2022",
        "KHARTOUM-2014",
        "BUDAPEST-1993",
        "PRAGUE-2009",
    } <= {i.ref for i in seed.initiatives}
    shorts = {i.key: i.short_name for i in seed.instruments}
    assert shorts["ndici_ge"] == "NDICI-Global Europe"
    assert shorts["eutf_africa"] == "EUTF for Africa"


def test_build_script_reproduces_the_committed_file(tmp_path: Path) -> None:
    if not REFERENCE_FILE.exists():
        pytest.skip(NO_REFERENCE)
    out = tmp_path / "seed.yaml"
    subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), str(REFERENCE_FILE), str(out)], check=True, capture_output=True
    )
    assert out.read_bytes() == SEED_FILE.read_bytes()
