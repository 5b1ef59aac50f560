% The same predicate queried with a variable and with ground atoms, including an impossible one.
0.6::edge(1,2).
0.5::edge(2,3).
0.4::edge(3,1).
0.3::edge(3,4).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
query(path(1,X)).
query(path(2,4)).
query(path(4,1)).
