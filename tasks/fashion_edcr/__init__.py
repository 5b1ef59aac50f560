"""Fashion-MNIST with EDCR (ALGORITHMS.md E): the paper's main and secondary models
(:mod:`.fashion`) and the files they give ``nesy edcr learn``/``apply`` (:mod:`.prepare`,
``nesy edcr fashion OUT``); benchmarks/edcr_fashion.py runs the whole study."""
