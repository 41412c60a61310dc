"""Writes for the charging interface of hospitals and pharmacies, one concern per module:

- `results`: what a charge or a refund answers (`ChargeResult`) or why it is refused
  (`ChargeRefused`);
- `institutions`: institution keys, issued and recognised; `cards`: insurance cards;
- `facts`: what a charge reads before its transaction (the card, its owner, their account,
  the region's policy) and the categories that policy allows;
- `charges`: `charge_create`, the entry, which refuses before the locks what the patient's
  own account cannot pay (`payers`) and otherwise charges under the locks (`locked`, whose
  docstring tells how a charge stays correct under concurrency);
- `flags`: 冒名就医, a card shown by someone else, flagged and reviewed;
- `refunds`: 退费, the reversal of a charge.
"""
