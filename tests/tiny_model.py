"""A tiny model trained in a second on ten sentences, for tests that need a real one."""
import numpy as np

from train.pipeline.candidates import build_candidates

LABELS = ["accusation", "self_defence", "legal_appeal", "negotiation"]
TEXTS = [
    "Their artillery shelled the market again.", "They shelled the school and the clinic.",
    "We struck back to protect our villages.", "Our forces will respond to protect civilians.",
    "This breaches international law and the Charter.", "It violates international law.",
    "We are ready for talks without preconditions.", "We call for talks and a ceasefire.",
    "The ministers met on Friday.", "The weather was mild on Friday.",
]
Y = np.array([[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0],
              [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]])


def fit_tiny():
    """The first candidate pipeline fitted on the ten sentences."""
    return list(build_candidates().values())[0].fit(TEXTS, Y)
