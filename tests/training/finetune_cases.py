"""The tiny footage of the training tests: a 64x64 cartoon drawn on ones, twos and threes, with a cut."""

from fractions import Fraction

from tooncrafter_batch.datatypes import Frame
from tooncrafter_batch.synthetic import CartoonSpec, render_frames
from tooncrafter_batch.training.settings import TrainingSettings

SPEC = CartoonSpec(width=64, height=64, num_frames=36, frame_rate=Fraction(24), cut_at_frame=18,
                   hold_pattern=(1, 2, 3), with_audio=False)
TINY = TrainingSettings(num_steps=2, batch_size=2, crop=32, validate_every=1, save_every=1, max_validation=2)


def cartoon_frames(spec: CartoonSpec = SPEC) -> list[Frame]:
    return [Frame(index, index / Fraction(spec.frame_rate), image) for index, image in enumerate(render_frames(spec))]
