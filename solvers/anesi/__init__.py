"""A-NeSI: approximate inference that scales, by a learned inference model (ALGORITHMS.md D).

The program is only run forward: a total choice ``w`` of the neural atoms gives its answer
``y = c(w)`` (:mod:`.symbolic`: clingo on the program itself, or a vectorised function checked
against it). A prediction model ``q(y | P)``, factorised output digit by output digit
(:mod:`.inference`), learns the program's answer distribution from beliefs ``P`` drawn from a
Dirichlet prior fitted to the perception's recent beliefs (:mod:`.prior`); the perception
network learns through q from the task labels alone (:mod:`.learner`). No circuit is compiled,
so it trains programs whose circuits are out of reach, such as the whole-number MNIST-addition
program beyond N = 2 (the task: ``tasks/mnist_addition_digits/anesi_addition.py``) and 9x9
ViSudo-PC as one constraint (:mod:`.units`, :mod:`.pairs`; ``tasks/visudo/anesi_training.py``);
both are ``nesy train --backend anesi``.

Python::

    from tasks.mnist_addition_digits.anesi_addition import run_anesi_addition
    result = run_anesi_addition("programs/mnist_addition_numbers.nesy", digits=4, epochs=30)
"""

from typing import TYPE_CHECKING

from nesy.lazy import lazy_attributes

if TYPE_CHECKING:
    from solvers.anesi.learner import Anesi, AnesiConfig

__all__ = ["Anesi", "AnesiConfig"]

# imported on first use: `nesy query` loads this package's CLI entry point, not torch
lazy_attributes(
    __name__,
    {
        "Anesi": "solvers.anesi.learner",
        "AnesiConfig": "solvers.anesi.learner",
    },
)
