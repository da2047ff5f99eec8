"""Protocol presets: unknown protocols and bad custom adapters are input errors."""

from __future__ import annotations

import pytest
from esccrt.errors import InputError
from esccrt.smallrna.presets import trim_preset


@pytest.mark.parametrize("adapter", ["", "ACGT; rm -rf /", "ACGU"])
def test_custom_preset_rejects_bad_adapter(adapter):
    with pytest.raises(InputError, match="adapter"):
        trim_preset("custom", adapter)


def test_unknown_protocol_is_an_input_error():
    with pytest.raises(InputError, match="nebnext"):
        trim_preset("nebnext")
