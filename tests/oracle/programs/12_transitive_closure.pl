% Transitive closure over a mostly deterministic family tree with a few uncertain links.
parent(ann,bob).
0.7::parent(bob,carl).
0.4::parent(carl,dora).
parent(dora,eve).
0.5::parent(bob,dora).
0.9::parent(ann,fay).
parent(fay,eve).
ancestor(X,Y) :- parent(X,Y).
ancestor(X,Y) :- parent(X,Z), ancestor(Z,Y).
query(ancestor(ann,X)).
query(ancestor(bob,eve)).
