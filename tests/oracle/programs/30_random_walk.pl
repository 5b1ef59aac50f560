% A random walk: AD with variables and residual (stay), arithmetic in recursive rules.
time(0).
time(1).
time(2).
0.5::move(T,left); 0.3::move(T,right) :- time(T).
at(0,3).
at(T1,P) :- at(T,P), time(T), \+ move(T,left), \+ move(T,right), T1 is T + 1.
at(T1,P1) :- at(T,P), time(T), move(T,left), T1 is T + 1, P1 is P - 1.
at(T1,P1) :- at(T,P), time(T), move(T,right), T1 is T + 1, P1 is P + 1.
query(at(3,P)).
query(at(2,3)).
