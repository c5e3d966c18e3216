"""The generators: what they write from the models, and the drift check that guards it."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, create_model

from weatherman_inventory import codegen
from weatherman_inventory.codegen import (
    DTS_FILE,
    RUST_FILE,
    SCHEMA_FILES,
    TS_FIXTURE_FILE,
    CodegenError,
    check,
    generate,
    repo_root,
    write,
)
from weatherman_inventory.models import MAX_SAFE_INTEGER, DecisionContext, InventoryState

ROOT = repo_root()
MODEL_FILES = sorted([*SCHEMA_FILES.values(), DTS_FILE, RUST_FILE])


def _with_venue() -> tuple[type[BaseModel], type[BaseModel]]:
    """The contract with one more (optional) field on InventoryState, under the same names."""
    changed: type[BaseModel] = create_model(
        "InventoryState", __base__=InventoryState, venue=(str | None, None)
    )
    context: type[BaseModel] = create_model(
        "DecisionContext",
        __base__=DecisionContext,
        inventory=(changed | None, Field(default=None, exclude_if=lambda v: v is None)),
    )
    return changed, context


def _renamed(old: str, new: str) -> type[BaseModel]:
    """InventoryState with the field `old` renamed to `new`, everything else as it is."""
    fields: dict[str, Any] = {
        (new if name == old else name): (info.annotation, info)
        for name, info in InventoryState.model_fields.items()
    }
    model: type[BaseModel] = create_model(
        "InventoryState", __config__=InventoryState.model_config, **fields
    )
    return model


def test_generated_files_are_up_to_date() -> None:
    assert check(generate()) == []


def test_check_command_passes_on_the_checkout() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "weatherman_inventory.codegen", "check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert codegen.main(["regenerate"]) == 2
    assert "usage" in capsys.readouterr().err


def test_an_added_field_makes_check_report_every_model_file() -> None:
    files = generate(_with_venue())
    assert sorted(check(files)) == MODEL_FILES
    assert '"venue"' in files[SCHEMA_FILES["InventoryState"]]
    assert "  venue?: string;" in files[DTS_FILE]
    assert "pub venue: Option<String>," in files[RUST_FILE]


def test_a_renamed_field_changes_every_language() -> None:
    before = generate((InventoryState,))
    after = generate((_renamed("exit_triggered", "exit_requested"),))
    for path in [SCHEMA_FILES["InventoryState"], DTS_FILE, RUST_FILE]:
        assert before[path] != after[path], path
    assert '"exitRequested"' in after[SCHEMA_FILES["InventoryState"]]
    assert '"exitTriggered"' not in after[SCHEMA_FILES["InventoryState"]]
    assert "  exitRequested: boolean;" in after[DTS_FILE]
    assert "pub exit_requested: bool," in after[RUST_FILE]


def test_write_rewrites_only_what_differs(tmp_path: Path) -> None:
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    files = generate(root=tmp_path)
    assert sorted(write(files, tmp_path)) == sorted(files)
    assert check(files, tmp_path) == []
    (tmp_path / DTS_FILE).write_text("// edited by hand\n", encoding="utf-8")
    assert check(files, tmp_path) == [DTS_FILE]
    assert write(files, tmp_path) == [DTS_FILE]
    assert (tmp_path / DTS_FILE).read_text(encoding="utf-8") == files[DTS_FILE]


def test_schema_states_bounds_required_keys_and_no_extras() -> None:
    schema = json.loads((ROOT / SCHEMA_FILES["DecisionContext"]).read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "inventory" not in schema["required"]
    assert schema["properties"]["inventory"]["$ref"] == "#/$defs/InventoryState"
    qty = schema["$defs"]["TokenPosition"]["properties"]["qty"]
    assert (qty["type"], qty["minimum"], qty["exclusiveMaximum"], qty["multipleOf"]) == (
        "number",
        0,
        10**9,
        0.000001,
    )
    unsettled = schema["$defs"]["InventoryState"]["properties"]["unsettledUsd"]
    assert (unsettled["minimum"], unsettled["exclusiveMaximum"]) == (0, 10**9)
    adjustments = schema["$defs"]["InventoryState"]["properties"]["adjustmentsUsd"]
    assert (adjustments["exclusiveMinimum"], adjustments["exclusiveMaximum"]) == (-(10**9), 10**9)
    tick = schema["properties"]["tickNumber"]
    assert (tick["type"], tick["minimum"], tick["maximum"]) == ("integer", 0, MAX_SAFE_INTEGER)
    ask = schema["$defs"]["MarketState"]["properties"]["yesAskPx"]
    assert (ask["minimum"], ask["maximum"]) == (0, 100)
    assert schema["$defs"]["Outcome"]["enum"] == ["YES", "NO"]
    objects = [schema, *(d for d in schema["$defs"].values() if d["type"] == "object")]
    assert all(o["additionalProperties"] is False for o in objects)
    assert schema["$defs"]["InventoryState"]["required"] == [
        "totalUsd",
        "inFlightUsd",
        "unsettledUsd",
        "accessibleUsd",
        "adjustmentsUsd",
        "tokens",
        "mintedPairs",
        "exitTriggered",
    ]


def test_declarations_use_the_seed_names() -> None:
    dts = (ROOT / DTS_FILE).read_text()
    assert "interface TokenPositionState {" in dts
    assert "  tokens: Record<string, TokenPositionState>;" in dts
    assert '  outcome: "YES" | "NO";' in dts
    assert "  inventory?: InventoryState;" in dts
    assert dts.startswith("// Generated from python/weatherman_inventory/models.py by")


def test_only_well_typed_bad_vectors_are_left_to_the_runtime_check() -> None:
    lines = (ROOT / TS_FIXTURE_FILE).read_text().splitlines()
    runtime_only = {
        line.split()[1].rstrip(":")
        for previous, line in itertools.pairwise(lines)
        if previous.startswith("// Well-typed")
    }
    assert runtime_only == {
        "badContextPositionQtySevenDecimals",
        "badContextPriceAbove100",
        "badContextTimestampOffset",
        "badInventoryNegativeQty",
        "badInventoryNegativeUnsettledUsd",
        "badInventoryPayoutAbove1",
        "badInventoryQtyAtBound",
        "badInventoryQtySevenDecimals",
        "badInventoryTotalUsdAtBound",
    }


@pytest.mark.parametrize(
    ("annotation", "message"),
    [(int, "needs both ge= and le= bounds"), (set[str], "no generator for")],
)
def test_types_without_a_generator_are_refused(annotation: Any, message: str) -> None:
    model = create_model("Odd", field=(annotation, ...))
    with pytest.raises(CodegenError, match=message):
        codegen.walk((model,))


def test_two_types_of_one_name_are_refused() -> None:
    changed, _ = _with_venue()
    with pytest.raises(CodegenError, match="two different types are named InventoryState"):
        codegen.walk((changed, DecisionContext))


@pytest.mark.skipif(shutil.which("rustfmt") is None, reason="rustfmt is not installed")
@pytest.mark.parametrize("variant", ["models", "with_venue"])
def test_generated_rust_is_rustfmt_clean(variant: str, tmp_path: Path) -> None:
    files = generate() if variant == "models" else generate(_with_venue())
    source = tmp_path / "contract.rs"
    source.write_text(files[RUST_FILE], encoding="utf-8")
    done = subprocess.run(
        ["rustfmt", "--edition", "2021", "--check", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "")


@pytest.mark.skipif(
    not (ROOT / "strategies_types" / "node_modules").is_dir() or shutil.which("node") is None,
    reason="npm packages not installed (make setup installs them)",
)
def test_node_runtime_check_of_the_vectors() -> None:
    done = subprocess.run(
        ["node", "--test"],
        cwd=ROOT / "strategies_types",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout


def test_share_quantities_are_decimals_in_rust_and_numbers_in_typescript() -> None:
    files = generate()
    rust, dts = files[RUST_FILE], files[DTS_FILE]
    shares = '        deserialize_with = "decimal_in::<_, Min0Below1e9Places6>"\n    )]\n'
    for field in ("qty", "in_flight_qty", "unsettled_qty", "accessible_qty", "available"):
        assert f"{shares}    pub {field}: Decimal,\n" in rust, field
    assert '#[serde(deserialize_with = "f64_in::<_, Min0Below1e9>")]\n    pub unsettled_usd' in rust
    assert "  unsettledQty: number;" in dts
    assert (
        "/** Shares free to sell: max(qty - unsettledQty - inFlightQty, 0). Exact decimal in "
        "Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */"
    ) in dts


@pytest.mark.parametrize(
    ("bound", "message"),
    [(Field(lt=0.5), "one whole upper bound"), (Field(ge=-(10**10)), "beyond 10\\^9")],
)
def test_number_bounds_the_generators_cannot_state_are_refused(bound: Any, message: str) -> None:
    model = create_model("Odd", field=(Annotated[float, bound], ...))
    with pytest.raises(CodegenError, match=message):
        codegen.walk((model,))
