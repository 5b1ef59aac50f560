"""A whole task in one file, the worked example of docs/adding-a-task.md: learn a bit classifier
from the parity of pairs of bits, through any backend that accepts the program."""

from __future__ import annotations

import argparse
from typing import Any

from nesy.backend import backends
from nesy.lang import parse
from nesy.task import TaskConfig

PROGRAM = """
nn(bit_net, [X], Y, [0, 1]) :: bit(X, Y).
parity(X, Y, P) :- bit(X, A), bit(Y, B), P = (A + B) \\ 2.
query(parity(tensor(a), tensor(b), P)).
"""


class ToyParity:
    name = "toy-parity"
    backends = ("exact", "asp")
    programs = ("toy_parity.nesy",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--pairs", type=int, default=64, help="training pairs (64)")

    def run(self, config: TaskConfig) -> dict[str, Any]:
        import torch
        from torch import nn

        torch.manual_seed(config.seed)
        net = nn.Sequential(nn.Linear(1, 2), nn.LogSoftmax(dim=1))
        program = parse(config.program.read_text(), str(config.program))
        model = backends()[config.backend].model(program, {"bit_net": net})
        bits = torch.randint(0, 2, (config.options["pairs"], 2))
        inputs = {"a": bits[:, :1].float(), "b": bits[:, 1:].float()}
        column = torch.tensor([model.answers.index(int(p)) for p in bits.sum(1) % 2])
        optimiser = torch.optim.Adam(net.parameters(), lr=config.lr or 0.1)
        for _ in range(config.epochs or 30):
            loss = nn.functional.nll_loss(model(inputs).float(), column)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        predicted = net(torch.tensor([[0.0], [1.0]])).argmax(1)
        accuracy = float((predicted == torch.tensor([0, 1])).float().mean())
        print(f"toy parity: bit accuracy {accuracy:.2f}, final loss {loss.item():.4f}")
        return {"bit_accuracy": accuracy, "loss": loss.item(), "settings": config.settings()}


TASK = ToyParity()
