% Queries that are certainly true (1.0) and impossible (0.0).
0.4::a.
n(1).
n(2).
base.
derived :- base.
sure :- a.
sure :- \+ a.
never :- a, \+ a.
too_large :- n(X), X > 5.
blocked :- base, \+ derived.
query(base).
query(derived).
query(sure).
query(never).
query(too_large).
query(blocked).
query(a).
