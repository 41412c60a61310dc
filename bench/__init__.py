"""Benchmarks of the portal's hot paths, each measured beside a reference.

Run `python -m bench` (all) or `python -m bench calendar` (some) with the same environment as
the portal (DATABASE_URL, CELERY_BROKER_URL; settings `config.settings.local` unless
DJANGO_SETTINGS_MODULE says otherwise). It prints one table; docs/PERFORMANCE.md keeps the
figures measured so far. A benchmark is a function in a module of this package registered
with `bench.core.register`; `bench.__main__.MODULES` lists the modules.
"""
