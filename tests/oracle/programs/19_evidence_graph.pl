% Several evidence atoms (true and false, on a derived and a probabilistic atom) on a cyclic graph.
0.6::edge(a,b).
0.5::edge(b,c).
0.4::edge(c,a).
0.7::edge(b,d).
0.3::edge(c,d).
0.5::edge(d,c).
0.8::edge(d,e).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
evidence(path(a,e), true).
evidence(edge(b,d), false).
query(path(a,X)).
query(edge(c,d)).
query(edge(a,b)).
