"""Shared pieces of the ml command lines: one-line errors with exit status 2, reader options.

Bad input or options end a command with one line on stderr (`<prog>: error: <what>`) and exit
status 2; a model refused by a check (`--max-rmse`, the gate) exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from ml.data import RatingsError, Reader
from ml.types import TrainConfig

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input or options: the message is the one error line."""


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(USAGE_ERROR)


def fail(prog: str, message: str) -> int:
    """Print the one error line; returns the exit status to use."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return USAGE_ERROR


def add_reader_options(parser: argparse.ArgumentParser) -> None:
    """--sep, --columns, --rating-scale, --skip-lines, --duplicates (see `ml.data.Reader`)."""
    group = parser.add_argument_group("ratings format (see ml.data.Reader)")
    group.add_argument("--sep", help=r"field separator [by file name: ',', '::' (.dat), '\t']")
    group.add_argument(
        "--columns",
        help="fields of each line in order, e.g. 'user item rating timestamp' ('-' skips one); "
        "the file then has no header line",
    )
    group.add_argument("--rating-scale", help="lowest-highest star values allowed [0.5-5]")
    group.add_argument("--skip-lines", type=int, default=0, help="lines to skip first [0]")
    group.add_argument(
        "--duplicates",
        choices=("error", "last"),
        default="error",
        help="a (user, movie) pair rated twice: refuse, or keep the latest [error]",
    )


def reader_from(args: argparse.Namespace) -> Reader:
    """The Reader the options describe; RatingsError for bad ones."""
    return Reader.from_options(
        sep=args.sep,
        columns=args.columns,
        rating_scale=args.rating_scale,
        skip_lines=args.skip_lines,
        duplicates=args.duplicates,
    )


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """One --flag per TrainConfig field (`--ease-lambda 200`, `--refit false`)."""
    group = parser.add_argument_group("hyper-parameters (ml.types.TrainConfig)")
    for name in TrainConfig.field_names():

        def convert(raw: str, name: str = name) -> object:
            try:
                return TrainConfig.parse_value(name, raw)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None

        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=convert,
            default=getattr(TrainConfig, name),
            metavar=type(getattr(TrainConfig, name)).__name__.upper(),
        )


def config_from(args: argparse.Namespace, **extra: object) -> TrainConfig:
    """The TrainConfig the options describe; ValueError naming the bad field."""
    return TrainConfig(**{n: getattr(args, n) for n in TrainConfig.field_names()}, **extra)


def under_torchrun() -> bool:
    """Whether this process was started by torchrun (or torch.distributed.run)."""
    return "TORCHELASTIC_RUN_ID" in os.environ or (
        "LOCAL_RANK" in os.environ and "WORLD_SIZE" in os.environ
    )


__all__ = [
    "USAGE_ERROR",
    "Parser",
    "RatingsError",
    "UsageError",
    "add_config_options",
    "add_reader_options",
    "config_from",
    "fail",
    "reader_from",
    "under_torchrun",
]
