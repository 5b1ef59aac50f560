"""The ``anesi`` backend (A-NeSI), found through the ``nesy.backends`` entry point so that the
core never imports it. It trains the tasks that name it (``tasks/mnist_addition_digits``:
``nesy train --backend anesi``) and answers no program's queries.
"""

from nesy.backend import TaskOnlyBackend

__all__ = ["BACKEND"]

BACKEND = TaskOnlyBackend("anesi")
