"""Tuples of images that make up addition examples, and their sums.

Shape letters: ``n`` images, ``P`` tuples (examples), ``k`` images per tuple.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nesy.errors import ConfigError, DataError

__all__ = ["addition_labels", "fixed_pairs", "random_pairs"]


def _check_counts(n_images: int, n_tuples: int, k: int) -> None:
    if k < 1 or n_tuples < 0:
        raise ConfigError(f"need k >= 1 and n_pairs >= 0; got k={k}, n_pairs={n_tuples}")
    if k > n_images:
        raise ConfigError(f"cannot draw tuples of {k} distinct images from {n_images} images")


def random_pairs(n_images: int, n_pairs: int, generator: torch.Generator, k: int = 2) -> Tensor:
    """Disjoint random tuples of image indices: one epoch's examples.

    A random permutation of the images is cut into ``n_pairs`` consecutive tuples of ``k``, so no
    image appears twice in one call. Call it again (same generator) to re-draw for the next epoch.

    Raises
    ------
    ConfigError
        ``n_pairs * k > n_images``.

    Shape:
        -> ``(P, k)`` int64 indices, ``P = n_pairs``.

    Examples
    --------
    >>> import torch
    >>> random_pairs(10, 5, torch.Generator().manual_seed(0)).shape
    torch.Size([5, 2])
    """
    _check_counts(n_images, n_pairs, k)
    if n_pairs * k > n_images:
        raise ConfigError(
            f"{n_pairs} disjoint tuples of {k} need {n_pairs * k} images; only {n_images} given"
        )
    return torch.randperm(n_images, generator=generator)[: n_pairs * k].view(n_pairs, k)


def fixed_pairs(n_images: int, n_pairs: int, seed: int = 0, k: int = 2) -> Tensor:
    """A deterministic set of test tuples: the same for the same arguments, on every machine.

    Successive random permutations (a ``torch.Generator`` seeded with ``seed``) are each cut into
    ``n_images // k`` tuples, until ``n_pairs`` tuples exist. An image never appears twice within
    one tuple; across tuples it may (only once the first permutation is used up). With 10,000
    images and 5,000 pairs every test image is used exactly once.

    Shape:
        -> ``(P, k)`` int64 indices, ``P = n_pairs``.

    Examples
    --------
    >>> fixed_pairs(10, 3).tolist() == fixed_pairs(10, 3).tolist()
    True
    """
    _check_counts(n_images, n_pairs, k)
    generator = torch.Generator().manual_seed(seed)
    per_perm = n_images // k
    chunks = []
    remaining = n_pairs
    while remaining > 0:
        perm = torch.randperm(n_images, generator=generator)[: per_perm * k].view(per_perm, k)
        chunks.append(perm[:remaining])
        remaining -= len(chunks[-1])
    if not chunks:
        return torch.empty(0, k, dtype=torch.int64)
    return torch.cat(chunks)


def addition_labels(labels: Tensor, tuples: Tensor, digits_per_number: int = 1) -> Tensor:
    """The label of each addition example: the sum of the numbers its images spell.

    A tuple of ``k = 2 * digits_per_number`` images reads as two numbers, most significant digit
    first: ``(3, 5)`` -> ``3 + 5``; with ``digits_per_number=2``, ``(1, 2, 3, 4)`` -> ``12 + 34``.

    Shape:
        labels: ``(n,)``, tuples: ``(P, k)`` -> ``(P,)`` int64.

    Examples
    --------
    >>> import torch
    >>> addition_labels(torch.tensor([3, 5, 1, 2]), torch.tensor([[0, 1], [2, 3]])).tolist()
    [8, 3]
    >>> addition_labels(torch.tensor([1, 2, 3, 4]), torch.tensor([[0, 1, 2, 3]]), 2).tolist()
    [46]
    """
    if tuples.dim() != 2 or tuples.shape[1] % digits_per_number:
        raise DataError(
            f"tuples of shape {tuple(tuples.shape)} do not split into numbers of "
            f"{digits_per_number} digits"
        )
    digits = labels[tuples].view(len(tuples), -1, digits_per_number)
    place = 10 ** torch.arange(digits_per_number - 1, -1, -1, dtype=torch.int64)
    return (digits * place).sum(dim=(1, 2))
