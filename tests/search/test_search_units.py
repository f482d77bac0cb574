"""Units of the search package: need recognition, hours, highlights, the embedded file."""

from __future__ import annotations

import datetime as dt

import pytest
from search_fixtures import NOW
from search_fixtures import documents

from search.embedded import EmbeddedBackend
from search.highlight import highlight
from search.hours import is_open
from search.hours import weekly_interval
from search.query import Query
from search.text import analyze
from search.text import query_words
from socialmap.logic.search_index import need_vocabulary


@pytest.fixture(scope="module")
def vocabulary():
    return need_vocabulary()


def test_needs_recognised_in_dutch_french_and_with_typos(vocabulary):
    assert vocabulary.interpret("mantelzorger overbelast").needs == ["caregiver-support"]
    assert vocabulary.interpret("schuldhulpverleing").needs == ["debt-counselling"]
    assert "family-care" in vocabulary.interpret("aide familiale").needs
    understood = vocabulary.interpret("eenzaam ouderen Oostende")
    assert understood.needs == ["social-contact"]
    assert understood.residual == ["ouderen", "oostende"]
    assert vocabulary.interpret("xyzzy").needs == []


def test_asking_for_a_parent_need_includes_its_children(vocabulary):
    expanded = vocabulary.expand(["social-contact"])
    assert expanded[0] == "social-contact"
    assert {"visiting-buddy", "social-activities"} <= set(expanded)
    assert vocabulary.expand(["visiting-buddy"]) == ["visiting-buddy"]


def test_analysis_folds_accents_drops_stop_words_and_stems():
    assert analyze("De schulden van het gezin", "nl") == ["schuld", "gezin"]
    assert analyze("Les aides familiales à domicile", "fr") == ["aid", "familial", "domicil"]
    assert query_words("Aide à domicile, aide!") == ["aide", "domicile"]
    assert analyze("begeleiding", "nl") == ["begeleid"]  # not "beleid" (policy)


def test_slots_past_midnight_wrap_into_the_next_day_and_week():
    assert weekly_interval(1, "09:00", "17:00") == [(540, 1020)]
    sunday_night = weekly_interval(7, "22:00", "06:00")
    assert sunday_night == [(6 * 1440 + 1320, 7 * 1440), (0, 360)]
    assert weekly_interval(8, "09:00", "17:00") == []
    assert weekly_interval(1, "9h", "17:00") == []


def test_open_uses_brussels_time_across_daylight_saving():
    hours = weekly_interval(1, "09:00", "17:00")
    summer = dt.datetime(2026, 7, 6, 7, 30, tzinfo=dt.UTC)  # Monday 09:30 CEST
    winter = dt.datetime(2026, 1, 5, 7, 30, tzinfo=dt.UTC)  # Monday 08:30 CET
    assert is_open(hours, [], summer)
    assert not is_open(hours, [], winter)
    closed = [(dt.date(2026, 7, 6), dt.date(2026, 7, 6))]
    assert not is_open(hours, closed, summer)


def test_highlight_marks_stems_and_escapes_markup():
    snippet, found = highlight("Hulp bij <b>schulden</b> & budget", "nl", ["schuld"])
    assert snippet == "Hulp bij &lt;b&gt;<mark>schulden</mark>&lt;/b&gt; &amp; budget"
    assert found == {"schuld"}
    assert highlight("Niets hier", "nl", ["schuld"]) == (None, set())


def _query(vocabulary, text):
    understood = vocabulary.interpret(text)
    return Query(
        terms=tuple(query_words(text)),
        text_needs=tuple(vocabulary.expand(understood.needs)),
        residual_terms=tuple(understood.residual),
        now=NOW,
        per_page=50,
    )


def test_changes_logged_during_a_rebuild_survive_it(tmp_path, vocabulary):
    backend = EmbeddedBackend(tmp_path / "index.sqlite")
    backend.rebuild(documents(), vocabulary)
    late = documents()[0]
    late.name = late.texts["nl"]["name"] = "Schuldenpunt Laat"

    def slowly():
        for i, doc in enumerate(documents()):
            if i == 3:  # a save commits while the rebuild is still reading
                backend.upsert([late])
            yield doc

    backend.rebuild(slowly(), vocabulary)
    hits = backend.search(_query(vocabulary, "schuldenpunt")).hits
    assert [h.name for h in hits] == ["Schuldenpunt Laat"]


def test_a_failed_rebuild_leaves_the_old_index(tmp_path, vocabulary):
    backend = EmbeddedBackend(tmp_path / "index.sqlite")
    backend.rebuild(documents(), vocabulary)
    with pytest.raises(ValueError, match="duplicate document id"):
        backend.rebuild(documents() + documents()[:1], vocabulary)
    assert len(backend.ids()) == len(documents())


def test_other_processes_see_writes_and_rebuilds(tmp_path, vocabulary):
    writer = EmbeddedBackend(tmp_path / "index.sqlite")
    reader = EmbeddedBackend(tmp_path / "index.sqlite")
    writer.rebuild(documents(), vocabulary)
    assert reader.search(_query(vocabulary, "vluchthuis")).total == 1
    writer.delete_services(["svc-shelter"])
    assert reader.search(_query(vocabulary, "vluchthuis")).total == 0
    writer.rebuild(documents()[:3], vocabulary)
    assert len(reader.ids()) == 3
    assert reader.stats()["pending_changes"] == 0
