"""Config values that become command-line options: split them, refuse shell syntax.

The workflow never runs a sheet or config value through a shell itself (tools get argument
lists), but some tools do: the ``hisat2`` wrapper (Perl) joins its arguments into one string and
runs it with ``system()``, so ``mrna.hisat2.extra: "--no-softclip $(rm -r ~)"`` would run the
``rm``. Extra options are therefore limited to characters that mean nothing to a shell.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping

from esccrt.errors import InputError

#: Characters an option or its value may contain: enough for ``--score-min L,0,-0.2``,
#: ``--rna-strandness=RF``, ``--outSAMattributes NH HI AS nM`` or a path ``/data/x.txt``.
SAFE_OPTION = re.compile(r"^[A-Za-z0-9_.,:=+/@%-]+$")


def split_tool_options(value: str | Iterable[object], key: str) -> list[str]:
    """Split the extra options of config key ``key`` into arguments, refusing shell syntax.

    ``value`` is a string (split like a shell would, quotes allowed) or a list of arguments.
    Raises :class:`InputError` naming ``key`` when an argument contains anything but letters,
    digits and ``_ . , : = + / @ % -`` (no spaces inside an argument, ``;``, ``$``, backticks,
    quotes, ``|``, ``&``, ``<``, ``>``, ``*`` or newlines).
    """
    if isinstance(value, str):
        try:
            args = shlex.split(value)
        except ValueError as error:
            raise InputError(
                f"config key {key}: cannot split {value!r} into options ({error}); "
                "check the quotes."
            ) from None
    else:
        args = [str(arg) for arg in value]
    bad = [arg for arg in args if not SAFE_OPTION.match(arg)]
    if bad:
        raise InputError(
            f"config key {key}: option(s) {bad} contain characters a shell would interpret "
            "(such as ; $ ` ' \" | & < > * or spaces inside one option). Extra options may use "
            "letters, digits and _ . , : = + / @ % - only; remove the rest, e.g. "
            'extra: "--no-softclip".'
        )
    return args


def check_tool_options(options: Mapping[str, object]) -> None:
    """Check several extra-option settings at once: ``{config key: value}``."""
    for key, value in options.items():
        split_tool_options(value if value is not None else "", key)
