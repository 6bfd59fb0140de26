"""Pure functions of pictures shared by backends and sketch input: line art, and fitting frames to a model grid."""
