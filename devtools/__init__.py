"""Tools for the generator's developers, not for contributors: `kb-dev synth` writes a synthetic
knowledge base, `kb-dev bench` measures the build against its targets (`make bench`)."""
