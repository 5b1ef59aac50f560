"""Pi-NeSy: possibilistic rule-based reasoning over the softmax outputs of perception networks.

Softmax outputs become possibility distributions (:mod:`.transform`); rule sets "if p then q"
with learned parameters ``s, r`` infer possibility distributions over concepts by min-max products
(:mod:`.rules`, kernels in :mod:`.fre`), chained in cascades; their parameters are learned by
solving min-max fuzzy relational equations (:mod:`.learning`), with thresholds chosen on
validation data (:mod:`.decide`), with the authors' CNN (:mod:`.network`). Its tasks live in
``tasks/``: MNIST-addition-k (``tasks/mnist_addition/pinesy_*.py``) and ViSudo-PC
(``tasks/visudo/pinesy_sudoku.py``); ``nesy train --backend possibilistic``. Specification:
ALGORITHMS.md A.
"""
