% Independent probabilistic facts and conjunctions / disjunctions of them.
0.3::a.
0.6::b.
0.25::c.
both :- a, b.
either :- a.
either :- b.
all_three :- a, b, c.
a_not_b :- a, \+ b.
query(a).
query(both).
query(either).
query(all_three).
query(a_not_b).
