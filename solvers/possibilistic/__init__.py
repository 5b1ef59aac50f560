"""Pi-NeSy: possibilistic rule-based reasoning over the softmax outputs of perception networks.

Softmax outputs become possibility distributions (:mod:`.transform`); rule sets "if p then q"
with learned parameters ``s, r`` infer possibility distributions over concepts by min-max products
(:mod:`.rules`, kernels in :mod:`.fre`), chained in cascades; their parameters are learned by
solving min-max fuzzy relational equations (:mod:`.learning`). Specification: ALGORITHMS.md A.
"""
