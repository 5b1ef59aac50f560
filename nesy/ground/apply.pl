% library(apply) of nesy's ProbLog dialect, in Prolog: loaded by `:- use_module(library(apply)).`
% as in ProbLog. A program's own definition of one of these predicates replaces the one here.

exclude(_, [], []).
exclude(P, [H|T], R) :- call(P, H), exclude(P, T, R).
exclude(P, [H|T], [H|R]) :- \+ call(P, H), exclude(P, T, R).

include(_, [], []).
include(P, [H|T], [H|R]) :- call(P, H), include(P, T, R).
include(P, [H|T], R) :- \+ call(P, H), include(P, T, R).

partition(_, [], [], []).
partition(P, [H|T], [H|I], E) :- call(P, H), partition(P, T, I, E).
partition(P, [H|T], I, [H|E]) :- \+ call(P, H), partition(P, T, I, E).

maplist(_, []).
maplist(P, [A|As]) :- call(P, A), maplist(P, As).
maplist(_, [], []).
maplist(P, [A|As], [B|Bs]) :- call(P, A, B), maplist(P, As, Bs).
maplist(_, [], [], []).
maplist(P, [A|As], [B|Bs], [C|Cs]) :- call(P, A, B, C), maplist(P, As, Bs, Cs).
maplist(_, [], [], [], []).
maplist(P, [A|As], [B|Bs], [C|Cs], [D|Ds]) :- call(P, A, B, C, D), maplist(P, As, Bs, Cs, Ds).

foldl(G, L, V0, V) :- foldl_(L, G, V0, V).
foldl_([], _, V, V).
foldl_([X|Xs], G, V0, V) :- call(G, X, V0, V1), foldl_(Xs, G, V1, V).
