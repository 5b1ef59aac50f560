"""The variable order keeps the choices of one step together: a chain such as ProbLog's
weather HMM compiles to SDDs that grow linearly with its length (the plain depth-first order
made them exponential: 16 steps took a minute, 100 never finished)."""

from __future__ import annotations

import pytest

from nesy.ground.topdown import ground_problog
from nesy.infer import query
from nesy.infer.compile import compile_queries

WEATHER = """
0.5::weather(sun,0) ; 0.5::weather(rain,0) <- true.
0.6::weather(sun,T) ; 0.4::weather(rain,T) <- T>0, Tprev is T-1, weather(sun,Tprev).
0.2::weather(sun,T) ; 0.8::weather(rain,T) <- T>0, Tprev is T-1, weather(rain,Tprev).
query(weather(sun,{steps})).
"""


def sun_probability(steps: int) -> float:
    """The chain's own recurrence: P(sun at t) = 0.6 P(sun at t-1) + 0.2 P(rain at t-1)."""
    p = 0.5
    for _ in range(steps):
        p = 0.6 * p + 0.2 * (1 - p)
    return p


@pytest.mark.parametrize("steps", [3, 60])
def test_an_hmm_chain_compiles_linearly_and_exactly(steps):
    ground = ground_problog(WEATHER.format(steps=steps))
    queries = tuple(q.atom for q in ground.program.queries)
    # measured: 7,320 nodes at 100 steps, about 73 per step; the folded order outgrew this
    # budget (a CompileError here) within seconds
    compiled = compile_queries(ground.program, queries, max_sdd_size=1_000 * steps)
    assert compiled.sdd_size < 100 * steps + 500
    (probability,) = query(ground.program).values()
    assert probability == pytest.approx(sun_probability(steps), abs=1e-12)
