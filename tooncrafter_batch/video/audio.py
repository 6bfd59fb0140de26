"""Carry the input's audio and subtitle streams into the output, in step with the new video.

Packets are stream-copied (no re-encoding) when the output container can hold their codec; audio it cannot hold
is re-encoded to the container's audio codec; subtitles it cannot hold are dropped with a warning. Times are
shifted by the source video's start time, since the output video starts at 0 where the source video started.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from ..errors import InputError


@dataclass
class _Route:
    """Where the packets of one input stream go: copied as they are, or decoded and re-encoded."""

    output: av.stream.Stream
    shift: int  # input time-base units subtracted from every timestamp
    resampler: av.AudioResampler | None = None  # set when re-encoding
    next_pts: int | None = None  # re-encoding: pts of the next sample, in 1/sample_rate


class StreamCopier:
    """Copies the audio and subtitle streams of `source` into `output`, up to a time the video writer gives.

    Build it before the first packet is muxed (it adds the output streams), then call `copy_until(t)` after
    each video frame and `finish()` before closing the output. Only one packet is read ahead: memory is bounded.
    """

    def __init__(self, source: Path, output: av.container.OutputContainer):
        self.warnings: list[str] = []
        try:
            self._input = av.open(str(source))
        except av.FFmpegError as error:
            raise InputError(f"cannot read the audio of {source} ({error.strerror or error})") from None
        video = self._input.streams.video
        self._start = _seconds(video[0].start_time, video[0].time_base) if video else Fraction(0)
        self._routes = {stream.index: route for stream in self._input.streams
                        if (route := self._route(stream, output)) is not None}
        selected = [stream for stream in self._input.streams if stream.index in self._routes]
        self._packets = self._input.demux(selected) if selected else iter(())
        self._ahead: av.Packet | None = None
        self._output = output

    def _route(self, stream: av.stream.Stream, output: av.container.OutputContainer) -> _Route | None:
        if stream.type not in ("audio", "subtitle"):
            return None
        shift = round(self._start / Fraction(stream.time_base))
        if stream.codec_context.name in output.supported_codecs:
            return _Route(output.add_stream_from_template(stream), shift)
        if stream.type == "subtitle":
            self.warnings.append(f"subtitle stream {stream.index} ({stream.codec_context.name}) cannot go into "
                                 f"{output.format.name}; dropped (choose .mkv to keep it)")
            return None
        return self._reencode_route(stream, output, shift)

    def _reencode_route(self, stream: av.AudioStream, output: av.container.OutputContainer, shift: int) -> _Route:
        codec = "aac" if "aac" in output.supported_codecs else output.default_audio_codec
        encoder = output.add_stream(codec, rate=stream.codec_context.sample_rate)
        encoder.layout = stream.codec_context.layout
        sample_format = encoder.codec_context.codec.audio_formats[0].name
        self.warnings.append(f"audio stream {stream.index} ({stream.codec_context.name}) cannot be copied into "
                             f"{output.format.name}; re-encoded to {codec}")
        return _Route(encoder, shift, av.AudioResampler(format=sample_format, layout=encoder.layout,
                                                        rate=encoder.rate))

    def copy_until(self, time: Fraction | None) -> None:
        """Mux the packets that start before `time` (seconds of output time); None: all that are left."""
        while True:
            packet = self._ahead if self._ahead is not None else next(self._packets, None)
            self._ahead = None
            if packet is None:
                return
            if packet.dts is None and packet.pts is None:
                continue  # a demuxer flush packet
            if time is not None and self._output_time(packet) >= time:
                self._ahead = packet
                return
            self._send(packet)

    def finish(self) -> None:
        """Mux everything left, flush the re-encoders and close the input."""
        self.copy_until(None)
        for route in self._routes.values():
            if route.resampler is not None:
                self._output.mux(route.output.encode(None))
        self._input.close()

    def close(self) -> None:
        self._input.close()

    def _output_time(self, packet: av.Packet) -> Fraction:
        stamp = packet.pts if packet.pts is not None else packet.dts
        return _seconds(stamp, packet.time_base) - self._start

    def _send(self, packet: av.Packet) -> None:
        route = self._routes[packet.stream.index]
        if route.resampler is not None:
            self._reencode(packet, route)
            return
        if packet.pts is not None:
            packet.pts -= route.shift
        if packet.dts is not None:
            packet.dts -= route.shift
        packet.stream = route.output
        self._output.mux(packet)

    def _reencode(self, packet: av.Packet, route: _Route) -> None:
        for decoded in packet.decode():
            for frame in route.resampler.resample(decoded):
                if route.next_pts is None:  # the first sample keeps its place relative to the video
                    route.next_pts = round(self._output_time(packet) * frame.sample_rate)
                frame.pts, frame.time_base = route.next_pts, Fraction(1, frame.sample_rate)
                route.next_pts += frame.samples
                self._output.mux(route.output.encode(frame))


def write_audio(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Encode float32 samples shaped (channels, n) to AAC in an MP4 file (used to add sound to test clips).

    MP4 keeps the sample-exact timestamps (time base 1/sample_rate); Matroska would round them to milliseconds.
    """
    if samples.ndim != 2 or samples.shape[0] not in (1, 2):
        raise ValueError(f"audio samples must be shaped (1 or 2 channels, n), got {samples.shape}")
    layout = "mono" if samples.shape[0] == 1 else "stereo"
    with av.open(str(path), "w", format="mp4") as output:
        stream = output.add_stream("aac", rate=sample_rate)
        stream.layout = layout
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples, dtype=np.float32), format="fltp",
                                           layout=layout)
        frame.sample_rate, frame.pts = sample_rate, 0
        output.mux(stream.encode(frame))
        output.mux(stream.encode(None))


def _seconds(stamp: int | None, time_base: Fraction) -> Fraction:
    return Fraction(0) if stamp is None else stamp * Fraction(time_base)
