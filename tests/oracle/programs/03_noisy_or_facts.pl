% Noisy-or: several probabilistic facts on one atom (each an independent choice).
0.3::rain.
0.4::rain.
0.2::rain.
0.5::sprinkler.
0.25::sprinkler.
0.3::lit(a).
0.5::lit(a).
0.2::lit(b).
wet :- rain.
wet :- sprinkler.
both_lit :- lit(a), lit(b).
query(rain).
query(sprinkler).
query(wet).
query(lit(X)).
query(both_lit).
