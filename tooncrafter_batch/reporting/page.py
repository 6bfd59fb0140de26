"""The report as one self-contained HTML page: inline CSS, inline SVG charts, thumbnails as base64 PNG data URIs.

Rendered from the report's JSON document only, so the page can be drawn again (`toonbatch report`) without the video.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from .charts import bar_chart, histogram, meter
from .records import SCORE_AT_HALF, PairRecord, Thumbnail, VideoQuality

_SCENE_COLOURS = ("#4c78a8", "#9ecae9")  # alternate per scene, so the cuts show in the per-pair chart
_LOW_CONFIDENCE = "#e45756"
_ALL_PAIRS_SHOWN = 2000  # rows of the full pair table; the JSON holds every pair
_STYLE = """body{font-family:sans-serif;margin:24px;max-width:1000px;color:#222}
table{border-collapse:collapse;font-size:12px;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.note{color:#555;font-size:13px}
figure{display:inline-block;margin:6px;border:1px solid #ddd;padding:4px;font-size:11px;vertical-align:top}
figure img{image-rendering:pixelated;max-width:160px;display:inline-block;margin-right:2px}
section{border-top:2px solid #444;margin-top:28px}"""
_NOTE = (
    "Difficulty is measured on each pair of keyframes the backend filled, from optical flow between them (shrunk, "
    "fast settings), before any in-between is made: <b>motion</b> (95th percentile, share of the diagonal), "
    "<b>occluded</b> (share of points hidden in the other keyframe), <b>residual</b> (what the motion does not "
    "explain, 0-255), <b>line miss</b> (share of lines with no line where the motion puts them) and their combined "
    "<b>score</b> (higher = harder). <b>Confidence</b> is not a measured quality: no true in-between exists to "
    f"compare with. It is a monotone map of the score, 1 / (1 + score / {SCORE_AT_HALF:g}), for an in-between in the "
    "middle of its pair, rising linearly to 1 for one next to a keyframe. Use it to find where to look first.")


def render_page(document: dict, source_name: str) -> str:
    videos = document["videos"]
    body = [f"<h1>toonbatch quality report</h1><p class=note>From {escape(source_name)}; {len(videos)} video(s).</p>",
            f"<p class=note>{_NOTE}</p>", _overview(videos)]
    body += [_video_section(index, video) for index, video in enumerate(videos)]
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>toonbatch quality report</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def _overview(videos: list[dict]) -> str:
    rows = []
    for index, video in enumerate(videos):
        quality = _quality(video)
        pairs = quality.pairs if quality else ()
        lowest = min((value for record in pairs for value in record.confidences), default=None)
        rows.append(f"<tr><td><a href='#video-{index}'>{escape(str(video.get('input', '?')))}</a></td>"
                    f"<td>{escape(str(video.get('status', '')))}</td><td>{escape(quality.backend if quality else '')}"
                    f"</td><td>{len(pairs)}</td><td>{sum(len(record.outputs) for record in pairs)}</td>"
                    f"<td>{_number(max((record.difficulty.score for record in pairs), default=None))}</td>"
                    f"<td>{_number(lowest)}</td></tr>")
    return ("<table><tr><th>video</th><th>status</th><th>backend</th><th>pairs</th><th>in-betweens</th>"
            f"<th>hardest score</th><th>lowest confidence</th></tr>{''.join(rows)}</table>")


def _video_section(index: int, video: dict) -> str:
    heading = f"<h2>{escape(str(video.get('input', '?')))}</h2>"
    facts = (f"<p class=note>status {escape(str(video.get('status', '')))}"
             + (f" ({escape(str(video['reason']))})" if video.get("reason") else "")
             + f"; output {escape(str(video.get('output') or '-'))}; {video.get('frames_in', 0)} frames in, "
             f"{video.get('frames_out', 0)} out, {video.get('scenes', 0)} scene(s)</p>")
    quality = _quality(video)
    if quality is None:
        return f"<section id='video-{index}'>{heading}{facts}<p>No quality section for this video.</p></section>"
    return (f"<section id='video-{index}'>{heading}{facts}<p class=note>backend {escape(quality.backend)}; "
            f"difficulty measured with {escape(quality.measure)} in {quality.measure_seconds:.2f} s</p>"
            + _scenes(quality.pairs) + _charts(quality.pairs) + _worst(quality) + _all_pairs(quality.pairs)
            + "</section>")


def _scenes(pairs: tuple[PairRecord, ...]) -> str:
    by_scene: dict[int, list[PairRecord]] = defaultdict(list)
    for record in pairs:
        by_scene[record.scene].append(record)
    top = max((record.difficulty.score for record in pairs), default=0.0) or 1.0
    rows = []
    for scene, records in sorted(by_scene.items()):
        scores = [record.difficulty.score for record in records]
        mean = sum(scores) / len(scores)
        lowest = min(value for record in records for value in record.confidences)
        backends = ", ".join(sorted({record.backend for record in records}))
        rows.append(f"<tr><td>{scene}</td><td>{records[0].start_frame}-{records[-1].end_frame}</td>"
                    f"<td>{len(records)}</td><td>{mean:.2f} {meter(mean / top, _SCENE_COLOURS[0])}</td>"
                    f"<td>{max(scores):.2f}</td><td>{lowest:.2f}</td><td>{escape(backends)}</td></tr>")
    return ("<h3>Scenes</h3><table><tr><th>scene</th><th>source frames</th><th>pairs</th><th>mean score</th>"
            f"<th>hardest score</th><th>lowest confidence</th><th>backend</th></tr>{''.join(rows)}</table>")


def _charts(pairs: tuple[PairRecord, ...]) -> str:
    if not pairs:
        return "<p>No pair needed an in-between (copies and cuts only).</p>"
    scores = [record.difficulty.score for record in pairs]
    colours = [_LOW_CONFIDENCE if record.confidence < 0.5 else _SCENE_COLOURS[record.scene % 2] for record in pairs]
    tips = [f"pair {record.pair}, scene {record.scene}, frames {record.start_frame}-{record.end_frame}: score "
            f"{record.difficulty.score:.2f}, confidence {record.confidence:.2f}, {record.backend}" for record in pairs]
    confidences = [value for record in pairs for value in record.confidences]
    return ("<h3>Difficulty per pair</h3><p class=note>In playing order; colours alternate per scene, red: "
            "confidence below 0.5.</p>" + bar_chart(scores, colours, tips, "difficulty score per pair")
            + "<h3>Confidence per in-between</h3>"
            + histogram(confidences, 0.0, 1.0, 10, _SCENE_COLOURS[0], "in-betweens per confidence bin"))


def _worst(quality: VideoQuality) -> str:
    if not quality.worst:
        return ""
    by_pair = {record.pair: record for record in quality.pairs}
    figures = "".join(_thumbnail(thumb, by_pair[thumb.pair]) for thumb in quality.worst if thumb.pair in by_pair)
    return ("<h3>Hardest pairs</h3><p class=note>Keyframe 0, both overlaid (how far things move), keyframe 1; "
            f"the in-betweens are at the output frames named.</p>{figures}")


def _thumbnail(thumb: Thumbnail, record: PairRecord) -> str:
    images = "".join(f"<img alt='{label}' src='data:image/png;base64,{data}'>" for label, data in
                     (("keyframe 0", thumb.start_png), ("overlay", thumb.overlay_png), ("keyframe 1", thumb.end_png)))
    measures = ", ".join(f"{name} {value:.3g}" for name, value in record.difficulty.as_dict().items()
                         if name != "score")
    return (f"<figure>{images}<figcaption>pair {record.pair} (scene {record.scene}): source frames "
            f"{record.start_frame}-{record.end_frame}, output frames {_span(record.outputs)}<br>score "
            f"{record.difficulty.score:.2f}, confidence {record.confidence:.2f} ({escape(record.backend)})<br>"
            f"{measures}</figcaption></figure>")


def _all_pairs(pairs: tuple[PairRecord, ...]) -> str:
    rows = "".join(
        f"<tr><td>{record.pair}</td><td>{record.scene}</td><td>{record.start_frame}-{record.end_frame}</td>"
        f"<td>{float(record.start_time):.3f}</td><td>{_span(record.outputs)}</td><td>{escape(record.backend)}</td>"
        + "".join(f"<td>{value:.3g}</td>" for value in record.difficulty.as_dict().values())
        + f"<td>{' '.join(f'{value:.2f}' for value in record.confidences)}</td></tr>"
        for record in pairs[:_ALL_PAIRS_SHOWN])
    more = f" (the first {_ALL_PAIRS_SHOWN}; the JSON has all)" if len(pairs) > _ALL_PAIRS_SHOWN else ""
    return (f"<details><summary>All {len(pairs)} pairs{more}</summary><table><tr><th>pair</th><th>scene</th>"
            "<th>source frames</th><th>time (s)</th><th>output frames</th><th>backend</th><th>motion</th>"
            "<th>occluded</th><th>residual</th><th>line miss</th><th>change</th><th>score</th>"
            f"<th>confidence per in-between</th></tr>{rows}</table></details>")


def _quality(video: dict) -> VideoQuality | None:
    return VideoQuality.from_dict(video["quality"]) if video.get("quality") else None


def _span(indices: tuple[int, ...]) -> str:
    if not indices:
        return "-"
    return str(indices[0]) if len(indices) == 1 else f"{indices[0]}-{indices[-1]}"


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
