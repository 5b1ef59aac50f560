% Transitive closure, left-recursive, on a 4-cycle with a chord (plus a right-recursive copy).
0.5::arc(1,2).
0.6::arc(2,3).
0.7::arc(3,4).
0.4::arc(4,1).
0.3::arc(2,4).
tc(X,Y) :- arc(X,Y).
tc(X,Y) :- tc(X,Z), arc(Z,Y).
rtc(X,Y) :- arc(X,Y).
rtc(X,Y) :- arc(X,Z), rtc(Z,Y).
same :- tc(1,4), rtc(1,4).
query(tc(1,Y)).
query(tc(3,2)).
query(rtc(3,2)).
query(same).
