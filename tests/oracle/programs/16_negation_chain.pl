% Chains of negation across several strata.
0.5::p.
0.4::q.
0.3::u.
r :- p, \+ q.
s :- \+ r, q.
s :- u.
t :- \+ s, \+ r.
w :- t, \+ u.
w :- r, s.
query(r).
query(s).
query(t).
query(w).
