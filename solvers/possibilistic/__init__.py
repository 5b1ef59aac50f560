"""Pi-NeSy: possibilistic rule-based reasoning over the softmax outputs of perception networks.

Softmax outputs become possibility distributions (:mod:`.transform`); rule sets "if p then q"
with learned parameters ``s, r`` infer possibility distributions over concepts by min-max products
(:mod:`.rules`, kernels in :mod:`.fre`), chained in cascades; their parameters are learned by
solving min-max fuzzy relational equations (:mod:`.learning`), with thresholds chosen on
validation data (:mod:`.decide`). The tasks: MNIST-addition-k (:mod:`.addition`,
:mod:`.addition_task`) and ViSudo-PC (:mod:`.sudoku`), with the authors' CNN (:mod:`.network`);
``nesy train --backend possibilistic`` (:mod:`.cli`). Specification: ALGORITHMS.md A.
"""
