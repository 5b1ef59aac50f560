% Probabilistic rules with conjunctive bodies, negated bodies and variables.
0.5::a.
0.4::b.
0.3::c :- a, b.
0.6::c :- \+ a.
item(x).
item(y).
item(z).
light(x).
0.5::light(y).
0.7::carry(X) :- item(X), light(X).
0.2::carry(X) :- item(X), \+ light(X).
all_carried :- carry(x), carry(y), carry(z).
query(c).
query(carry(X)).
query(all_carried).
