"""Grounding through clingo: IR -> clingo input -> ground program (via the observer API)."""

from nesy.ground.grounder import ground
from nesy.ground.program import GroundProgram, GroundRule, GroundWeightRule
from nesy.ground.translate import to_clingo

__all__ = ["ground", "GroundProgram", "GroundRule", "GroundWeightRule", "to_clingo"]
