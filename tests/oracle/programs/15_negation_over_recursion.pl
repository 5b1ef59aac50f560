% Negation over a recursive predicate: nodes that cannot be reached from a.
node(a).
node(b).
node(c).
node(d).
node(e).
0.7::edge(a,b).
0.6::edge(b,c).
0.5::edge(c,a).
0.4::edge(c,d).
0.3::edge(d,b).
0.8::edge(d,e).
0.2::edge(a,d).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
unreachable(X) :- node(X), \+ path(a,X).
isolated_pair :- unreachable(d), unreachable(e).
query(unreachable(X)).
query(isolated_pair).
