% Smokers without evidence, uncertain friendships forming cycles.
person(ann).
person(bob).
person(cid).
0.8::friend(ann,bob).
0.8::friend(bob,ann).
0.5::friend(bob,cid).
0.6::friend(cid,ann).
0.3::stress(X) :- person(X).
0.4::influences(X,Y) :- person(X), person(Y).
smokes(X) :- stress(X).
smokes(X) :- friend(X,Y), influences(Y,X), smokes(Y).
0.4::asthma(X) :- smokes(X).
healthy(X) :- person(X), \+ smokes(X), \+ asthma(X).
query(smokes(X)).
query(asthma(ann)).
query(healthy(X)).
