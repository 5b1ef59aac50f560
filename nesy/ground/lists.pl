% library(lists) of nesy's ProbLog dialect, in Prolog: loaded by `:- use_module(library(lists)).`
% as in ProbLog. A program's own definition of one of these predicates replaces the one here.
% Built-ins that need the whole list at once (sum_list/2, memberchk/2, ...) are in builtins.py.

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
