"""The ``possibilistic`` backend (Pi-NeSy), found through the ``nesy.backends`` entry point so
that the core never imports it. It trains the tasks that name it (``tasks/mnist_addition``,
``tasks/mnist_addition_digits``, ``tasks/visudo``: ``nesy train --backend possibilistic``) and
answers no program's queries.
"""

from nesy.backend import TaskOnlyBackend

__all__ = ["BACKEND"]

BACKEND = TaskOnlyBackend("possibilistic")
