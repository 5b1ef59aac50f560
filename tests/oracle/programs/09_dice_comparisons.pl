% Two throws of the same biased die (AD with a variable); comparisons and arithmetic.
throw(1).
throw(2).
0.16::v(T,1); 0.16::v(T,2); 0.16::v(T,3); 0.16::v(T,4); 0.16::v(T,5); 0.2::v(T,6) :- throw(T).
double :- v(1,X), v(2,X).
first_higher :- v(1,X), v(2,Y), X > Y.
seven :- v(1,X), v(2,Y), X + Y =:= 7.
at_most_four :- v(1,X), v(2,Y), S is X + Y, S =< 4.
big_diff(D) :- v(1,X), v(2,Y), D is X - Y, D >= 3.
query(double).
query(first_higher).
query(seven).
query(at_most_four).
query(big_diff(D)).
