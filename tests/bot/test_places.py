"""Places by any of their names, in the member's language: regions, countries, types and statuses."""

from __future__ import annotations

import pytest

from bot.domain.vocab import Role
from storage.factory import Store
from tests.bot.flows import buttons, last_with_buttons
from tests.conftest import register
from tests.harness import BotHarness


@pytest.mark.parametrize(
    ("language", "typed", "heading", "follow"),
    [
        ("en", "North Africa", "<b>Initiatives</b> · North Africa — 5 found", "🔔 Follow this region"),
        (
            "fr",
            "Afrique du Nord",
            "<b>Initiatives</b> · Afrique du Nord — 5 trouvée",
            "🔔 Suivre cette région",
        ),
        ("en", "Afrique du Nord", "<b>Initiatives</b> · North Africa — 5 found", "🔔 Follow this region"),
        ("fr", "the Western Balkans", "<b>Initiatives</b> · Balkans occidentaux —", "🔔 Suivre cette région"),
    ],
)
async def test_a_regions_name_in_either_language_leads_to_the_region(
    bot: BotHarness, store: Store, language: str, typed: str, heading: str, follow: str
) -> None:
    member = await register(store, 200, Role.CONTACT, "BE", "Luc", language=language)
    for command in ("/country", "/initiatives"):
        [text] = bot.texts(await bot.send(member, f"{command} {typed}"))
        assert text.startswith(heading[: heading.index("—")]), text
        assert "South Africa" not in text and "Afrique du Sud" not in text
        assert follow in buttons(last_with_buttons(bot, member.user_id))


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "I found no country called “Afrique centrale”."),
        ("fr", "Je n'ai trouvé aucun pays «\u202fAfrique centrale\u202f»"),
    ],
)
async def test_a_name_that_matches_nothing_well_says_so(
    bot: BotHarness, store: Store, language: str, said: str
) -> None:
    member = await register(store, 201, Role.CONTACT, "BE", "Luc", language=language)
    [text] = bot.texts(await bot.send(member, "/country Afrique centrale"))
    assert said in text
    assert "buttons" not in text and not any(
        m.get("reply_markup") for m in bot.api.chat(member.user_id).messages.values()
    ), "no guess offered"


async def test_a_country_filter_is_headed_by_its_name_and_can_be_followed_in_french(
    bot: BotHarness, store: Store
) -> None:
    member = await register(store, 202, Role.CONTACT, "BE", "Luc", language="fr")
    [text] = bot.texts(await bot.send(member, "/initiatives Morocco"))
    assert text.startswith("<b>Initiatives</b> · Maroc — 6 trouvée"), text
    assert "🔔 Suivre ce pays" in buttons(last_with_buttons(bot, member.user_id))
    [detail] = bot.texts(await bot.send(member, "/initiative MP-MA-2013"))
    assert "Pays\u202f: Maroc" in detail, detail
    assert "Afrique du Nord" in detail and "North Africa" not in detail


@pytest.mark.parametrize(
    ("language", "typed", "heading"),
    [
        ("fr", "statut:actif type:partenariat", "<b>Initiatives</b> · partenariat · actif —"),
        ("en", "status:actif type:partenariat", "<b>Initiatives</b> · partnership · active —"),
        ("en", "status:active type:partnership", "<b>Initiatives</b> · partnership · active —"),
    ],
)
async def test_typed_filters_accept_either_language(
    bot: BotHarness, store: Store, language: str, typed: str, heading: str
) -> None:
    member = await register(store, 203, Role.CONTACT, "BE", "Luc", language=language)
    [text] = bot.texts(await bot.send(member, f"/initiatives {typed}"))
    assert text.startswith(heading), text


async def test_a_bad_value_lists_the_choices_in_the_members_language(bot: BotHarness, store: Store) -> None:
    member = await register(store, 204, Role.CONTACT, "BE", "Luc", language="fr")
    [text] = bot.texts(await bot.send(member, "/initiatives statut:endormi"))
    assert text == (
        "«\u202fendormi\u202f» n'est pas un statut. Choisissez parmi\u202f: prévu, actif, achevé, suspendu."
    ), text


async def test_a_typed_number_is_the_one_of_the_latest_list_in_french(bot: BotHarness, store: Store) -> None:
    member = await register(store, 205, Role.CONTACT, "BE", "Luc", language="fr")
    [listing] = bot.texts(await bot.send(member, "/initiatives"))
    first = listing.split("\n")[1]
    ref = first.split("<code>")[1].split("</code>")[0]
    [detail] = bot.texts(await bot.send(member, "/initiative 1"))
    assert f"<code>{ref}</code>" in detail
