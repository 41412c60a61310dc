"""Transfer of the insurance relationship between coordination areas (医保关系转移接续,
医保办发〔2021〕43号): the workflow row of a transfer case, its sealed information table
(信息表), the bank payout of the balance-to-bank branch and the queue of credits whose
amount did not match the table.

The row's primary key is its case (cases.Case); `Case.agency` is the origin agency and
`Case.other_agency` the destination agency. Transitions touch only this row: the money,
the deadlines and the notifications are the services' business."""

from __future__ import annotations

from transfers.exchange.models import InboundMessage, MessageKind, OutboundMessage
from transfers.models.records import BankPayout, CreditMismatch, InfoTable, InfoTablePrint
from transfers.models.transfer import Transfer

__all__ = [
    "BankPayout",
    "CreditMismatch",
    "InboundMessage",
    "InfoTable",
    "InfoTablePrint",
    "MessageKind",
    "OutboundMessage",
    "Transfer",
]
