"""Measuring interpolation quality on real clips, the way ../shared/data/BASELINE.md measures ffmpeg.

`protocols` turns a clip into scored cases (which frames to predict from which), `metrics` scores one predicted
frame, `runner` scores backends on a protocol and aggregates, `ffmpeg_baseline` runs ffmpeg's minterpolate on the
same cases for comparison.
"""
