% Annotated disjunctions with bodies (including a negated body literal).
0.6::cloudy.
0.7::rain; 0.2::snow :- cloudy.
0.1::rain; 0.05::hail :- \+ cloudy.
wet :- rain.
wet :- snow.
icy :- snow.
icy :- hail.
query(rain).
query(snow).
query(hail).
query(wet).
query(icy).
