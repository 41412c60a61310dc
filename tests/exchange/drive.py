"""One deployment's staff and administrator, driven from the two-deployment test: each command
runs in that deployment's own process (its DATABASE_URL) and calls the services its pages call.

python -m tests.exchange.drive <command> [json argument]; prints one JSON answer."""

from __future__ import annotations

import datetime
import json
import secrets
import sys
from typing import Any

import django

django.setup()

from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from accounts.models import Agency, InsuredPerson, User  # noqa: E402
from accounts.roles import sync_roles  # noqa: E402
from accounts.selectors import ledger_differences, ledger_total, unbalanced_transactions  # noqa: E402
from cases.models import Case  # noqa: E402
from seals.models import SealKey  # noqa: E402
from seals.peers import peer_register  # noqa: E402
from seals.services import seal_key_add_public, seal_key_rotate  # noqa: E402
from tests.accounts.factories import (  # noqa: E402
    AgencyFactory,
    EnrollmentFactory,
    InsuredPersonFactory,
    guangdong_regions,
    staff_user,
    valid_id_number,
)
from tests.transfers.factories import mover  # noqa: E402
from transfers import services  # noqa: E402
from transfers.exchange.envelope import sealed  # noqa: E402
from transfers.exchange.models import OutboundMessage  # noqa: E402
from transfers.exchange.money import in_transit_differences  # noqa: E402
from transfers.models import Transfer  # noqa: E402

AGENCIES = {"441900-01": ("东莞医保", "dongguan"), "430700-01": ("常德医保", "changde")}


def setup(arg: dict[str, Any]) -> dict[str, Any]:
    """The agencies of both deployments; keys for the local ones; staff of the local ones."""
    sync_roles()  # the template database may have been emptied by a transactional test
    regions = guangdong_regions()
    agencies = {
        code: AgencyFactory(code=code, name=name, region=regions[key])
        for code, (name, key) in AGENCIES.items()
    }
    keys = {}
    for code in arg["local"]:
        keys[code] = seal_key_rotate(agency=agencies[code], by=None).public_key
        for role in ("clerk", "supervisor"):
            staff_user(role, agencies[code])
    return {"keys": keys}


def peer(arg: dict[str, Any]) -> dict[str, Any]:
    agencies = [Agency.objects.get(code=code) for code in arg["agencies"]]
    for agency in agencies:
        if "keys" in arg and not SealKey.objects.filter(agency=agency).exists():
            seal_key_add_public(agency=agency, public_key=arg["keys"][agency.code], by=None)
    peer_register(code="peer", name="peer", url=arg["url"], agencies=agencies, by=None)
    return {}


def person(arg: dict[str, Any]) -> dict[str, Any]:
    """As origin: stopped with a funded account; as destination: enrolled (active)."""
    origin = Agency.objects.get(code=arg["origin"])
    destination = Agency.objects.get(code=arg["destination"])
    if arg["side"] == "origin":
        # A new process restarts the factories' seeded numbers: draw the birth date anew.
        birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=secrets.randbelow(15000))
        found = InsuredPersonFactory(id_number=valid_id_number(origin.region_id, birth))
        made = mover(origin, destination, person=found)
        return {"id_number": made.id_number, "name": made.name}
    made = InsuredPersonFactory(id_number=arg["id_number"], name=arg["name"])
    EnrollmentFactory(person=made, region=destination.region, scheme="employee")
    return {"id_number": made.id_number}


def people(arg: dict[str, Any]) -> dict[str, Any]:
    return {"made": [person(one) for one in arg["make"]]}


def apply(arg: dict[str, Any]) -> dict[str, Any]:
    clerk = User.objects.get(username=f"{arg['destination']}-clerk")
    transfer = services.transfer_apply(
        person=InsuredPerson.objects.get(id_number=arg["id_number"]),
        origin_agency=Agency.objects.get(code=arg["origin"]),
        destination_agency=Agency.objects.get(code=arg["destination"]),
        transfer_type="employee",
        contact_phone="13900000000",
        by=clerk,
    )
    return {"reference": transfer.case.reference}


STEPS = {
    "accept": lambda case, by, arg: services.transfer_accept(case=case, by=by),
    "transfer_out": lambda case, by, arg: services.transfer_out(case=case, by=by),
    "transfer_in": lambda case, by, arg: services.transfer_in(case=case, by=by),
    "credit": lambda case, by, arg: services.transfer_credit(
        case=case, by=by, received_amount=arg["amount"]
    ),
}


def step(arg: dict[str, Any]) -> dict[str, Any]:
    case = Case.objects.get(reference=arg["reference"])
    by = User.objects.get(username=f"{arg['agency']}-clerk")
    from cases.errors import CaseError

    try:
        STEPS[arg["step"]](case, by, arg)
    except CaseError as exc:
        return {"refused": exc.code, "message": exc.message}
    return {"state": Transfer.objects.get(pk=case.pk).state}


def books(arg: dict[str, Any]) -> dict[str, Any]:
    return {
        "ledger_total": str(ledger_total()),
        "unbalanced": len(unbalanced_transactions()),
        "differences": len(ledger_differences()),
        "in_transit_differences": {
            f"{k[0]}>{k[1]}": [str(v[0]), str(v[1])] for k, v in in_transit_differences().items()
        },
    }


def exchange_page(arg: dict[str, Any]) -> dict[str, Any]:
    setup_test_environment()  # the test client's host is allowed
    client = Client()
    client.force_login(User.objects.get(username=f"{arg['agency']}-supervisor"))
    return {"html": client.get("/transfers/exchange/").content.decode()}


def forge(arg: dict[str, Any]) -> dict[str, Any]:
    """The 信息表 message of a case as it would arrive altered after the table was sealed: the
    message itself sealed again by the sending agency, the table's own seal left as it was."""
    message = OutboundMessage.objects.get(case__reference=arg["reference"], kind="info_table")
    envelope = dict(message.envelope)
    content = dict(envelope["body"]["content"])
    content["contribution_months"] = int(content.get("contribution_months", 0)) + 120
    envelope["body"] = {**envelope["body"], "content": content}
    return sealed(envelope, agency=Agency.objects.get(code=envelope["sender"]))


COMMANDS = {
    "forge": forge,
    "setup": setup,
    "peer": peer,
    "person": person,
    "people": people,
    "apply": apply,
    "step": step,
    "books": books,
    "exchange_page": exchange_page,
}

if __name__ == "__main__":
    argument = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    print(json.dumps(COMMANDS[sys.argv[1]](argument), ensure_ascii=False))
