"""Planning: pure functions of frames and settings. Scene cuts, the timing of drawings, and which output frame
comes from which keyframes at which position."""
