% Evidence on derived atoms over two annotated disjunctions (two dice).
0.25::d1(1); 0.25::d1(2); 0.25::d1(3); 0.25::d1(4).
0.25::d2(1); 0.25::d2(2); 0.25::d2(3); 0.25::d2(4).
sum(S) :- d1(X), d2(Y), S is X + Y.
double :- d1(X), d2(X).
high :- sum(S), S > 5.
evidence(double, false).
evidence(high, true).
query(sum(S)).
query(d1(X)).
