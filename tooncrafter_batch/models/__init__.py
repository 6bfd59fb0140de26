"""The network families (ToonCrafter, RIFE, GMFSS) and the ops they share, in pure torch: no files, no downloads."""
