% Evidence (true) on a derived atom.
0.3::a.
0.6::b.
0.2::x.
c :- a.
c :- b.
d :- a, x.
evidence(c, true).
query(a).
query(b).
query(d).
query(c).
