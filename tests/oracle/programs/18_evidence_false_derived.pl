% Evidence (false) on a derived atom.
0.3::a.
0.6::b.
0.5::k.
c :- a, k.
c :- b, \+ k.
d :- a.
d :- b.
evidence(c, false).
query(a).
query(b).
query(k).
query(d).
