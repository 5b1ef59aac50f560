% Noisy-or: several probabilistic rules for one head.
0.1::cause1.
0.2::cause2.
0.35::cause3.
0.8::effect :- cause1.
0.6::effect :- cause2.
0.9::effect :- cause3.
0.05::effect.
query(effect).
query(cause2).
