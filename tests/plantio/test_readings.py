"""What one OPC UA DataValue becomes as a reading: tag, value, status and both timestamps as
the server sent them (pure: asyncua's own types, no server). Naive timestamps are UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from asyncua import ua

from optimizer.plantio.opcua_client import _aware, _reading
from optimizer.plantio.types import Quality


def test_a_naive_timestamp_is_utc_and_an_aware_one_keeps_its_instant() -> None:
    naive = datetime(2026, 12, 1, 5, 0, 0)
    assert _aware(naive) == naive.replace(tzinfo=UTC)
    assert _aware(naive).tzinfo is UTC  # type: ignore[union-attr]
    cest = datetime(2026, 12, 1, 7, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert _aware(cest) is cest  # same instant (05:00 UTC), not relabelled as 07:00 UTC
    assert _aware(None) is None


def test_a_reading_carries_its_tag_value_status_and_both_timestamps() -> None:
    src, srv = datetime(2026, 12, 1, 5, 0, 0), datetime(2026, 12, 1, 5, 0, 1)
    dv = ua.DataValue(
        ua.Variant(8.5, ua.VariantType.Double),
        ua.StatusCode(ua.StatusCodes.UncertainLastUsableValue),
        SourceTimestamp=src,
        ServerTimestamp=srv,
    )
    r = _reading("boiler1_sp", dv)
    assert r.tag == "boiler1_sp" and r.value == 8.5
    assert r.status == "UncertainLastUsableValue" and r.quality is Quality.UNCERTAIN
    assert r.source_ts == src.replace(tzinfo=UTC)
    assert r.server_ts == srv.replace(tzinfo=UTC)


def test_a_data_value_without_a_value_reads_as_none() -> None:
    r = _reading("boiler1_sp", ua.DataValue(None, ua.StatusCode(ua.StatusCodes.BadNoData)))
    assert r.value is None and r.status == "BadNoData" and r.quality is Quality.BAD
