"""The benchmark's own measures: request boundaries and round trips seen by the table proxy, percentiles."""

from __future__ import annotations

import pytest

from tests.bench.load import percentile, spread
from tests.bench.table_proxy import ProxyStats, _RequestParser, classify


def request(method: str, path: str, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


def test_requests_are_found_whatever_the_chunking_and_bodies_are_skipped() -> None:
    sneaky = b'{"v": "GET /devstoreaccount1/x HTTP/1.1\\r\\n\\r\\n"}'
    stream = request("PUT", "/devstoreaccount1/botstate(PartitionKey='a',RowKey='state')", sneaky) + request(
        "GET", "/devstoreaccount1/botstate(PartitionKey='b',RowKey='state')"
    )
    for size in (1, 7, 64, len(stream)):
        parser = _RequestParser()
        found = [hit for i in range(0, len(stream), size) for hit in parser.feed(stream[i : i + size])]
        assert [method for method, _ in found] == ["PUT", "GET"]


def test_a_chunked_body_is_skipped() -> None:
    parser = _RequestParser()
    head = b"POST /devstoreaccount1/$batch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    found = parser.feed(head + b"5\r\nGET /\r\n0\r\n\r\n" + request("DELETE", "/devstoreaccount1/t(PartitionKey='a')"))
    assert [method for method, _ in found] == ["POST", "DELETE"]


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/devstoreaccount1/botstate(PartitionKey='a',RowKey='state')", "read"),
        ("GET", "/devstoreaccount1/botstate()?$filter=PartitionKey%20eq%20'a'", "read"),
        ("PUT", "/devstoreaccount1/botstate(PartitionKey='a',RowKey='state')", "write"),
        ("MERGE", "/devstoreaccount1/botstate(PartitionKey='a',RowKey='state')", "write"),
        ("DELETE", "/devstoreaccount1/botstate(PartitionKey='a',RowKey='state')", "delete"),
        ("POST", "/devstoreaccount1/Tables", "table"),
        ("DELETE", "/devstoreaccount1/Tables('botstate')", "table"),
    ],
)
def test_requests_are_classified(method: str, path: str, kind: str) -> None:
    assert classify(method, path) == kind


def test_requests_in_flight_together_are_one_round_trip() -> None:
    stats = ProxyStats()
    stats.started("read")
    stats.started("read")  # issued together (asyncio.gather)
    stats.answered(0.0)
    stats.started("read")  # still overlapping the second
    stats.answered(0.0)
    stats.answered(0.0)
    stats.started("write")  # after everything came back: a second round trip
    stats.answered(0.0)
    assert stats.round_trips == 2
    assert stats.requests == {"read": 3, "write": 1}


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
    assert percentile([], 0.5) is None


def test_turns_are_spread_over_the_conversations() -> None:
    lanes = spread(10, 3, lambda i, lane: {"i": i, "lane": lane})
    assert [len(lane) for lane in lanes] == [4, 3, 3]
    assert all(item["lane"] == n for n, lane in enumerate(lanes) for item in lane)
