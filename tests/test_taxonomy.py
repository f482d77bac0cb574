"""The shipped need and target-group taxonomies and the Taxonomy API."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from socialmap import taxonomy as tx
from socialmap.taxonomy import Taxonomy
from socialmap.taxonomy import TaxonomyError
from socialmap.taxonomy import Term
from socialmap.taxonomy import fold

REPO = Path(__file__).resolve().parent.parent
CODES_DOC = REPO / "docs" / "taxonomy-codes.md"
LANGS = ("nl", "fr", "en")
SDOHCC = {
    "social-connection", "financial-insecurity", "material-hardship", "housing-instability",
    "homelessness", "inadequate-housing", "food-insecurity", "transportation-insecurity", "stress",
    "digital-literacy", "digital-access", "language-access", "intimate-partner-violence",
    "elder-abuse", "employment-status", "educational-attainment",
    "health-insurance-coverage-status", "personal-health-literacy", "sdoh-category-unspecified",
}  # fmt: skip


def documented_codes() -> tuple[dict[str, str | None], list[str]]:
    """(need code -> parent, target-group codes) as written in docs/taxonomy-codes.md."""
    text = CODES_DOC.read_text(encoding="utf-8")
    needs_part, groups_part = text.split("## Target groups")
    need_parents: dict[str, str | None] = {}
    for line in needs_part.splitlines():
        match = re.match(r"^- ([a-z-]+): (.+)$", line.strip())
        if match:
            parent = match.group(1)
            need_parents[parent] = None
            for child in match.group(2).split(","):
                need_parents[child.strip()] = parent
    groups = [code.strip() for code in groups_part.replace("\n", " ").split(",") if code.strip()]
    return need_parents, groups


def test_documented_codes_parse() -> None:
    need_parents, groups = documented_codes()
    assert need_parents["day-care"] == "home-care"
    assert "everyone" in groups and "seniors" in groups


def test_every_documented_need_present_with_its_parent() -> None:
    need_parents, _ = documented_codes()
    needs = tx.needs()
    assert {t.code for t in needs.all()} == set(need_parents)
    for code, parent in need_parents.items():
        term = needs.get(code)
        assert term is not None and term.parent == parent, code
        assert term.kind == "need"


def test_every_documented_target_group_present_at_top_level() -> None:
    _, groups = documented_codes()
    taxonomy = tx.target_groups()
    assert [t.code for t in taxonomy.all()] == groups
    assert all(t.parent is None and t.kind == "target_group" for t in taxonomy.all())


def test_needs_and_target_groups_do_not_share_codes() -> None:
    assert not {t.code for t in tx.needs().all()} & {t.code for t in tx.target_groups().all()}


@pytest.mark.parametrize("taxonomy", [tx.needs(), tx.target_groups()], ids=["needs", "groups"])
def test_terms_are_complete(taxonomy: Taxonomy) -> None:
    for term in taxonomy.all():
        for lang in LANGS:
            assert term.labels.get(lang, "").strip(), (term.code, lang)
            assert term.descriptions.get(lang, "").strip(), (term.code, lang)
            words = term.synonyms.get(lang, ())
            assert len(words) >= 3, (term.code, lang)
            assert len({w.casefold() for w in words}) == len(words), (term.code, lang, "duplicate")
        assert set(term.fhir_sdoh) <= SDOHCC, term.code


def test_crosswalk_shapes() -> None:
    needs = tx.needs()
    for term in needs.all():
        assert all(re.fullmatch(r"(\d\d\.)+", code) for code in term.sk_rubrics), term.code
        assert all(re.fullmatch(r"[A-Z]{1,2}(-\d{4}(\.\d{4})?)?", c) for c in term.airs), term.code
    assert needs.get("nursing-home").sk_rubrics == ("14.04.01.",)
    assert "Food Pantry" in needs.get("food-aid").open_eligibility


def test_open_eligibility_names_exist_in_the_taxonomy() -> None:
    tree = json.loads((REPO / "tests" / "data" / "taxonomy" / "oe.json").read_text())
    known: set[str] = set()
    stack = [tree["taxonomy"]]
    while stack:
        node = stack.pop()
        for level in ("top_level", "second_level", "third_level", "fourth_level"):
            for child in node.get(level, []):
                known.add(child["@title"])
                stack.append(child)
    assert "Food Pantry" in known and len(known) > 150
    for term in tx.needs().all():
        assert set(term.open_eligibility) <= known, term.code


def test_file_shape_keeps_all_keys() -> None:
    for name in ("needs.json", "target_groups.json"):
        items = json.loads((tx.DATA_DIR / name).read_text(encoding="utf-8"))
        for obj in items:
            assert set(obj) >= {
                "code", "parent", "labels", "descriptions", "synonyms", "sk_rubrics",
                "fhir_sdoh", "airs", "open_eligibility", "notes",
            }  # fmt: skip


def test_descendants_and_ancestors() -> None:
    needs = tx.needs()
    assert needs.descendants("home-care") == [
        "home-care", "family-care", "meals-on-wheels", "home-help", "day-care",
    ]  # fmt: skip
    assert needs.descendants("gambling") == ["gambling"]
    assert needs.descendants("nope") == []
    assert needs.ancestors("day-care") == ["home-care"]
    assert needs.ancestors("home-care") == []
    assert [t.code for t in needs.children("addiction")] == ["alcohol-drugs", "gambling"]
    assert needs.children("gambling") == []
    assert "housing" in needs and "seniors" not in needs
    assert needs.get("nope") is None


def test_all_lists_parents_before_children_and_roots_only_top_level() -> None:
    needs = tx.needs()
    seen: set[str] = set()
    for term in needs.all():
        assert term.parent is None or term.parent in seen, term.code
        seen.add(term.code)
    roots = needs.roots()
    assert roots[0].code == "social-contact" and all(t.parent is None for t in roots)
    assert len(roots) == 19


def test_no_cycles_in_shipped_files() -> None:
    for taxonomy in (tx.needs(), tx.target_groups()):
        for term in taxonomy.all():
            chain = taxonomy.ancestors(term.code)
            assert term.code not in chain and len(chain) == len(set(chain))


def make(code: str, parent: str | None = None, **labels: str) -> Term:
    return Term(code, parent, labels, {}, {}, kind="need")


def test_cycle_and_unknown_parent_rejected() -> None:
    with pytest.raises(TaxonomyError, match="cycle"):
        Taxonomy([make("root"), make("a", "b"), make("b", "a")])
    with pytest.raises(TaxonomyError, match="unknown parent"):
        Taxonomy([make("a", "ghost")])
    with pytest.raises(TaxonomyError, match="duplicate"):
        Taxonomy([make("a"), make("a")])


def test_label_fallback() -> None:
    taxonomy = Taxonomy([make("a", nl="Alfa", fr="Alpha"), make("b")])
    assert taxonomy.label("a", "fr") == "Alpha"
    assert taxonomy.label("a", "en") == "Alfa"  # no English label: Dutch
    assert taxonomy.label("b", "en") == "b"  # no label at all: the code
    assert taxonomy.label("zzz", "nl") == "zzz"
    assert tx.needs().label("social-contact", "fr") == "Contact social"
    assert tx.needs().label("social-contact", "de") == "Sociaal contact"


def test_terms_are_hashable() -> None:
    terms = set(tx.needs().all())
    assert len(terms) == len(tx.needs())


def test_fold() -> None:
    assert fold("  Personnes  âgées! ") == "personnes agees"
    assert fold("Suïcide-preventie (1813)") == "suicide preventie 1813"
    assert fold("LGBTQIA+") == "lgbtqia"
    assert fold("Œuvre") == "oeuvre"
