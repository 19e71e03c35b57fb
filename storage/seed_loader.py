"""Read and validate the shipped seed file (or another one with the same shape)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml

from bot.domain.seed import SeedData

SEED_FILE = "emwp-seed.yaml"


def load_seed(path: Path | None = None) -> SeedData:
    """The seed in `path`, or the one shipped with the package."""
    if path is None:
        text = resources.files("storage").joinpath("seed_data", SEED_FILE).read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    return SeedData.model_validate(yaml.safe_load(text))
