"""How a command is declared: its name, the function that runs it and what it takes, added by one function.

Each command module ends with its commands, as each collector ends with its ``Service``; ``cli`` lists
them in the order ``orginsight --help`` shows them. A command's help is the docstring of the function
that runs it, so what it does is written once, where it is done, in three parts:

- the first line: what ``orginsight --help`` lists for the command;
- the next paragraph: the description ``orginsight COMMAND --help`` starts with (its lines joined);
- then its examples, each starting ``orginsight``, continued on lines indented below it.

A group of subcommands (``lake``, ``hunt``, ``report``) has the same three parts in its ``doc``.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable

from orginsight.cli.options import Adds

Runner = Callable[[argparse.Namespace], int]
Subparsers = argparse._SubParsersAction

EXAMPLE = "orginsight "
"""How an example starts; a line of a command's help that does not is refused when the parser is built."""


class CommandHelp:
    """A command's help as its docstring writes it: the line listed, the description, the examples."""

    def __init__(self, doc: str | None) -> None:
        listed, _, rest = inspect.cleandoc(doc or "").partition("\n\n")
        description, _, examples = rest.partition("\n\n")
        self.listed = listed
        self.description = " ".join(description.split())
        self.examples: list[str] = []
        for line in examples.splitlines():
            if line.startswith(" ") and self.examples:
                self.examples[-1] += " " + line.strip()
            elif line.startswith(EXAMPLE):
                self.examples.append(line.strip())
            elif line.strip():
                raise ValueError(f"a command's help ends with examples, each starting {EXAMPLE!r}: {line!r}")
        if "\n" in listed or not self.description or not self.examples:
            raise ValueError(f"a command's help is a line, a description and examples: {doc!r}")

    def parser(self, sub: Subparsers, name: str) -> argparse.ArgumentParser:
        """A subcommand whose ``--help`` shows the description, then the examples."""
        heading = "example:" if len(self.examples) == 1 else "examples:"
        return sub.add_parser(
            name,
            help=self.listed,
            description=self.description,
            epilog="\n  ".join([heading, *self.examples]),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )


class Command:
    """One command: its name, the function that runs it (whose docstring is its help), what it takes."""

    def __init__(self, name: str, run: Runner, *arguments: Adds) -> None:
        self.name = name
        self.run = run
        self.arguments = arguments

    def add_to(self, sub: Subparsers, shared: tuple[Adds, ...] = ()) -> None:
        p = CommandHelp(self.run.__doc__).parser(sub, self.name)
        for argument in (*shared, *self.arguments):
            argument.add(p)
        p.set_defaults(func=self.run, parser=p)


class Group:
    """A command made of subcommands; ``doc`` is its help, and each subcommand takes ``shared`` first."""

    def __init__(self, name: str, doc: str, *commands: Command, shared: tuple[Adds, ...] = ()) -> None:
        self.name = name
        self.doc = doc
        self.commands = commands
        self.shared = shared

    def add_to(self, sub: Subparsers) -> None:
        p = CommandHelp(self.doc).parser(sub, self.name)
        group = p.add_subparsers(dest=f"{self.name}_command", metavar="SUBCOMMAND")
        group.required = True
        for command in self.commands:
            command.add_to(group, self.shared)
