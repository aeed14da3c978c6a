"""The Beam stages of `cord19 build`: thin DoFns and PTransforms over named pure functions.

With `pipeline/build.py`, this package is the only code that imports Apache Beam.
"""

DEAD_LETTERS = "dead_letters"  # the tagged output name every stage uses for its dead letters
