"""Freezes (冻结) of personal accounts: the records (`models`), who may set and lift them
(`permissions`), the two services (`services`), the reads (`selectors`) and the supervisor's
page (`views`, `forms`). An account is frozen while any of its freezes is active."""
