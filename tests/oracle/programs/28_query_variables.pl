% Queries with variables in several argument positions.
person(al).
person(bo).
person(cy).
0.6::likes(al,bo).
0.3::likes(bo,al).
0.5::likes(bo,cy).
0.4::likes(cy,cy).
mutual(X,Y) :- likes(X,Y), likes(Y,X).
liked(Y) :- likes(X,Y), X \= Y.
0.5::popular(X) :- liked(X).
lonely(X) :- person(X), \+ liked(X).
query(likes(X,Y)).
query(mutual(X,Y)).
query(liked(Y)).
query(popular(X)).
query(lonely(X)).
