"""The change feed never misses or repeats a change, even when transactions commit out of order."""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from config.api.pagination import committed_changes, decode_cursor, encode_cursor, paginate
from fulfillment.models import Warehouse

factory = RequestFactory()


def _warehouse(name: str) -> Warehouse:
    return Warehouse.objects.create(
        public_id=name.lower(), name=name, code="T", address1="1 St", city="C", postcode="1", country="AU"
    )


def _poll(cursor: str | None, limit: int = 100):
    params = {"limit": str(limit)}
    if cursor:
        params["cursor"] = cursor
    page = paginate(factory.get("/v1/x", params), Warehouse.objects.all())
    return page


@pytest.mark.django_db(transaction=True)
def test_cursor_walk_returns_each_row_once_in_change_order():
    # transaction=True: each write commits on its own, as separate API requests would.
    rows = [_warehouse(f"W{i}") for i in range(7)]
    seen, cursor = [], None
    while True:
        page = _poll(cursor, limit=3)
        seen.extend(w.public_id for w in page.rows)
        cursor = page.resume_cursor
        if not page.has_more:
            assert page.next_cursor is None
            break
        assert page.next_cursor == page.resume_cursor
    assert seen == [w.public_id for w in rows]
    # An update moves the row to the end of the feed, so a poller resuming sees it again.
    Warehouse.objects.filter(public_id="w2").update(name="renamed")
    page = _poll(cursor)
    assert [w.public_id for w in page.rows] == ["w2"]


@pytest.mark.django_db
def test_tampered_cursor_is_refused():
    from config.api.errors import BadRequest

    good = encode_cursor(10, 5)
    assert decode_cursor(good) == (10, 5)
    with pytest.raises(BadRequest) as raised:
        decode_cursor(good[:-2] + ("A" if good[-1] != "A" else "B") + good[-1])
    assert raised.value.code == "invalid_cursor"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_row_committed_late_with_older_position_is_not_skipped():
    """A writes first but commits last; B commits in between; the poller must still see A."""
    a_wrote, poll_done = threading.Event(), threading.Event()
    errors = []

    def writer_a():
        try:
            with transaction.atomic():
                _warehouse("LATE_A")
                a_wrote.set()
                assert poll_done.wait(20)
        except Exception as exc:  # noqa: BLE001 - reported to the main thread
            errors.append(exc)
        finally:
            connection.close()

    def writer_b():
        try:
            with transaction.atomic():
                _warehouse("EARLY_B")
        finally:
            connection.close()

    ta = threading.Thread(target=writer_a)
    ta.start()
    assert a_wrote.wait(20)
    tb = threading.Thread(target=writer_b)
    tb.start()
    tb.join()

    # Without the watermark a poller would already see B and move its cursor past A's position:
    naive = list(Warehouse.objects.order_by("change_seq", "id").values_list("public_id", flat=True))
    assert naive == ["early_b"]
    first = _poll(None)
    assert [w.public_id for w in first.rows] == []  # B waits behind A, which is still in flight
    poll_done.set()
    ta.join()
    assert not errors
    second = _poll(first.resume_cursor)
    assert [w.public_id for w in second.rows] == ["late_a", "early_b"]
    assert committed_changes(Warehouse.objects.all()).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_a_poller_see_every_final_state_in_order():
    rows = [_warehouse(f"S{i}") for i in range(6)]
    ids = [w.id for w in rows]
    stop = threading.Event()
    final_names: dict[int, str] = {}
    lock = threading.Lock()

    def writer(n: int):
        rng = random.Random(n)
        try:
            for i in range(25):
                with transaction.atomic():
                    target = rng.choice(ids)
                    locked = Warehouse.objects.select_for_update().get(id=target)
                    time.sleep(rng.random() * 0.01)
                    name = f"{n}-{i}"
                    Warehouse.objects.filter(id=locked.id).update(name=name)
                    with lock:
                        final_names[target] = name
                    time.sleep(rng.random() * 0.02)  # commit later than others that started after us
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    seen: dict[int, list[str]] = {}
    cursor = None

    def drain():
        nonlocal cursor
        while True:
            page = _poll(cursor, limit=4)
            for w in page.rows:
                seen.setdefault(w.id, []).append(w.name)
            cursor = page.resume_cursor
            if not page.has_more:
                return

    while any(t.is_alive() for t in threads):
        drain()
        time.sleep(0.005)
    for t in threads:
        t.join()
    stop.set()
    drain()
    for row_id in ids:
        assert row_id in seen
        if row_id in final_names:
            # The last state a poller saw is the committed final state: nothing was skipped.
            assert seen[row_id][-1] == final_names[row_id]
