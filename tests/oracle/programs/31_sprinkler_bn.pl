% The sprinkler Bayesian network with evidence on the grass being wet.
0.5::cloudy.
0.1::sprinkler :- cloudy.
0.5::sprinkler :- \+ cloudy.
0.8::rain :- cloudy.
0.2::rain :- \+ cloudy.
0.99::wet_grass :- sprinkler, rain.
0.9::wet_grass :- sprinkler, \+ rain.
0.9::wet_grass :- \+ sprinkler, rain.
evidence(wet_grass, true).
query(cloudy).
query(sprinkler).
query(rain).
