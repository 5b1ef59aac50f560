% The alarm example without evidence (marginals), plus evidence-free derived queries.
person(john).
person(mary).
0.1::burglary.
0.2::earthquake.
0.9::alarm :- burglary, earthquake.
0.8::alarm :- burglary, \+ earthquake.
0.1::alarm :- \+ burglary, earthquake.
0.8::calls(X) :- alarm, person(X).
0.1::calls(X) :- \+ alarm, person(X).
both_call :- calls(john), calls(mary).
query(alarm).
query(calls(X)).
query(both_call).
