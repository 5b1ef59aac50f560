% Two annotated disjunctions sharing a head atom, and a probabilistic fact on that atom too.
0.3::x; 0.3::y.
0.5::x; 0.2::z.
0.1::z.
xy :- x, y.
only_z :- z, \+ x, \+ y.
query(x).
query(y).
query(z).
query(xy).
query(only_z).
