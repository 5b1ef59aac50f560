% library(lists) and library(apply) for nesy's ProbLog dialect, in Prolog. A program's own
% definition of any of these predicates replaces the one here. Built-ins that need to see
% the whole list at once (length/2, sort/2, sum_list/2, ...) are in builtins.py.

member(X, [X|_]).
member(X, [_|T]) :- member(X, T).

append([], []).
append([L|Ls], As) :- append(L, Ws, As), append(Ls, Ws).

append([], L, L).
append([H|T], L, [H|R]) :- append(T, L, R).

select(X, [X|T], T).
select(X, [H|T], [H|R]) :- select(X, T, R).

selectchk(X, L, R) :- select(X, L, R).

delete([], _, []).
delete([H|T], X, R) :- H \= X, R = [H|R1], delete(T, X, R1).
delete([H|T], X, R) :- H = X, delete(T, X, R).

exclude(_, [], []).
exclude(P, [H|T], R) :- call(P, H), exclude(P, T, R).
exclude(P, [H|T], [H|R]) :- \+ call(P, H), exclude(P, T, R).

include(_, [], []).
include(P, [H|T], [H|R]) :- call(P, H), include(P, T, R).
include(P, [H|T], R) :- \+ call(P, H), include(P, T, R).

partition(_, [], [], []).
partition(P, [H|T], [H|I], E) :- call(P, H), partition(P, T, I, E).
partition(P, [H|T], I, [H|E]) :- \+ call(P, H), partition(P, T, I, E).

reverse(L, R) :- reverse_(L, [], R).
reverse_([], A, A).
reverse_([H|T], A, R) :- reverse_(T, [H|A], R).

nth0(I, L, E) :- nth_(L, 0, I, E).
nth1(I, L, E) :- nth_(L, 1, I, E).
nth_([H|_], B, B, H).
nth_([_|T], B, I, E) :- B1 is B + 1, nth_(T, B1, I, E).

last([X], X).
last([_|T], X) :- last(T, X).

permutation([], []).
permutation(L, [H|T]) :- select(H, L, R), permutation(R, T).

subtract([], _, []).
subtract([H|T], L, R) :- memberchk(H, L), subtract(T, L, R).
subtract([H|T], L, [H|R]) :- \+ memberchk(H, L), subtract(T, L, R).

intersection([], _, []).
intersection([H|T], L, [H|R]) :- memberchk(H, L), intersection(T, L, R).
intersection([H|T], L, R) :- \+ memberchk(H, L), intersection(T, L, R).

union([], L, L).
union([H|T], L, R) :- memberchk(H, L), union(T, L, R).
union([H|T], L, [H|R]) :- \+ memberchk(H, L), union(T, L, R).

max_member(M, L) :- msort(L, S), last(S, M).
min_member(M, [H|T]) :- msort([H|T], [M|_]).

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
