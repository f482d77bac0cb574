"""Mapping source categories to our need and target-group codes."""

from __future__ import annotations

import pytest

from importers.categories import map_needs
from importers.categories import map_target_groups
from importers.records import CategoryIn
from socialmap import taxonomy as tx


def needs_of(*categories: CategoryIn) -> list[str]:
    codes, _ = map_needs(list(categories))
    return codes


def groups_of(*categories: CategoryIn) -> list[str]:
    codes, _ = map_target_groups(list(categories))
    return codes


def label(text: str) -> CategoryIn:
    return CategoryIn(scheme="label", label=text)


def test_socialmap_codes_direct() -> None:
    codes, unmapped = map_needs(
        [CategoryIn("socialmap", "debt-counselling"), CategoryIn("socialmap", "housing")]
    )
    assert codes == ["debt-counselling", "housing"]
    assert unmapped == []


def test_socialmap_unknown_or_other_taxonomy_unmapped() -> None:
    unknown = CategoryIn("socialmap", "space-travel")
    group = CategoryIn("socialmap", "seniors")
    need = CategoryIn("socialmap", "housing")
    assert map_needs([unknown, group]) == ([], [unknown, group])
    assert map_target_groups([group, need]) == (["seniors"], [need])


def test_socialmap_codes_are_not_matched_as_labels() -> None:
    # "Housing" is also an English label, but the socialmap scheme needs the exact code
    cat = CategoryIn("socialmap", "Housing")
    assert map_needs([cat]) == ([], [cat])


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        ("14.04.01.", "14.04.01. Woonzorgcentra (WZC)", ["nursing-home"]),
        (None, "14.04.01. Woonzorgcentra (WZC)", ["nursing-home"]),  # code read from the label
        ("14.04.01", None, ["nursing-home"]),  # trailing dot missing
        ("10.07.03.", "10.07.03. Gezinsopvang voor kinderen", ["childcare"]),
        (None, "13.08. Dagopvang personen met een handicap", ["disability-daycare"]),
        ("14.04.01.02.", None, ["nursing-home"]),  # a deeper rubric: longest listed prefix
        ("02.06.01.", "02.06.01. Ziekenhuizen", ["hospital-care"]),
    ],
)
def test_sk_rubric_prefix(code: str | None, text: str | None, expected: list[str]) -> None:
    assert needs_of(CategoryIn("sk-rubric", code, text)) == expected


def test_sk_rubric_chapter_prefix_refined_by_label() -> None:
    # only the chapter "06." (work) is listed: the rubric label picks the specific child
    assert needs_of(CategoryIn("sk-rubric", "06.01.", "06.01. Trajectbegeleiding naar werk")) == [
        "job-search"
    ]
    assert needs_of(CategoryIn("sk-rubric", "06.09.", "06.09. Iets onbekends")) == ["work"]


def test_sk_rubric_without_listed_prefix_uses_label() -> None:
    cat = CategoryIn("sk-rubric", "04.02.", "04.02. Schuldbemiddeling")
    assert needs_of(cat) == ["debt-counselling"]
    odd = CategoryIn("sk-rubric", "99.01.", "99.01. Iets heel anders")
    assert map_needs([odd]) == ([], [odd])


def test_airs_longest_prefix_and_label_fallback() -> None:
    assert needs_of(CategoryIn("airs", "BD-1800.2000-180")) == ["food-aid"]
    assert needs_of(CategoryIn("airs", "BD-5000.8300")) == ["social-restaurant"]
    assert needs_of(CategoryIn("airs", "BD-5000.1500")) == ["food"]  # only the section "BD"
    assert needs_of(CategoryIn("airs", "bh-1800.8500")) == ["homelessness-shelter"]
    assert needs_of(CategoryIn("airs", "ZZ-9999", "Food Pantries")) == ["food-aid"]
    code_only = CategoryIn("airs", "ZZ-9999")
    assert map_needs([code_only]) == ([], [code_only])


def test_open_eligibility_names() -> None:
    assert needs_of(CategoryIn("open-eligibility", label="Food Pantry")) == ["food-aid"]
    assert needs_of(CategoryIn("open-eligibility", label="relief for caregivers")) == [
        "respite-care"
    ]
    assert needs_of(CategoryIn("open-eligibility", label="Emergency Shelter")) == [
        "homelessness-shelter"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eenzaamheid", ["social-contact"]),
        ("Eenzaamheid", ["social-contact"]),
        ("solitude", ["social-contact"]),
        ("Loneliness", ["social-contact"]),
        ("Épicerie sociale", ["social-grocery"]),
        ("epicerie sociale", ["social-grocery"]),
        ("Médiation de dettes", ["debt-counselling"]),
        ("Mantelzorg", ["caregiver-support"]),
        ("Woonzorgcentra", ["nursing-home"]),
        ("maison médicale", ["general-practice"]),
        ("Zelfmoordlijn 1813", ["suicide-prevention"]),
    ],
)
def test_labels_in_three_languages(text: str, expected: list[str]) -> None:
    assert needs_of(label(text)) == expected


def test_multi_term_label() -> None:
    assert needs_of(label("Schulden en budgetbeheer")) == ["budget-management", "debt-counselling"]
    assert needs_of(label("Voedselhulp en sociale restaurants")) == [
        "food-aid",
        "social-restaurant",
    ]


def test_most_specific_term_wins() -> None:
    # "ziekenhuis" alone is hospital care, but inside the longer phrase it is psychiatry
    assert needs_of(label("Psychiatrisch ziekenhuis")) == ["psychiatric-care"]
    assert needs_of(label("Ziekenhuis")) == ["hospital-care"]
    # "Kind en Gezin" (parenting) and "kinderopvang" (its child): only the child is kept
    assert needs_of(label("Kinderopvang Kind en Gezin")) == ["childcare"]


def test_label_containment_whole_words_only() -> None:
    assert needs_of(label("Hulp voor mensen met schulden in Gent")) == ["debt-counselling"]
    # "schulden" is not a whole word of "onschuldenaar"; nothing else matches
    cat = label("onschuldenaar")
    assert map_needs([cat]) == ([], [cat])


def test_compound_word_starting_with_a_synonym() -> None:
    assert needs_of(label("Schuldbemiddelingsdienst")) == ["debt-counselling"]


def test_plural_and_category_names_in_labels() -> None:
    # plural "s" is ignored on both sides; Open Eligibility names also work as labels
    assert needs_of(label("Transport services")) == ["transport-service"]
    assert needs_of(CategoryIn("airs", "TC-9999", "Senior Centers")) == ["neighbourhood-centre"]
    assert needs_of(label("Women's Support Groups")) == ["psychological-support"]
    assert groups_of(label("Teen")) == ["youth"]


def test_other_schemes_use_label_or_code() -> None:
    assert needs_of(CategoryIn("social-brussels", "123", "Aide alimentaire")) == ["food-aid"]
    assert needs_of(CategoryIn("linksf", "food")) == ["food"]


def test_unknown_is_returned_unmapped_and_order_kept() -> None:
    a, b = label("Iets heel onbekends"), label("Alfabet soep")
    known = label("thuisverpleging")
    codes, unmapped = map_needs([a, known, b])
    assert codes == ["home-nursing"]
    assert unmapped == [a, b]
    assert map_needs([]) == ([], [])
    empty = CategoryIn("label")
    assert map_needs([empty]) == ([], [empty])


def test_codes_are_sorted_and_unique() -> None:
    codes, _ = map_needs([label("voedselbank"), label("Voedselbank"), label("budgetbeheer")])
    assert codes == ["budget-management", "food-aid"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("personnes âgées", ["seniors"]),
        ("Personnes agees", ["seniors"]),
        ("Senioren", ["seniors"]),
        ("older adults", ["seniors"]),
        ("Kinderen en jongeren", ["children", "youth"]),
        ("Tout public", ["everyone"]),
        ("female", ["women"]),
    ],
)
def test_target_group_labels(text: str, expected: list[str]) -> None:
    assert groups_of(label(text)) == expected


def test_target_groups_and_needs_are_separate() -> None:
    # a need label is not a target group, and the other way round
    need = label("Schuldbemiddeling")
    group = label("Senioren")
    assert map_target_groups([need]) == ([], [need])
    assert map_needs([group]) == ([], [group])
    # the same word can mean a need and a group: each taxonomy answers for itself
    homeless = label("Daklozen")
    assert map_needs([homeless])[0] == ["homelessness-shelter"]
    assert map_target_groups([homeless])[0] == ["homeless-people"]


def test_every_term_found_by_its_own_labels() -> None:
    for taxonomy, mapper in ((tx.needs(), map_needs), (tx.target_groups(), map_target_groups)):
        for term in taxonomy.all():
            for lang in ("nl", "fr", "en"):
                codes, _ = mapper([label(term.labels[lang])])
                assert term.code in codes, (term.code, lang, codes)
