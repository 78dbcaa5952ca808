"""ledger.store.database.in_lists: the one way long ``IN (...)`` lookups are cut.

Properties of the slicing, and the lookups that use it run on both databases with more
values than one list holds (rows of every slice found, none twice).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.log import WitnessLog
from ledger.rules.findings_store import column_rows
from ledger.rules.handoff import _stored
from ledger.store.database import IN_LIST_MAX, in_lists
from ledger.store.log_queries import known_events
from ledger.store.schema import events
from tests.ledger.conftest import make_event


@given(st.lists(st.integers(), max_size=3 * IN_LIST_MAX + 7))
def test_slices_cover_the_values_in_order_and_are_bounded(values: list[int]) -> None:
    parts = list(in_lists(values))
    assert [v for part in parts for v in part] == values
    assert all(0 < len(part) <= IN_LIST_MAX for part in parts)
    assert all(len(part) == IN_LIST_MAX for part in parts[:-1])


def test_lookups_longer_than_one_list(log: WitnessLog) -> None:
    n = 3 * IN_LIST_MAX + 30
    log.append([make_event(k, project=f"P-{k % 7}") for k in range(n)])
    ids = [f"ev-{k}" for k in range(n)]
    with log.db.read() as conn:
        assert len(known_events(conn, {i: i for i in ids})) == n
        assert sorted(column_rows(conn, events.c.event_id, ids)) == sorted(ids)
        scattered = list(range(0, n, 3))  # read by their indexes, not as one range
        assert len(scattered) > IN_LIST_MAX
        assert sorted(_stored(log, conn, scattered)) == scattered
