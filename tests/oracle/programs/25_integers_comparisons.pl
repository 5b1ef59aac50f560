% Integer constants, arithmetic and every comparison operator.
num(1).
num(2).
num(3).
num(4).
num(5).
0.5::pick(X) :- num(X).
big(X) :- pick(X), X >= 4.
small(X) :- pick(X), X =< 2.
gap(D) :- pick(X), pick(Y), X < Y, D is Y - X, D > 2.
distinct_sum(S) :- pick(X), pick(Y), X \= Y, S is X + Y, S > 8.
double(Y) :- pick(X), Y is X * 2, Y < 5.
query(big(X)).
query(small(X)).
query(gap(D)).
query(distinct_sum(S)).
query(double(Y)).
