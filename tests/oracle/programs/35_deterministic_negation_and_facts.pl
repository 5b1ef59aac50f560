% Deterministic facts and rules mixed with probabilistic ones; negated probabilistic facts.
bird(tweety).
bird(polly).
penguin(polly).
0.9::healthy(tweety).
0.6::healthy(polly).
abnormal(X) :- penguin(X).
abnormal(X) :- bird(X), \+ healthy(X).
flies(X) :- bird(X), \+ abnormal(X).
grounded(X) :- bird(X), \+ flies(X).
query(flies(X)).
query(grounded(X)).
query(abnormal(tweety)).
