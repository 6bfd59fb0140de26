"""Model weights: finding, downloading, verifying and converting checkpoints, and building models from them."""
