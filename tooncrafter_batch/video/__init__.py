"""Video in and out with PyAV (the libav bundled in the `av` wheel; no ffmpeg binary needed).

`decode` opens an input (a video file, or a folder of numbered PNGs via `image_folder`) and streams its frames;
`encode` writes frames at an exact rational rate into a temporary file renamed on success, copying the input's
audio and subtitle streams (`audio`) in step with the video.
"""
