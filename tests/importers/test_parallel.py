"""Normalising in a second process gives exactly what one process gives."""

from __future__ import annotations

import copy

from factories import coast_batch

from importers.geocode import Geocoder
from importers.parallel import transform_batch
from importers.records import ServiceIn
from importers.transform import Transformer
from socialmap.gazetteer import get_gazetteer


def _batch():
    batch = coast_batch()
    batch.services.append(ServiceIn("svc-x", "org-1", None, ref="row 9"))  # rejected
    batch.services[1].categories[0].code = "no-such-need"  # unmapped: a warning at the end
    return batch


def _summary(prepared, batch):
    kinds = ("organization", "location", "service")
    docs = {k: [(p.external_id, p.hash, p.doc) for p in prepared.of(k)] for k in kinds}
    issues = sorted((i.ref, i.reason, i.field, i.rejected) for i in batch.issues)
    return docs, issues, sorted(prepared.rejected)


def test_forked_normalisation_matches_in_process():
    gaz = get_gazetteer()
    one, two = _batch(), _batch()
    alone = Transformer(one, gaz, Geocoder(gazetteer=gaz)).run()
    forked = transform_batch(two, gaz, Geocoder(gazetteer=gaz), min_records=0)
    assert not isinstance(forked, type(alone))  # it really used the second process
    assert _summary(forked, two) == _summary(alone, one)
    assert ("service", "svc-x") in forked.rejected
    assert any("no-such-need" in i.reason for i in two.issues)


def test_small_batches_stay_in_process():
    gaz = get_gazetteer()
    batch = copy.deepcopy(_batch())
    out = transform_batch(batch, gaz, Geocoder(gazetteer=gaz))
    assert out.of("service")


def test_an_uncollected_child_is_stopped_on_close():
    gaz = get_gazetteer()
    pending = transform_batch(_batch(), gaz, Geocoder(gazetteer=gaz), min_records=0)
    pending.close()  # the run failed before it needed locations and services
    assert not pending._child.is_alive()
    assert pending._child.exitcode is not None
