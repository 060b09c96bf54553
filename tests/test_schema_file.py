"""schema.graphql is generated from the code and holds every promise of the public contract."""

from pathlib import Path

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)

from app.cli import SCHEMA_FILE, schema_sdl

# A copy of ../shared/design/api.graphql, the contract promised to clients, and the names
# issue 4 fixed for handling; refresh them when the design changes, never to make this test
# pass.
CONTRACTS = Path(__file__).resolve().parents[1] / "docs" / "contract"
CONTRACT = CONTRACTS / "api.graphql"


def test_schema_file_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text() == schema_sdl(), (
        "schema.graphql is stale: run `support-desk export-schema`"
    )


def contract_differences(contract_sdl: str, ours_sdl: str) -> list[str]:
    """Every name and shape of the contract that our schema lacks or changes."""
    contract, ours = build_schema(contract_sdl), build_schema(ours_sdl)
    problems = []
    for name, expected in contract.type_map.items():
        if name.startswith("__"):
            continue
        actual = ours.type_map.get(name)
        if actual is None or type(actual) is not type(expected):
            problems.append(f"type {name} missing or of another kind")
            continue
        if isinstance(expected, GraphQLEnumType):
            missing = set(expected.values) - set(actual.values)  # type: ignore[attr-defined]
            problems += [f"enum value {name}.{v} missing" for v in sorted(missing)]
        if isinstance(expected, GraphQLObjectType | GraphQLInterfaceType):
            for iface in expected.interfaces:
                if iface.name not in {i.name for i in actual.interfaces}:  # type: ignore[attr-defined]
                    problems.append(f"{name} does not implement {iface.name}")
        if not isinstance(
            expected, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            continue
        for field_name, field in expected.fields.items():
            mine = actual.fields.get(field_name)  # type: ignore[attr-defined]
            if mine is None or str(mine.type) != str(field.type):
                problems.append(f"field {name}.{field_name} missing or not {field.type}")
                continue
            if isinstance(expected, GraphQLInputObjectType):
                if repr(mine.default_value) != repr(field.default_value):
                    problems.append(f"default of {name}.{field_name} differs")
                continue
            for arg_name, arg in field.args.items():
                theirs = mine.args.get(arg_name)
                if (
                    theirs is None
                    or str(theirs.type) != str(arg.type)
                    or repr(theirs.default_value) != repr(arg.default_value)
                ):
                    problems.append(f"argument {name}.{field_name}({arg_name}) differs")
            for arg_name, arg in mine.args.items():
                if arg_name not in field.args and str(arg.type).endswith("!"):
                    problems.append(f"extra required argument {name}.{field_name}({arg_name})")
    return problems


@pytest.mark.parametrize("contract", ["api.graphql", "handling.graphql", "improvements.graphql"])
def test_schema_keeps_the_public_contract(contract: str) -> None:
    assert contract_differences((CONTRACTS / contract).read_text(), schema_sdl()) == []


def test_contract_check_notices_a_change() -> None:
    # The check itself must be able to fail.
    changed = CONTRACT.read_text().replace(
        "subject: String!\n  description: String!", "subject: String\n  description: String!"
    )
    assert contract_differences(changed, schema_sdl()) != []
