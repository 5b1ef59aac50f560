"""Prolog words the .nesy dialect does not have, so that errors can name them.

A .nesy program is clingo text with ProbLog's annotations: what a Prolog or ProbLog user writes
beyond that (a directive, a built-in predicate, an arithmetic function) would otherwise read as a
constraint, an undefined predicate or a compound term and quietly change the answer. The parser
and :mod:`nesy.lang.check` look names up here to say what the construct is instead.
"""

from __future__ import annotations

__all__ = [
    "PROBLOG_DIALECT",
    "DIRECTIVES",
    "BUILTIN_VALUES",
    "PROLOG_BUILTINS",
    "ARITHMETIC_FUNCTIONS",
    "builtin_message",
]

PROBLOG_DIALECT = "ProbLog programs run in the ProbLog dialect (a .pl file)"

#: ``:- name(...)`` with one of these names is a Prolog directive, not an integrity constraint
#: (when the program defines no predicate of that name and arity; see nesy.lang.check).
DIRECTIVES = frozenset(
    {
        "use_module",
        "consult",
        "ensure_loaded",
        "include",
        "load_files",
        "module",
        "dynamic",
        "discontiguous",
        "multifile",
        "initialization",
        "set_prolog_flag",
        "table",
        "op",
        "meta_predicate",
        "style_check",
        "license",
        "public",
        "thread_local",
        "volatile",
        "expects_dialect",
        "encoding",
        "set_stream",
        "if",
        "elif",
        "else",
        "endif",
    }
)

#: ``true``, ``fail`` and ``false`` in a body: Prolog's constants, clingo's ``#true``/``#false``.
BUILTIN_VALUES = {"true": True, "fail": False, "false": False}

_LISTS = "clingo has no lists"
_AGGREGATES = "collect with an aggregate (#count, #sum, #min, #max) instead"
_TYPE_TEST = "every term is ground when clingo compares it"
_DATABASE = "a .nesy program cannot change itself"

#: Prolog built-in predicates (name, arity) -> a hint, or "" for none.
PROLOG_BUILTINS: dict[tuple[str, int], str] = {
    **{("call", n): "" for n in range(1, 9)},
    ("findall", 3): _AGGREGATES,
    ("findall", 4): _AGGREGATES,
    ("bagof", 3): _AGGREGATES,
    ("setof", 3): _AGGREGATES,
    ("aggregate_all", 3): _AGGREGATES,
    ("aggregate_all", 4): _AGGREGATES,
    ("forall", 2): "write a constraint or a #count aggregate instead",
    ("between", 3): "for integers write an interval: X = Low..High",
    ("succ", 2): "write X = Y + 1",
    ("plus", 3): "write Z = X + Y",
    ("member", 2): _LISTS + "; a pool X = (a;b;c) or facts list the alternatives",
    ("memberchk", 2): _LISTS,
    ("length", 2): _LISTS,
    ("append", 3): _LISTS,
    ("append", 2): _LISTS,
    ("nth0", 3): _LISTS,
    ("nth1", 3): _LISTS,
    ("last", 2): _LISTS,
    ("reverse", 2): _LISTS,
    ("msort", 2): _LISTS,
    ("sort", 2): _LISTS,
    ("sort", 4): _LISTS,
    ("predsort", 3): _LISTS,
    ("select", 3): _LISTS,
    ("subtract", 3): _LISTS,
    ("sum_list", 2): _LISTS,
    ("sumlist", 2): _LISTS,
    ("max_list", 2): _LISTS,
    ("min_list", 2): _LISTS,
    ("list_to_set", 2): _LISTS,
    ("is_list", 1): _LISTS,
    ("numlist", 3): _LISTS,
    ("atom", 1): _TYPE_TEST,
    ("var", 1): _TYPE_TEST,
    ("nonvar", 1): _TYPE_TEST,
    ("number", 1): _TYPE_TEST,
    ("integer", 1): _TYPE_TEST,
    ("float", 1): _TYPE_TEST,
    ("atomic", 1): _TYPE_TEST,
    ("compound", 1): _TYPE_TEST,
    ("callable", 1): _TYPE_TEST,
    ("ground", 1): _TYPE_TEST,
    ("is_dict", 1): _TYPE_TEST,
    ("functor", 3): "",
    ("arg", 3): "",
    ("copy_term", 2): "",
    ("atom_codes", 2): "",
    ("atom_chars", 2): "",
    ("atom_length", 2): "",
    ("atom_concat", 3): "",
    ("atom_number", 2): "",
    ("atom_string", 2): "",
    ("number_codes", 2): "",
    ("char_code", 2): "",
    ("sub_atom", 5): "",
    ("term_to_atom", 2): "",
    ("string_concat", 3): "",
    ("assert", 1): _DATABASE,
    ("asserta", 1): _DATABASE,
    ("assertz", 1): _DATABASE,
    ("retract", 1): _DATABASE,
    ("retractall", 1): _DATABASE,
    ("once", 1): "",
    ("ignore", 1): "",
    ("catch", 3): "",
    ("throw", 1): "",
    ("not", 1): "write 'not p' or '\\+ p'",
    ("write", 1): "",
    ("writeln", 1): "",
    ("print", 1): "",
    ("format", 1): "",
    ("format", 2): "",
    ("nl", 0): "",
    ("halt", 0): "",
    ("repeat", 0): "",
    ("subquery", 2): "",
    ("subquery", 3): "",
}

#: Prolog's evaluable functions (name, arity) other than ``abs/1`` (which becomes clingo's
#: ``|X|``): inside arithmetic they would otherwise stay compound terms.
ARITHMETIC_FUNCTIONS = frozenset(
    {
        ("sign", 1),
        ("min", 2),
        ("max", 2),
        ("gcd", 2),
        ("msb", 1),
        ("sqrt", 1),
        ("sin", 1),
        ("cos", 1),
        ("tan", 1),
        ("asin", 1),
        ("acos", 1),
        ("atan", 1),
        ("atan", 2),
        ("atan2", 2),
        ("exp", 1),
        ("log", 1),
        ("log", 2),
        ("log2", 1),
        ("truncate", 1),
        ("integer", 1),
        ("float", 1),
        ("float_integer_part", 1),
        ("float_fractional_part", 1),
        ("round", 1),
        ("ceiling", 1),
        ("floor", 1),
        ("random", 1),
        ("random_float", 0),
        ("succ_or_zero", 1),
        ("cot", 1),
        ("sinh", 1),
        ("cosh", 1),
        ("tanh", 1),
    }
)


def builtin_message(name: str, arity: int) -> str | None:
    """What to say about a body literal ``name/arity`` that the program does not define and
    that is a Prolog built-in; ``None`` when it is not one."""
    hint = PROLOG_BUILTINS.get((name, arity))
    if hint is None:
        return None
    text = f"{name}/{arity} is a Prolog built-in that the .nesy dialect does not have"
    if hint:
        text += f" ({hint})"
    return f"{text}; {PROBLOG_DIALECT}"
