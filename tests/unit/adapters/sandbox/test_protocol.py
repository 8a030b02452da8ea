import io
import os
import time

import pytest

from vibetrading.adapters.sandbox.protocol import (
    FrameError,
    decode_bars,
    encode_bars,
    read_frame,
    read_frame_before,
    write_frame,
)
from vibetrading.testing import make_bars


def test_bars_round_trip_keeps_index_and_values():
    bars = make_bars(50)

    again = decode_bars(*encode_bars(bars))

    assert again.index.equals(bars.index)
    assert (again.to_numpy() == bars.to_numpy()).all()
    assert list(again.columns) == list(bars.columns)


def test_frames_round_trip_and_refuse_oversize():
    stream = io.BytesIO()
    write_frame(stream, b"hello")
    write_frame(stream, b"x" * 100)
    stream.seek(0)

    assert read_frame(stream, limit=10) == b"hello"
    with pytest.raises(FrameError, match="over the limit"):
        read_frame(stream, limit=10)


def test_read_frame_closed_stream_raises():
    with pytest.raises(FrameError, match="closed"):
        read_frame(io.BytesIO(b"\x00\x00"), limit=10)


def test_read_frame_before_deadline_times_out_and_reads():
    read_end, write_end = os.pipe()
    try:
        with pytest.raises(TimeoutError):
            read_frame_before(read_end, time.monotonic() + 0.05, limit=10)
        os.write(write_end, b"\x00\x00\x00\x02ok")
        assert read_frame_before(read_end, time.monotonic() + 5, limit=10) == b"ok"
        os.write(write_end, b"\x00\x00\x01\x00")
        with pytest.raises(FrameError, match="over the limit"):
            read_frame_before(read_end, time.monotonic() + 5, limit=10)
        os.close(write_end)
        write_end = -1
        with pytest.raises(FrameError, match="closed"):
            read_frame_before(read_end, time.monotonic() + 5, limit=10)
    finally:
        os.close(read_end)
        if write_end >= 0:
            os.close(write_end)
