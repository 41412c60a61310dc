"""Every state change of a transfer (docs/DOMAIN.md §2, 医保办发〔2021〕43号).

Each service locks the transfer row, asks the step's declared rule whether this user may take
it now (`cases.steps.require`: the state, the end of the transfer, the role), moves money
through the ledger services, runs the transition through `cases.steps.case_step` (history row
included) and writes deadlines and notifications in the same transaction. The performers at
the end are what the case page's buttons run.

Money invariant: from the transfer-out to the credit, origin balance + destination balance
+ `amount_in_transit` never changes (plus the payout in the bank branch)."""

from __future__ import annotations

from accounts.models import User
from cases import steps
from transfers.models import Transfer
from transfers.services.destination import (
    transfer_credit,
    transfer_credit_confirm,
    transfer_credit_send_back,
    transfer_in,
    transfer_reconcile_credit,
    transfer_reconcile_return,
)
from transfers.services.intake import (
    transfer_accept,
    transfer_apply,
    transfer_cancel,
    transfer_documents_received,
    transfer_documents_upload,
    transfer_refuse,
    transfer_request_documents,
)
from transfers.services.origin import (
    out_summary,
    transfer_out,
    transfer_out_confirm,
    transfer_out_send_back,
)
from transfers.services.prints import info_table_print_record
from transfers.services.summaries import (
    credit_summary,
    received_summary,
    reconcile_credit_summary,
    return_summary,
)

__all__ = [
    "info_table_print_record",
    "transfer_accept",
    "transfer_apply",
    "transfer_cancel",
    "transfer_credit",
    "transfer_credit_confirm",
    "transfer_credit_send_back",
    "transfer_documents_received",
    "transfer_documents_upload",
    "transfer_in",
    "transfer_out",
    "transfer_out_confirm",
    "transfer_out_send_back",
    "transfer_reconcile_credit",
    "transfer_reconcile_return",
    "transfer_refuse",
    "transfer_request_documents",
]

# --- what the case page's buttons run ------------------------------------------------------


steps.summarises(
    Transfer.transfer_out, Transfer.confirm_transfer_out, Transfer.send_back_transfer_out
)(out_summary)
steps.summarises(Transfer.confirm_credit, Transfer.send_back_credit)(credit_summary)
steps.summarises(Transfer.credit)(received_summary)
steps.summarises(Transfer.reconcile_credit)(reconcile_credit_summary)
steps.summarises(Transfer.reconcile_return)(return_summary)


@steps.performs(Transfer.accept)
def _accept(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_accept(case=transfer.case, by=by)


@steps.performs(Transfer.refuse)
def _refuse(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_refuse(case=transfer.case, by=by, note=given.note)


@steps.performs(Transfer.cancel)
def _cancel(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_cancel(case=transfer.case, by=by)


@steps.performs(Transfer.request_documents)
def _request_documents(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_request_documents(case=transfer.case, by=by, note=given.note)


@steps.performs(Transfer.documents_received)
def _documents_received(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_documents_received(case=transfer.case, by=by)


@steps.performs(Transfer.transfer_out)
def _transfer_out(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_out(case=transfer.case, by=by)


@steps.performs(Transfer.transfer_in)
def _transfer_in(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_in(case=transfer.case, by=by)


@steps.performs(Transfer.credit)
def _credit_step(transfer: Transfer, by: User, given: steps.Given) -> object:
    received = given.amount if given.amount is not None else ""
    return transfer_credit(case=transfer.case, by=by, received_amount=received)


@steps.performs(Transfer.reconcile_credit)
def _reconcile_credit(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_reconcile_credit(case=transfer.case, by=by, note=given.note)


@steps.performs(Transfer.reconcile_return)
def _reconcile_return(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_reconcile_return(case=transfer.case, by=by, note=given.note)


@steps.performs(Transfer.confirm_transfer_out)
def _confirm_out(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_out_confirm(case=transfer.case, by=by)


@steps.performs(Transfer.send_back_transfer_out)
def _send_back_out(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_out_send_back(case=transfer.case, by=by, note=given.note)


@steps.performs(Transfer.confirm_credit)
def _confirm_credit(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_credit_confirm(case=transfer.case, by=by)


@steps.performs(Transfer.send_back_credit)
def _send_back_credit(transfer: Transfer, by: User, given: steps.Given) -> object:
    return transfer_credit_send_back(case=transfer.case, by=by, note=given.note)
