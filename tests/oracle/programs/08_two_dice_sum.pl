% Two dice (one fair four-sided, one biased six-sided) and their sum with `is`.
0.25::d1(1); 0.25::d1(2); 0.25::d1(3); 0.25::d1(4).
0.1::d2(1); 0.1::d2(2); 0.2::d2(3); 0.2::d2(4); 0.2::d2(5); 0.2::d2(6).
sum(S) :- d1(X), d2(Y), S is X + Y.
query(sum(S)).
