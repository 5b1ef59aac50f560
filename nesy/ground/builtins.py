"""ProbLog's deterministic built-ins, evaluated while grounding.

Each built-in takes its arguments and the substitution and yields every extended substitution
under which it holds: it never depends on a probabilistic choice, so it leaves nothing in the
ground program. Control constructs (``,`` ``;`` ``->`` ``\\+`` ``call/N`` ``findall/3`` ...)
see the ground program and live in :mod:`nesy.ground.topdown`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TypeGuard

from nesy.errors import NesyTypeError
from nesy.ground.arith import Number, evaluate
from nesy.ground.unify import Env, OrderKey, is_ground, order_key, resolve, unify, walk
from nesy.lang.prolog_term import (
    NIL,
    Float,
    Struct,
    Term,
    Text,
    Var,
    list_items,
    make_list,
    number,
    render,
)

__all__ = ["BUILTINS", "BuiltinError", "MAX_ENUMERATION"]

#: the most values one call of between/3, length/2 or numlist/3 may enumerate
MAX_ENUMERATION = 1_000_000

#: a call's arguments
Args = tuple[Term, ...]
#: a built-in: every extension of the substitution under which the call holds
Builtin = Callable[[Args, Env], Iterator[Env]]
BUILTINS: dict[tuple[str, int], Builtin] = {}
#: built-ins that, as in ProbLog, a program sees only after ``:- use_module(library(L)).``
LIBRARY_OF: dict[tuple[str, int], str] = {}


class BuiltinError(NesyTypeError):
    """A built-in called in a way it cannot answer (wrong type, unbound argument)."""


def _builtin(name: str, arity: int, library: str | None = None) -> Callable[[Builtin], Builtin]:
    def register(function: Builtin) -> Builtin:
        BUILTINS[(name, arity)] = function
        if library is not None:
            LIBRARY_OF[(name, arity)] = library
        return function

    return register


def _yield(env: Env | None) -> Iterator[Env]:
    if env is not None:
        yield env


def _test(condition: bool, env: Env) -> Iterator[Env]:
    if condition:
        yield env


def _int(term: Term, env: Env, what: str) -> int:
    value = walk(term, env)
    if isinstance(value, Var):
        raise BuiltinError(f"{what}: an unbound argument where an integer is needed")
    if not isinstance(value, int):
        raise BuiltinError(f"{what}: {render(value)} is not an integer")
    return value


def _proper_list(term: Term, env: Env, what: str) -> list[Term]:
    items, tail = list_items(resolve(term, env))
    if tail != NIL:
        raise BuiltinError(f"{what}: {render(resolve(term, env))} is not a proper list")
    return items


def _text_of(term: Term, env: Env, what: str) -> str:
    value = walk(term, env)
    if isinstance(value, Struct) and not value.args:
        return value.name
    if isinstance(value, Text):
        return value.value
    if isinstance(value, int | float):
        return render(value)
    raise BuiltinError(f"{what}: {render(resolve(value, env))} is not an atom")


# --- unification and comparison of terms ---------------------------------------------------


@_builtin("=", 2)
def _unify(args: Args, env: Env) -> Iterator[Env]:
    return _yield(unify(args[0], args[1], env))


@_builtin("\\=", 2)
def _not_unifiable(args: Args, env: Env) -> Iterator[Env]:
    return _test(unify(args[0], args[1], env) is None, env)


def _identical(a: Term, b: Term, env: Env) -> bool:
    a, b = resolve(a, env), resolve(b, env)
    return order_key(a) == order_key(b)


_builtin("==", 2)(lambda args, env: _test(_identical(args[0], args[1], env), env))
_builtin("\\==", 2)(lambda args, env: _test(not _identical(args[0], args[1], env), env))


def _standard_order(op: Callable[[OrderKey, OrderKey], bool]) -> Builtin:
    def compare(args: Args, env: Env) -> Iterator[Env]:
        a, b = (order_key(resolve(t, env)) for t in args)
        return _test(op(a, b), env)

    return compare


_builtin("@<", 2)(_standard_order(lambda a, b: a < b))
_builtin("@>", 2)(_standard_order(lambda a, b: a > b))
_builtin("@=<", 2)(_standard_order(lambda a, b: a <= b))
_builtin("@>=", 2)(_standard_order(lambda a, b: a >= b))


@_builtin("compare", 3)
def _compare(args: Args, env: Env) -> Iterator[Env]:
    a, b = (order_key(resolve(t, env)) for t in args[1:])
    order = "<" if a < b else ">" if a > b else "="
    return _yield(unify(args[0], Struct(order), env))


# --- arithmetic ----------------------------------------------------------------------------


@_builtin("is", 2)
def _is(args: Args, env: Env) -> Iterator[Env]:
    return _yield(unify(args[0], number(evaluate(args[1], env)), env))


def _arithmetic(op: Callable[[float, float], bool]) -> Builtin:
    def compare(args: Args, env: Env) -> Iterator[Env]:
        return _test(op(evaluate(args[0], env), evaluate(args[1], env)), env)

    return compare


_builtin("=:=", 2)(_arithmetic(lambda a, b: a == b))
_builtin("=\\=", 2)(_arithmetic(lambda a, b: a != b))
_builtin("<", 2)(_arithmetic(lambda a, b: a < b))
_builtin(">", 2)(_arithmetic(lambda a, b: a > b))
_builtin("=<", 2)(_arithmetic(lambda a, b: a <= b))
_builtin(">=", 2)(_arithmetic(lambda a, b: a >= b))


@_builtin("between", 3)
def _between(args: Args, env: Env) -> Iterator[Env]:
    low = _int(args[0], env, "between/3")
    high_term = walk(args[1], env)
    high = (
        sys.maxsize
        if isinstance(high_term, Struct) and high_term.name in ("inf", "infinite")
        else _int(high_term, env, "between/3")
    )
    value = walk(args[2], env)
    if isinstance(value, int):
        yield from _test(low <= value <= high, env)
        return
    if not isinstance(value, Var):
        raise BuiltinError(f"between/3: {render(value)} is not an integer")
    if high - low >= MAX_ENUMERATION:
        raise BuiltinError(
            f"between({low}, {render(high_term)}, X) enumerates more than "
            f"{MAX_ENUMERATION:,} values: bound it"
        )
    for integer in range(low, high + 1):
        yield {**env, value: integer}


@_builtin("succ", 2)
def _succ(args: Args, env: Env) -> Iterator[Env]:
    a = walk(args[0], env)
    if isinstance(a, int):
        if a < 0:
            raise BuiltinError(f"succ/2: {a} is negative")
        return _yield(unify(args[1], a + 1, env))
    b = _int(args[1], env, "succ/2")
    return _yield(unify(a, b - 1, env)) if b > 0 else iter(())


@_builtin("plus", 3)
def _plus(args: Args, env: Env) -> Iterator[Env]:
    a, b, c = (walk(t, env) for t in args)
    if isinstance(c, Var):
        return _yield(unify(c, _int(a, env, "plus/3") + _int(b, env, "plus/3"), env))
    if isinstance(b, Var):
        return _yield(unify(b, _int(c, env, "plus/3") - _int(a, env, "plus/3"), env))
    return _yield(unify(a, _int(c, env, "plus/3") - _int(b, env, "plus/3"), env))


# --- type tests ----------------------------------------------------------------------------


def _type_test(test: Callable[[Term], bool]) -> Builtin:
    return lambda args, env: _test(test(walk(args[0], env)), env)


def _is_atom(t: Term) -> TypeGuard[Struct]:
    return isinstance(t, Struct) and not t.args


_builtin("var", 1)(_type_test(lambda t: isinstance(t, Var)))
_builtin("nonvar", 1)(_type_test(lambda t: not isinstance(t, Var)))
_builtin("atom", 1)(_type_test(_is_atom))
_builtin("number", 1)(_type_test(lambda t: isinstance(t, int | float)))
_builtin("integer", 1)(_type_test(lambda t: isinstance(t, int)))
_builtin("float", 1)(_type_test(lambda t: isinstance(t, float)))
_builtin("atomic", 1)(_type_test(lambda t: isinstance(t, int | float | Text) or _is_atom(t)))
_builtin("compound", 1)(_type_test(lambda t: isinstance(t, Struct) and bool(t.args)))
_builtin("callable", 1)(_type_test(lambda t: isinstance(t, Struct)))


@_builtin("is_list", 1)
def _is_list(args: Args, env: Env) -> Iterator[Env]:
    tail = list_items(resolve(args[0], env))[1]
    return _test(tail == NIL or isinstance(tail, Var), env)  # as ProbLog 2.3: [a|T] is a list


@_builtin("flatten", 2)
def _flatten(args: Args, env: Env) -> Iterator[Env]:
    flat: list[Term] = []
    stack = [resolve(args[0], env)]
    while stack:
        term = stack.pop()
        items, tail = list_items(term)
        if items or term == NIL:
            if tail != NIL:
                stack.append(tail)
            stack.extend(reversed(items))
        else:
            flat.append(term)
    return _yield(unify(args[1], make_list(flat), env))


_builtin("ground", 1)(lambda args, env: _test(is_ground(resolve(args[0], env)), env))


# --- terms ---------------------------------------------------------------------------------


@_builtin("functor", 3)
def _functor(args: Args, env: Env) -> Iterator[Env]:
    term = walk(args[0], env)
    if isinstance(term, Var):
        name, arity = walk(args[1], env), _int(args[2], env, "functor/3")
        if arity == 0:
            return _yield(unify(term, name, env))
        if not _is_atom(name):
            raise BuiltinError(f"functor/3: {render(name)} is not an atom")
        return _yield(unify(term, Struct(name.name, tuple(Var() for _ in range(arity))), env))
    # an empty substitution is falsy: test for None, or a failed arity would go unnoticed
    if isinstance(term, Struct):
        named = unify(args[1], Struct(term.name), env)
        return _yield(None if named is None else unify(args[2], len(term.args), named))
    named = unify(args[1], term, env)
    return _yield(None if named is None else unify(args[2], 0, named))


@_builtin("arg", 3)
def _arg(args: Args, env: Env) -> Iterator[Env]:
    term = walk(args[1], env)
    if not isinstance(term, Struct):
        raise BuiltinError(f"arg/3: {render(term)} is not a compound term")
    index = walk(args[0], env)
    if isinstance(index, int):
        if 1 <= index <= len(term.args):
            yield from _yield(unify(args[2], term.args[index - 1], env))
        return
    for i, value in enumerate(term.args, 1):
        extended = unify(index, i, env)
        if extended is not None:
            yield from _yield(unify(args[2], value, extended))


@_builtin("=..", 2)
def _univ(args: Args, env: Env) -> Iterator[Env]:
    term = walk(args[0], env)
    if isinstance(term, Struct):
        return _yield(unify(args[1], make_list([Struct(term.name), *term.args]), env))
    if not isinstance(term, Var):
        return _yield(unify(args[1], make_list([term]), env))
    items = _proper_list(args[1], env, "=../2")
    if not items:
        raise BuiltinError("=../2: an empty list has no functor")
    head = items[0]
    if len(items) == 1:
        return _yield(unify(term, head, env))
    if not _is_atom(head):
        raise BuiltinError(f"=../2: {render(head)} is not an atom")
    return _yield(unify(term, Struct(head.name, tuple(items[1:])), env))


@_builtin("copy_term", 2)
def _copy_term(args: Args, env: Env) -> Iterator[Env]:
    from nesy.ground.unify import rename

    return _yield(unify(args[1], rename(resolve(args[0], env), {}), env))


# --- atoms and strings ---------------------------------------------------------------------


def _codes_builtin(
    name: str, to_items: Callable[[str], list[Term]], parse: Callable[[list[Term], Env], Term]
) -> Builtin:
    def run(args: Args, env: Env) -> Iterator[Env]:
        first = walk(args[0], env)
        if not isinstance(first, Var):
            return _yield(unify(args[1], make_list(to_items(_text_of(first, env, name))), env))
        items = _proper_list(args[1], env, name)
        return _yield(unify(first, parse(items, env), env))

    return run


def _chars_text(items: list[Term], env: Env) -> str:
    return "".join(_text_of(i, env, "atom_chars/2") for i in items)


def _codes_text(items: list[Term], env: Env) -> str:
    return "".join(chr(_int(i, env, "atom_codes/2")) for i in items)


def _number_of(text: str, what: str) -> int | float:
    try:
        return int(text) if text.lstrip("-").isdigit() else Float(text)
    except ValueError as exc:
        raise BuiltinError(f"{what}: {text!r} is not a number") from exc


_builtin("atom_codes", 2)(
    _codes_builtin("atom_codes/2", lambda s: [ord(c) for c in s],
                   lambda items, env: Struct(_codes_text(items, env)))
)  # fmt: skip
_builtin("atom_chars", 2)(
    _codes_builtin("atom_chars/2", lambda s: [Struct(c) for c in s],
                   lambda items, env: Struct(_chars_text(items, env)))
)  # fmt: skip
_builtin("number_codes", 2)(
    _codes_builtin("number_codes/2", lambda s: [ord(c) for c in s],
                   lambda items, env: _number_of(_codes_text(items, env), "number_codes/2"))
)  # fmt: skip
_builtin("number_chars", 2)(
    _codes_builtin("number_chars/2", lambda s: [Struct(c) for c in s],
                   lambda items, env: _number_of(_chars_text(items, env), "number_chars/2"))
)  # fmt: skip


@_builtin("atom_length", 2)
def _atom_length(args: Args, env: Env) -> Iterator[Env]:
    return _yield(unify(args[1], len(_text_of(args[0], env, "atom_length/2")), env))


@_builtin("char_code", 2)
def _char_code(args: Args, env: Env) -> Iterator[Env]:
    char = walk(args[0], env)
    if isinstance(char, Var):
        return _yield(unify(char, Struct(chr(_int(args[1], env, "char_code/2"))), env))
    return _yield(unify(args[1], ord(_text_of(char, env, "char_code/2")), env))


@_builtin("atom_number", 2)
def _atom_number(args: Args, env: Env) -> Iterator[Env]:
    text = _text_of(args[0], env, "atom_number/2")
    try:
        value = _number_of(text, "atom_number/2")
    except BuiltinError:
        return iter(())
    return _yield(unify(args[1], value, env))


@_builtin("atom_concat", 3)
def _atom_concat(args: Args, env: Env) -> Iterator[Env]:
    a, b = walk(args[0], env), walk(args[1], env)
    if not isinstance(a, Var) and not isinstance(b, Var):
        joined = _text_of(a, env, "atom_concat/3") + _text_of(b, env, "atom_concat/3")
        yield from _yield(unify(args[2], Struct(joined), env))
        return
    whole = _text_of(args[2], env, "atom_concat/3")
    for cut in range(len(whole) + 1):
        extended = unify(a, Struct(whole[:cut]), env)
        if extended is not None:
            yield from _yield(unify(b, Struct(whole[cut:]), extended))


# --- lists (the rest of library(lists) is Prolog text: lists.pl) ----------------------------


@_builtin("length", 2)
def _length(args: Args, env: Env) -> Iterator[Env]:
    items, tail = list_items(resolve(args[0], env))
    if tail == NIL:
        return _yield(unify(args[1], len(items), env))
    if not isinstance(tail, Var):
        raise BuiltinError(f"length/2: {render(resolve(args[0], env))} is not a list")
    size = _int(args[1], env, "length/2 with a partial list")
    if size < len(items):
        return iter(())
    if size - len(items) > MAX_ENUMERATION:
        raise BuiltinError(f"length/2: a list of {size:,} items is too long")
    return _yield(unify(tail, make_list([Var() for _ in range(size - len(items))]), env))


def _sorted(args: Args, env: Env, what: str, unique: bool) -> Iterator[Env]:
    items = [resolve(i, env) for i in _proper_list(args[0], env, what)]
    items.sort(key=order_key)
    if unique:
        items = [
            x for i, x in enumerate(items) if i == 0 or order_key(items[i - 1]) != order_key(x)
        ]
    return _yield(unify(args[1], make_list(items), env))


_builtin("sort", 2)(lambda args, env: _sorted(args, env, "sort/2", True))
_builtin("msort", 2)(lambda args, env: _sorted(args, env, "msort/2", False))


@_builtin("keysort", 2)
def _keysort(args: Args, env: Env) -> Iterator[Env]:
    pairs: list[Struct] = []
    for item in _proper_list(args[0], env, "keysort/2"):
        pair = resolve(item, env)
        if not (isinstance(pair, Struct) and pair.name == "-" and len(pair.args) == 2):
            raise BuiltinError(f"keysort/2: {render(pair)} is not a Key-Value pair")
        pairs.append(pair)
    pairs.sort(key=lambda pair: order_key(pair.args[0]))
    return _yield(unify(args[1], make_list(tuple(pairs)), env))


@_builtin("list_to_set", 2, "lists")
def _list_to_set(args: Args, env: Env) -> Iterator[Env]:
    seen: list[Term] = []
    for item in _proper_list(args[0], env, "list_to_set/2"):
        item = resolve(item, env)
        if not any(_identical(item, s, env) for s in seen):
            seen.append(item)
    return _yield(unify(args[1], make_list(seen), env))


@_builtin("numlist", 3, "lists")
def _numlist(args: Args, env: Env) -> Iterator[Env]:
    low, high = _int(args[0], env, "numlist/3"), _int(args[1], env, "numlist/3")
    if high - low >= MAX_ENUMERATION:
        raise BuiltinError(f"numlist({low}, {high}, L): more than {MAX_ENUMERATION:,} items")
    return _yield(unify(args[2], make_list(list(range(low, high + 1))), env))


@_builtin("memberchk", 2, "lists")
def _memberchk(args: Args, env: Env) -> Iterator[Env]:
    items, _ = list_items(resolve(args[1], env))
    for item in items:
        extended = unify(args[0], item, env)
        if extended is not None:
            return _yield(extended)
    return iter(())


def _fold_numbers(name: str, combine: Callable[[list[Number]], Number]) -> Builtin:
    def run(args: Args, env: Env) -> Iterator[Env]:
        values = [evaluate(i, env) for i in _proper_list(args[0], env, name)]
        if not values and name != "sum_list/2":
            return iter(())
        return _yield(unify(args[1], number(combine(values)), env))

    return run


_builtin("sum_list", 2, "lists")(_fold_numbers("sum_list/2", sum))
_builtin("sumlist", 2, "lists")(_fold_numbers("sum_list/2", sum))
_builtin("max_list", 2, "lists")(_fold_numbers("max_list/2", max))
_builtin("min_list", 2, "lists")(_fold_numbers("min_list/2", min))


# --- output (ProbLog prints while grounding; nesy prints to stderr, keeping stdout's answers)


def _write(newline: bool) -> Builtin:
    def run(args: Args, env: Env) -> Iterator[Env]:
        text = "".join(
            t.value if isinstance(t, Text) else render(t) for t in (resolve(a, env) for a in args)
        )
        print(text, end="\n" if newline else "", file=sys.stderr)
        yield env

    return run


_builtin("write", 1)(_write(False))
_builtin("print", 1)(_write(False))
_builtin("display", 1)(_write(False))
_builtin("writeln", 1)(_write(True))
_builtin("nl", 0)(_write(True))
