"""Data-parallel training: ``torchrun --nproc_per_node K -m nesy train ...``.

Every process compiles the program once, draws the same global batches (the trainer's generator
is seeded alike everywhere), and evaluates its own contiguous shard of each one; the model is
wrapped in :class:`~torch.nn.parallel.DistributedDataParallel` (gloo on the CPU, NCCL on CUDA).
Shards of one batch can differ in size (a batch of 5 on 2 processes is 3 + 2), so the gradients
are not averaged per process as DDP does by default: a communication hook sums each process's
mean gradient weighted by its share of the batch, which is exactly the gradient of the mean loss
over the whole global batch, as one process would compute it. A process whose shard is empty (a
last batch smaller than the number of processes) evaluates one example with weight 0, so that
every process takes part in every step.

Only the first process (rank 0) writes the log, the checkpoint and results; the epoch's
training loss it logs is that of its shard.

Without torchrun's variables (``WORLD_SIZE`` unset or 1), :func:`join` returns a single process
whose :meth:`~Processes.wrap` and :meth:`~Processes.shard` change nothing.
"""

# No ``from __future__ import annotations``: DDP checks the hook's annotations as objects.
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from nesy.errors import ConfigError
from nesy.train.trainer import Batch, EpochData

__all__ = ["Processes", "ShardedData", "join", "leave"]


@dataclass(slots=True)
class _StepShare:
    """This process's share of the current global batch, read by the gradient hook."""

    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Processes:
    """The processes training together, as seen from one of them."""

    rank: int = 0
    world: int = 1
    share: _StepShare = field(default_factory=_StepShare)

    @property
    def lead(self) -> bool:
        """Whether this process writes the log, checkpoints and results."""
        return self.rank == 0

    def wrap(self, model: nn.Module, device: str) -> nn.Module:
        """``model`` on ``device``, wrapped for data-parallel training when there are several
        processes (its ``answers`` and its ``state_dict`` stay those of ``model``)."""
        model = model.to(device)
        if self.world == 1:
            return model
        cuda = torch.device(device).type == "cuda"
        # the model's buffers are constants of the compiled program: nothing to broadcast
        device_ids = [torch.cuda.current_device()] if cuda else None
        wrapped = _DataParallel(model, device_ids=device_ids, forward_sync_buffers=False)
        wrapped.register_comm_hook(self.share, _weighted_sum)
        return wrapped

    def shard(self, data: EpochData) -> EpochData:
        """This process's part of every batch of ``data`` (``data`` itself for one process)."""
        return data if self.world == 1 else ShardedData(data, self)


class _DataParallel(DistributedDataParallel):
    """DDP that answers like the model it wraps and saves its state without the ``module.``
    prefix, so that checkpoints move freely between one and several processes."""

    @property
    def answers(self) -> tuple[object, ...]:
        return tuple(self.module.answers)

    def state_dict(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self.module.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict=True, assign=False):  # type: ignore[no-untyped-def]
        return self.module.load_state_dict(state_dict, strict=strict, assign=assign)


def _weighted_sum(share: _StepShare, bucket: dist.GradBucket) -> torch.futures.Future[torch.Tensor]:  # type: ignore[name-defined]
    """All-reduce ``sum_r weight_r * grad_r``: the global batch's mean-loss gradient."""
    buffer = bucket.buffer().mul_(share.weight)
    future = dist.all_reduce(buffer, async_op=True).get_future()
    summed: torch.futures.Future[torch.Tensor] = future.then(lambda done: done.value()[0])
    return summed


class ShardedData:
    """The shard of every global batch of ``data`` that process ``processes.rank`` trains on.

    Shape:
        a global batch of ``B`` rows -> rows ``tensor_split(B, world)[rank]`` of it.
    """

    def __init__(self, data: EpochData, processes: Processes) -> None:
        self.data = data
        self.processes = processes

    def __len__(self) -> int:
        """About the examples of one process in an epoch (the first process's progress bar)."""
        return -(-len(self.data) // self.processes.world)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        rank, world = self.processes.rank, self.processes.world
        for batch in self.data.batches(batch_size, generator):
            total = len(batch.labels)
            mine = torch.arange(total).tensor_split(world)[rank]
            self.processes.share.weight = len(mine) / total
            if len(mine) == 0:  # take part in the step with a weightless example
                mine = torch.zeros(1, dtype=torch.int64)
            labels = batch.labels
            picked = (
                labels[mine]
                if isinstance(labels, torch.Tensor)
                else [labels[i] for i in mine.tolist()]
            )
            yield Batch({k: v[mine] for k, v in batch.inputs.items()}, picked)


def join(device: str) -> Processes:
    """The process group torchrun started this process in (initialised on the first call:
    NCCL for a CUDA ``device``, gloo otherwise), or a single process outside torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return Processes()
    if not dist.is_available():  # pragma: no cover - every torch build on our machines has it
        raise ConfigError("this torch build has no torch.distributed; run one process")
    cuda = torch.device(device).type == "cuda"
    if not dist.is_initialized():
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return Processes(dist.get_rank(), dist.get_world_size())


def leave() -> None:
    """Close the process group, if one is open."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
