% Reachability on a probabilistic undirected graph (6 nodes, 9 edges, integer node names).
0.5::e(1,2).
0.6::e(2,3).
0.4::e(1,3).
0.7::e(3,4).
0.3::e(4,5).
0.8::e(2,5).
0.2::e(5,6).
0.9::e(4,6).
0.5::e(1,6).
conn(X,Y) :- e(X,Y).
conn(X,Y) :- e(Y,X).
reach(X,Y) :- conn(X,Y).
reach(X,Y) :- conn(X,Z), reach(Z,Y).
query(reach(1,5)).
query(reach(1,6)).
query(reach(2,4)).
query(reach(3,3)).
