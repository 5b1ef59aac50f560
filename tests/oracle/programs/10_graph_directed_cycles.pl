% Reachability on a probabilistic directed graph with cycles (6 nodes, 10 edges).
0.6::edge(a,b).
0.5::edge(b,c).
0.7::edge(c,a).
0.4::edge(c,d).
0.3::edge(d,e).
0.8::edge(e,c).
0.5::edge(b,e).
0.6::edge(e,f).
0.2::edge(f,d).
0.9::edge(d,b).
path(X,Y) :- edge(X,Y).
path(X,Y) :- edge(X,Z), path(Z,Y).
query(path(a,X)).
query(path(f,b)).
