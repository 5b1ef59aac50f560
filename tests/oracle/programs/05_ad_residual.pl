% Annotated disjunction with residual probability (nothing chosen with probability 0.4).
0.1::low; 0.3::mid; 0.2::high.
nothing :- \+ low, \+ mid, \+ high.
some :- low.
some :- mid.
some :- high.
0.5::boost.
loud :- high.
loud :- mid, boost.
query(low).
query(mid).
query(high).
query(nothing).
query(some).
query(loud).
