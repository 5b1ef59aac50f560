% Annotated disjunctions with variables: one independent choice per ground instance.
coin(c1).
coin(c2).
coin(c3).
fair(c1).
fair(c2).
0.5::heads(C); 0.5::tails(C) :- coin(C), fair(C).
0.9::heads(C); 0.1::tails(C) :- coin(C), \+ fair(C).
all_heads :- heads(c1), heads(c2), heads(c3).
some_tails :- tails(C).
two_heads :- heads(X), heads(Y), X \= Y.
query(heads(X)).
query(tails(c3)).
query(all_heads).
query(some_tails).
query(two_heads).
