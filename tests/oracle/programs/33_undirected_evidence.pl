% Undirected reachability with evidence that two nodes are NOT connected.
0.5::e(a,b).
0.5::e(b,c).
0.5::e(c,d).
0.5::e(d,a).
0.5::e(a,c).
0.5::e(d,f).
0.5::e(c,f).
0.5::e(f,g).
conn(X,Y) :- e(X,Y).
conn(X,Y) :- e(Y,X).
reach(X,Y) :- conn(X,Y).
reach(X,Y) :- reach(X,Z), conn(Z,Y).
evidence(reach(a,g), false).
evidence(e(a,c), true).
query(reach(a,X)).
query(e(d,f)).
