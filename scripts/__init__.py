"""Developer tooling behind ./bin/run and ./bin/test; not part of the deployed portal."""

from __future__ import annotations
