"""Generate the contract's other languages from the pydantic models, and check them for drift.

`python -m weatherman_inventory.codegen write` writes every generated file; `... check` rebuilds
them in memory and exits 1 naming each file that differs from what is on disk. The generated files:

- `strategies_types/inventory-state.schema.json`, `strategies_types/decision-context.schema.json`:
  JSON Schema (draft 2020-12) of the two roots, every nested type under `$defs`;
- `strategies_types/inventory.d.ts`: ambient TypeScript interfaces for strategies;
- `strategies_types/test/vectors.generated.ts`: every test vector assigned to a typed const, the
  bad ones under `// @ts-expect-error`, so `tsc` proves the declarations refuse what pydantic does;
- `rust_shim/src/contract.rs`: the serde types, already formatted as `cargo fmt` would.

All of it comes from one walk over the models (`model_fields`, the annotations' bounds and the
attribute docstrings), so one command and one check cover the three languages.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Union

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from weatherman_inventory.models import (
    MAX_AMOUNT,
    MAX_SAFE_INTEGER,
    UTC_TIMESTAMP_PATTERN,
    DecisionContext,
    InventoryState,
)

__all__ = [
    "DEFAULT_ROOTS",
    "CodegenError",
    "check",
    "generate",
    "main",
    "repo_root",
    "write",
]

DEFAULT_ROOTS: tuple[type[BaseModel], ...] = (InventoryState, DecisionContext)
"""The contract's top-level types; every model they reference is generated too."""

TS_NAMES = {"TokenPosition": "TokenPositionState"}
"""TypeScript names that differ from the Python ones (the seed's declarations name them so)."""

SCHEMA_FILES = {
    "InventoryState": "strategies_types/inventory-state.schema.json",
    "DecisionContext": "strategies_types/decision-context.schema.json",
}
DTS_FILE = "strategies_types/inventory.d.ts"
TS_FIXTURE_FILE = "strategies_types/test/vectors.generated.ts"
RUST_FILE = "rust_shim/src/contract.rs"
VECTORS_DIR = "tests/vectors"
VECTOR_TARGETS = {"inventory": "InventoryState", "context": "DecisionContext"}
"""Vector files are `{good,bad}_{inventory,context}_<what>.json`; the middle word is the type."""

WRITE_COMMAND = "make types (python -m weatherman_inventory.codegen write)"


class CodegenError(Exception):
    """A model uses a type the generators do not know how to express in all three languages."""


# ── The intermediate form: what every generator reads ─────────────────────────────────────────


@dataclass(frozen=True)
class Scalar:
    """A leaf type: `string`, `bool`, `timestamp`."""

    kind: str


@dataclass(frozen=True)
class Bound:
    """One end of a number's range: a whole `value`, excluded from the range or not."""

    value: int
    exclusive: bool


@dataclass(frozen=True)
class Number:
    """A JSON number: `float` (an f64) or `decimal` (exact in Python and Rust), optionally
    bounded below and above and, for decimals, limited to `places` decimal places."""

    kind: str
    low: Bound | None = None
    high: Bound | None = None
    places: int | None = None

    @property
    def bounded(self) -> bool:
        return self.low is not None or self.high is not None or self.places is not None

    def range_text(self) -> str:
        """The range as docs state it, e.g. `0 <= x < 1000000000`."""
        parts = []
        if self.low is not None:
            parts.append(f"{self.low.value} {'<' if self.low.exclusive else '<='}")
        parts.append("x")
        if self.high is not None:
            parts.append(f"{'<' if self.high.exclusive else '<='} {self.high.value}")
        return " ".join(parts)


@dataclass(frozen=True)
class Integer:
    """A whole number in `minimum..maximum` (both inclusive, maximum at most 2^53-1)."""

    minimum: int
    maximum: int


@dataclass(frozen=True)
class EnumRef:
    enum: type[Enum]


@dataclass(frozen=True)
class ModelRef:
    model: type[BaseModel]


@dataclass(frozen=True)
class MapOf:
    """A JSON object with string keys and values of one type."""

    value: TypeRef


@dataclass(frozen=True)
class ListOf:
    item: TypeRef


TypeRef = Scalar | Number | Integer | EnumRef | ModelRef | MapOf | ListOf


@dataclass(frozen=True)
class FieldSpec:
    """One field: its Python name, JSON key, type, doc, and whether it may be absent."""

    name: str
    key: str
    type: TypeRef
    doc: str
    optional: bool


@dataclass(frozen=True)
class ModelSpec:
    model: type[BaseModel]
    doc: str
    fields: tuple[FieldSpec, ...]

    @property
    def name(self) -> str:
        return self.model.__name__


@dataclass(frozen=True)
class Contract:
    """The walked models: enums and models in first-reference order (dependencies first)."""

    roots: tuple[type[BaseModel], ...]
    enums: tuple[type[Enum], ...]
    models: tuple[ModelSpec, ...]

    def spec(self, model: type[BaseModel]) -> ModelSpec:
        return next(m for m in self.models if m.model is model)


def _doc(obj: Any) -> str:
    text = (obj.__doc__ or "").strip()
    return " ".join(text.split())


def _number(where: str, kind: str, metadata: Sequence[Any]) -> Number:
    """A float or decimal with the bounds its metadata declares (whole numbers only)."""
    low: Bound | None = None
    high: Bound | None = None
    places: int | None = None
    for item in metadata:
        if isinstance(item, annotated_types.Ge | annotated_types.Gt):
            lowest: object = item.ge if isinstance(item, annotated_types.Ge) else item.gt
            if not isinstance(lowest, int) or low is not None:
                raise CodegenError(f"{where}: one whole lower bound at most")
            low = Bound(lowest, isinstance(item, annotated_types.Gt))
        elif isinstance(item, annotated_types.Le | annotated_types.Lt):
            highest: object = item.le if isinstance(item, annotated_types.Le) else item.lt
            if not isinstance(highest, int) or high is not None:
                raise CodegenError(f"{where}: one whole upper bound at most")
            high = Bound(highest, isinstance(item, annotated_types.Lt))
        elif getattr(item, "decimal_places", None) is not None:
            if kind != "decimal":
                raise CodegenError(f"{where}: decimal_places on a float")
            places = int(item.decimal_places)
    for bound in (low, high):
        if bound is not None and abs(bound.value) > MAX_AMOUNT:
            raise CodegenError(f"{where}: bound {bound.value} beyond 10^9 in magnitude")
    return Number(kind, low, high, places)


def _type_ref(owner: str, field: str, annotation: Any, metadata: Sequence[Any]) -> TypeRef:
    where = f"{owner}.{field}"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is str:
        return Scalar("string")
    if annotation is bool:
        return Scalar("bool")
    if annotation is float:
        return _number(where, "float", metadata)
    if annotation is Decimal:
        return _number(where, "decimal", metadata)
    if annotation is datetime:
        return Scalar("timestamp")
    if annotation is int:
        lows = [m.ge for m in metadata if isinstance(m, annotated_types.Ge)]
        highs = [m.le for m in metadata if isinstance(m, annotated_types.Le)]
        if not all(isinstance(bound, int) for bound in [*lows, *highs]):
            raise CodegenError(f"{where}: int bounds must be ints")
        if not lows or not highs:
            raise CodegenError(f"{where}: an int needs both ge= and le= bounds")
        low, high = typing.cast(int, lows[0]), typing.cast(int, highs[0])
        if low < 0 or high > MAX_SAFE_INTEGER or low > high:
            raise CodegenError(f"{where}: int bounds {low}..{high} outside 0..2^53-1")
        return Integer(low, high)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return EnumRef(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ModelRef(annotation)
    if origin is dict and args[0] is str:
        return MapOf(_type_ref(owner, field, args[1], ()))
    if origin is list:
        return ListOf(_type_ref(owner, field, args[0], ()))
    raise CodegenError(f"{where}: no generator for {annotation!r}")


def walk(roots: Iterable[type[BaseModel]] = DEFAULT_ROOTS) -> Contract:
    """Collect every model and enum reachable from `roots`, dependencies before dependents."""
    enums: list[type[Enum]] = []
    models: list[ModelSpec] = []
    names: dict[str, type[Any]] = {}

    def claim(cls: type[Any]) -> bool:
        seen = names.get(cls.__name__)
        if seen is cls:
            return False
        if seen is not None:
            raise CodegenError(f"two different types are named {cls.__name__}")
        names[cls.__name__] = cls
        return True

    def visit_ref(ref: TypeRef) -> None:
        if isinstance(ref, EnumRef) and claim(ref.enum):
            enums.append(ref.enum)
        elif isinstance(ref, ModelRef):
            visit_model(ref.model)
        elif isinstance(ref, MapOf):
            visit_ref(ref.value)
        elif isinstance(ref, ListOf):
            visit_ref(ref.item)

    def visit_model(model: type[BaseModel]) -> None:
        if not claim(model):
            return
        fields: list[FieldSpec] = []
        for name, info in model.model_fields.items():
            annotation = info.annotation
            optional = False
            if typing.get_origin(annotation) in (Union, types.UnionType):
                members = [a for a in typing.get_args(annotation) if a is not type(None)]
                if len(members) != 1 or info.default is not None:
                    raise CodegenError(f"{model.__name__}.{name}: only `X | None = None` unions")
                annotation, optional = members[0], True
            elif not info.is_required():
                raise CodegenError(f"{model.__name__}.{name}: defaults other than None")
            metadata = list(info.metadata)
            if typing.get_origin(annotation) is Annotated:
                # `Shares | None`: the bounds are inside the union's member.
                annotation, *extras = typing.get_args(annotation)
                for extra in extras:
                    metadata += extra.metadata if isinstance(extra, FieldInfo) else [extra]
            ref = _type_ref(model.__name__, name, annotation, metadata)
            visit_ref(ref)
            key = info.alias or name
            fields.append(
                FieldSpec(name, key, ref, " ".join((info.description or "").split()), optional)
            )
        models.append(ModelSpec(model, _doc(model), tuple(fields)))

    roots = tuple(roots)
    for root in roots:
        visit_model(root)
    return Contract(roots, tuple(enums), tuple(models))


# ── JSON Schema ────────────────────────────────────────────────────────────────────────────────


def _schema_of(ref: TypeRef) -> dict[str, Any]:
    if isinstance(ref, Scalar):
        if ref.kind == "string":
            return {"type": "string"}
        if ref.kind == "bool":
            return {"type": "boolean"}
        return {"type": "string", "format": "date-time", "pattern": UTC_TIMESTAMP_PATTERN}
    if isinstance(ref, Number):
        schema: dict[str, Any] = {"type": "number"}
        if ref.low is not None:
            schema["exclusiveMinimum" if ref.low.exclusive else "minimum"] = ref.low.value
        if ref.high is not None:
            schema["exclusiveMaximum" if ref.high.exclusive else "maximum"] = ref.high.value
        if ref.places is not None:
            schema["multipleOf"] = float(Decimal(1).scaleb(-ref.places))
        return schema
    if isinstance(ref, Integer):
        return {"type": "integer", "minimum": ref.minimum, "maximum": ref.maximum}
    if isinstance(ref, EnumRef):
        return {"$ref": f"#/$defs/{ref.enum.__name__}"}
    if isinstance(ref, ModelRef):
        return {"$ref": f"#/$defs/{ref.model.__name__}"}
    if isinstance(ref, MapOf):
        return {"type": "object", "additionalProperties": _schema_of(ref.value)}
    return {"type": "array", "items": _schema_of(ref.item)}


def _model_schema(spec: ModelSpec) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in spec.fields:
        properties[field.key] = {"description": field.doc, **_schema_of(field.type)}
    return {
        "type": "object",
        "description": spec.doc,
        "properties": properties,
        "required": [f.key for f in spec.fields if not f.optional],
        "additionalProperties": False,
    }


def _reachable(
    contract: Contract, root: type[BaseModel]
) -> tuple[list[type[Enum]], list[ModelSpec]]:
    enums: set[type[Enum]] = set()
    models: set[type[BaseModel]] = set()

    def visit(ref: TypeRef) -> None:
        if isinstance(ref, EnumRef):
            enums.add(ref.enum)
        elif isinstance(ref, ModelRef) and ref.model not in models:
            models.add(ref.model)
            for field in contract.spec(ref.model).fields:
                visit(field.type)
        elif isinstance(ref, MapOf):
            visit(ref.value)
        elif isinstance(ref, ListOf):
            visit(ref.item)

    visit(ModelRef(root))
    return (
        [e for e in contract.enums if e in enums],
        [m for m in contract.models if m.model in models and m.model is not root],
    )


def render_schema(contract: Contract, root: type[BaseModel]) -> str:
    """The draft 2020-12 schema of `root`: the root inline, everything it references in `$defs`."""
    enums, models = _reachable(contract, root)
    defs: dict[str, Any] = {}
    for enum in enums:
        values = [member.value for member in enum]
        defs[enum.__name__] = {"type": "string", "description": _doc(enum), "enum": values}
    for spec in models:
        defs[spec.name] = _model_schema(spec)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://weatherman.invalid/contract/{SCHEMA_FILES[root.__name__].split('/')[-1]}",
        "title": root.__name__,
        "$comment": f"Generated from python/weatherman_inventory/models.py by {WRITE_COMMAND}. "
        "Do not edit.",
        **_model_schema(contract.spec(root)),
        "$defs": defs,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


# ── TypeScript ─────────────────────────────────────────────────────────────────────────────────


def _ts_name(name: str) -> str:
    return TS_NAMES.get(name, name)


def _ts_of(ref: TypeRef) -> str:
    if isinstance(ref, Scalar):
        return {"string": "string", "bool": "boolean", "timestamp": "string"}[ref.kind]
    if isinstance(ref, Number | Integer):
        return "number"
    if isinstance(ref, EnumRef):
        return " | ".join(json.dumps(member.value) for member in ref.enum)
    if isinstance(ref, ModelRef):
        return _ts_name(ref.model.__name__)
    if isinstance(ref, MapOf):
        return f"Record<string, {_ts_of(ref.value)}>"
    item = _ts_of(ref.item)
    return f"({item})[]" if "|" in item else f"{item}[]"


def _ts_doc(text: str, indent: str) -> str:
    return f"{indent}/** {text.replace('*/', '* /')} */\n" if text else ""


def _ts_field_doc(field: FieldSpec) -> str:
    notes = []
    if isinstance(field.type, Integer):
        notes.append(f"Integer, {field.type.minimum}..{field.type.maximum}.")
    ref = field.type
    if isinstance(ref, Number):
        if ref.kind == "decimal":
            places = f", at most {ref.places} decimal places" if ref.places is not None else ""
            notes.append(f"Exact decimal in Python and Rust{places}.")
        if ref.low is not None or ref.high is not None:
            notes.append(f"{ref.range_text()}.")
    return " ".join([field.doc, *notes]).strip()


def render_dts(contract: Contract) -> str:
    """Ambient interfaces in the style of the strategies' `types.d.ts`: global, no imports."""
    out = [
        "// Generated from python/weatherman_inventory/models.py by",
        f"// {WRITE_COMMAND}. Do not edit:",
        "// `make check-types` fails when this file and the models disagree.",
        "",
    ]
    for enum in contract.enums:
        out.append(_ts_doc(_doc(enum), "").rstrip("\n"))
        values = " | ".join(json.dumps(member.value) for member in enum)
        out.append(f"type {enum.__name__} = {values};")
        out.append("")
    for spec in contract.models:
        out.append(_ts_doc(spec.doc, "").rstrip("\n"))
        out.append(f"interface {_ts_name(spec.name)} {{")
        for field in spec.fields:
            doc = _ts_doc(_ts_field_doc(field), "  ")
            if doc:
                out.append(doc.rstrip("\n"))
            mark = "?" if field.optional else ""
            out.append(f"  {field.key}{mark}: {_ts_of(field.type)};")
        out.append("}")
        out.append("")
    return "\n".join(out)


def _ts_accepts(contract: Contract, ref: TypeRef, value: Any, optional: bool = False) -> bool:
    """Whether `tsc` accepts `value` as a literal of `ref`: types only, bounds and patterns not."""
    if isinstance(ref, Scalar):
        if ref.kind in ("string", "timestamp"):
            return isinstance(value, str)
        return isinstance(value, bool)
    if isinstance(ref, Number | Integer):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(ref, EnumRef):
        return value in {member.value for member in ref.enum}
    if isinstance(ref, MapOf):
        return isinstance(value, dict) and all(
            _ts_accepts(contract, ref.value, v) for v in value.values()
        )
    if isinstance(ref, ListOf):
        return isinstance(value, list) and all(_ts_accepts(contract, ref.item, v) for v in value)
    if not isinstance(value, dict):
        return False
    fields = {f.key: f for f in contract.spec(ref.model).fields}
    if set(value) - set(fields):
        return False
    for key, field in fields.items():
        if key not in value:
            if not field.optional:
                return False
        elif not _ts_accepts(contract, field.type, value[key]):
            return False
    return True


def _ts_identifier(stem: str) -> str:
    head, *rest = stem.replace("-", "_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def render_ts_fixture(contract: Contract, vectors: dict[str, Any]) -> str:
    """Each vector as a typed const; `tsc` must refuse each bad one it can see is wrong."""
    out = [
        "// Generated from tests/vectors/*.json by",
        f"// {WRITE_COMMAND}. Do not edit.",
        "// Good vectors must type-check; bad ones sit under @ts-expect-error, so tsc fails if",
        "// the declarations accept one. A bad vector that is well-typed (a bound or a pattern",
        "// only the runtime schema knows) is left to the runtime check in vectors.test.mjs.",
        "",
    ]
    by_name = {spec.name: spec for spec in contract.models}
    for stem, value in vectors.items():
        verdict, target = vector_kind(stem)
        if target not in by_name:
            continue
        ts_type = _ts_name(target)
        name = _ts_identifier(stem)
        if verdict == "good":
            body = json.dumps(value, indent=2, ensure_ascii=False)
            out.append(f"const {name}: {ts_type} = {body};")
        elif _ts_accepts(contract, ModelRef(by_name[target].model), value):
            out.append("// Well-typed for tsc; refused at run time by the JSON Schema.")
            out.append(f"const {name}: {ts_type} = {json.dumps(value, ensure_ascii=False)};")
        else:
            out.append("// @ts-expect-error: a bad vector")
            out.append(f"const {name}: {ts_type} = {json.dumps(value, ensure_ascii=False)};")
        out.append("")
    names = ", ".join(_ts_identifier(stem) for stem in vectors if vector_kind(stem)[1] in by_name)
    out.append(f"export const vectors = [{names}];")
    out.append("")
    return "\n".join(out)


# ── Rust ───────────────────────────────────────────────────────────────────────────────────────

_RUST_PRELUDE = """\
//! The inventory contract's serde types: `DecisionContext` and `InventoryState` with everything
//! they hold, the same shapes as the pydantic models and the TypeScript declarations.
//!
//! Generated from `python/weatherman_inventory/models.py` by
//! `{command}`.
//! Do not edit: `make check-types` fails when this file and the models disagree.
//!
//! Wire rules: JSON keys are camelCase and unknown keys are refused; quantities (shares and
//! pairs), `avgEntryPrice` and `realizedPnl` are exact `Decimal`s travelling as JSON numbers
//! (never strings), quantities with at most 6 decimal places; every amount is refused at 10^9 in
//! magnitude and every number outside the range its field declares; counts are refused above
//! 2^53 - 1 (the largest integer a TypeScript `number` holds exactly); timestamps are RFC 3339
//! UTC strings ending in `Z`; an absent `inventory` is omitted, never `null`. Maps are
//! `BTreeMap`s so that a snapshot serialises the same bytes every time.

use std::collections::BTreeMap;

use chrono::{{DateTime, Utc}};
use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{{Deserialize, Deserializer, Serialize, Serializer}};

/// The largest integer a JavaScript `number` holds exactly; quantities above it are refused.
pub const MAX_SAFE_INTEGER: u64 = 9_007_199_254_740_991;

/// Deserialises a `u64` no larger than `MAX`.
fn at_most<'de, D: Deserializer<'de>, const MAX: u64>(deserializer: D) -> Result<u64, D::Error> {{
    let value = u64::deserialize(deserializer)?;
    if value > MAX {{
        return Err(D::Error::custom(format!(
            "integer {{value}} is above the largest allowed, {{MAX}}"
        )));
    }}
    Ok(value)
}}

/// Every amount and quantity stays strictly below this in magnitude (dollars, shares).
pub const MAX_AMOUNT: i64 = 1_000_000_000;

/// The range a number field accepts, as the models declare it: whole bounds, each excluded or
/// not, and for decimals the most decimal places (trailing zeros do not count).
pub(crate) trait Range {{
    /// `(bound, excluded)` below, if bounded below.
    const LOW: Option<(i64, bool)>;
    /// `(bound, excluded)` above, if bounded above.
    const HIGH: Option<(i64, bool)>;
    /// The most decimal places a decimal may have, if limited.
    const PLACES: Option<u32>;
    /// The range as error messages state it.
    const TEXT: &'static str;
}}

/// Whether `value` lies within `R`'s bounds, each bound converted by `number`.
fn within<R: Range, T: PartialOrd>(value: &T, number: impl Fn(i64) -> T) -> bool {{
    let above = R::LOW.is_none_or(|(low, excluded)| {{
        let low = number(low);
        if excluded {{
            *value > low
        }} else {{
            *value >= low
        }}
    }});
    let below = R::HIGH.is_none_or(|(high, excluded)| {{
        let high = number(high);
        if excluded {{
            *value < high
        }} else {{
            *value <= high
        }}
    }});
    above && below
}}

/// Deserialises an `f64` within `R`.
pub(crate) fn f64_in<'de, D: Deserializer<'de>, R: Range>(
    deserializer: D,
) -> Result<f64, D::Error> {{
    let value = f64::deserialize(deserializer)?;
    if !within::<R, f64>(&value, |bound| bound as f64) {{
        return Err(D::Error::custom(format!(
            "number {{value}} is out of range, {{}}",
            R::TEXT
        )));
    }}
    Ok(value)
}}

/// Deserialises a `Decimal` (a JSON number, as `decimal_number` reads it) within `R`.
pub(crate) fn decimal_in<'de, D: Deserializer<'de>, R: Range>(
    deserializer: D,
) -> Result<Decimal, D::Error> {{
    let value = decimal_number::deserialize(deserializer)?;
    if let Some(places) = R::PLACES {{
        if value.normalize().scale() > places {{
            return Err(D::Error::custom(format!(
                "number {{value}} has more than {{places}} decimal places"
            )));
        }}
    }}
    if !within::<R, Decimal>(&value, Decimal::from) {{
        return Err(D::Error::custom(format!(
            "number {{value}} is out of range, {{}}",
            R::TEXT
        )));
    }}
    Ok(value)
}}

/// Deserialises a field that may be absent but, when present, is never `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {{
    T::deserialize(deserializer).map(Some)
}}

/// Deserialises an optional decimal that may be absent but, when present, is a number in `R`.
fn present_decimal_in<'de, D: Deserializer<'de>, R: Range>(
    deserializer: D,
) -> Result<Option<Decimal>, D::Error> {{
    decimal_in::<D, R>(deserializer).map(Some)
}}

/// Serialises an optional decimal as a JSON number (`skip_serializing_if` omits `None`).
fn some_decimal_number<S: Serializer>(
    value: &Option<Decimal>,
    serializer: S,
) -> Result<S::Ok, S::Error> {{
    match value {{
        Some(value) => decimal_number::serialize(value, serializer),
        None => serializer.serialize_none(),
    }}
}}

/// `Decimal`s that travel as JSON numbers and only as numbers: rust_decimal's own
/// `serde::float` also reads strings, which the contract refuses. Serialising is rust_decimal's.
pub(crate) mod decimal_number {{
    use std::fmt;
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::de::{{Error, Unexpected, Visitor}};
    use serde::{{Deserializer, Serializer}};

    pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {{
        rust_decimal::serde::float::serialize(value, serializer)
    }}

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {{
        deserializer.deserialize_f64(NumberVisitor)
    }}

    struct NumberVisitor;

    impl Visitor<'_> for NumberVisitor {{
        type Value = Decimal;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {{
            formatter.write_str("a JSON number")
        }}

        fn visit_u64<E: Error>(self, value: u64) -> Result<Decimal, E> {{
            Ok(Decimal::from(value))
        }}

        fn visit_i64<E: Error>(self, value: i64) -> Result<Decimal, E> {{
            Ok(Decimal::from(value))
        }}

        fn visit_f64<E: Error>(self, value: f64) -> Result<Decimal, E> {{
            // Below 10^9 two numbers of at most 6 decimals lie further apart than an f64's
            // rounding interval, so when the nearest micro-unit reads back as this f64 it is the
            // shortest text's value: every share quantity and most money takes this path, with
            // no text in between.
            if value.abs() < 1e9 {{
                let micros = (value * 1e6).round();
                if micros / 1e6 == value {{
                    return Ok(Decimal::new(micros as i64, 6).normalize());
                }}
            }}
            // Display is the shortest text that reads back as the same f64, like Python's repr,
            // so 0.65 becomes exactly 0.65 in both languages.
            Decimal::from_str(&value.to_string())
                .map_err(|_| E::invalid_value(Unexpected::Float(value), &self))
        }}
    }}
}}

/// RFC 3339 UTC timestamps in the one form the three languages share: `Z`, and 0, 3 or 6
/// fractional digits (chrono's `SecondsFormat::AutoSi` for microsecond instants).
mod utc_timestamp {{
    use chrono::{{DateTime, SecondsFormat, Utc}};
    use serde::de::Error as _;
    use serde::{{Deserialize, Deserializer, Serializer}};

    pub fn serialize<S: Serializer>(
        value: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {{
        serializer.serialize_str(&value.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }}

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {{
        let text = String::deserialize(deserializer)?;
        if !is_canonical(&text) {{
            return Err(D::Error::custom(format!(
                "timestamp {{text:?}} is not YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z"
            )));
        }}
        DateTime::parse_from_rfc3339(&text)
            .map(|instant| instant.with_timezone(&Utc))
            .map_err(|err| D::Error::custom(format!("timestamp {{text:?}}: {{err}}")))
    }}

    fn is_canonical(text: &str) -> bool {{
        let bytes = text.as_bytes();
        if !matches!(bytes.len(), 20 | 24 | 27) || bytes.last() != Some(&b'Z') {{
            return false;
        }}
        let shape = b"dddd-dd-ddTdd:dd:dd";
        let fraction = &bytes[shape.len()..bytes.len() - 1];
        shape.iter().zip(bytes).all(|(want, got)| match want {{
            b'd' => got.is_ascii_digit(),
            _ => want == got,
        }}) && (fraction.is_empty()
            || (fraction[0] == b'.' && fraction[1..].iter().all(u8::is_ascii_digit)))
    }}
}}"""


def _rust_doc(text: str, indent: str) -> list[str]:
    """`///` lines, wrapped to stay within rustfmt's 100 columns."""
    if not text:
        return []
    width = 100 - len(indent) - 4
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return [f"{indent}/// {line}" for line in lines]


def _rust_bound_name(bound: int) -> str:
    text = f"1e{len(str(abs(bound))) - 1}" if bound and str(abs(bound)).strip("0") == "1" else ""
    text = text if text and abs(bound) >= 1000 else str(abs(bound))
    return ("Neg" if bound < 0 else "") + text


def _rust_range_name(ref: Number) -> str:
    """The marker type of a number's range, named for it: `Min0Below1e9Places6`."""
    name = ""
    if ref.low is not None:
        name += ("Above" if ref.low.exclusive else "Min") + _rust_bound_name(ref.low.value)
    if ref.high is not None:
        name += ("Below" if ref.high.exclusive else "Max") + _rust_bound_name(ref.high.value)
    if ref.places is not None:
        name += f"Places{ref.places}"
    return name


def _rust_option(value: tuple[int, bool] | None) -> str:
    return "None" if value is None else f"Some(({value[0]}, {str(value[1]).lower()}))"


def _rust_ranges(contract: Contract) -> list[str]:
    """One marker type per distinct bounded number range the models use, in first-use order."""
    seen: dict[str, Number] = {}

    def visit(ref: TypeRef) -> None:
        if isinstance(ref, Number) and ref.bounded:
            seen.setdefault(_rust_range_name(ref), ref)
        elif isinstance(ref, MapOf):
            visit(ref.value)
        elif isinstance(ref, ListOf):
            visit(ref.item)

    for spec in contract.models:
        for field in spec.fields:
            visit(field.type)
    out: list[str] = []
    for name, ref in seen.items():
        low = None if ref.low is None else (ref.low.value, ref.low.exclusive)
        high = None if ref.high is None else (ref.high.value, ref.high.exclusive)
        places = "None" if ref.places is None else f"Some({ref.places})"
        text = ref.range_text()
        if ref.places is not None:
            text += f", at most {ref.places} decimal places"
        out.extend(
            [
                "",
                f"/// The range `{text}`.",
                "#[derive(Debug)]",
                f"pub(crate) struct {name};",
                "",
                f"impl Range for {name} {{",
                f"    const LOW: Option<(i64, bool)> = {_rust_option(low)};",
                f"    const HIGH: Option<(i64, bool)> = {_rust_option(high)};",
                f"    const PLACES: Option<u32> = {places};",
                f'    const TEXT: &\'static str = "{text}";',
                "}",
            ]
        )
    return out


def _rust_type(ref: TypeRef) -> str:
    if isinstance(ref, Scalar):
        return {
            "string": "String",
            "bool": "bool",
            "timestamp": "DateTime<Utc>",
        }[ref.kind]
    if isinstance(ref, Number):
        return "f64" if ref.kind == "float" else "Decimal"
    if isinstance(ref, Integer):
        return "u64"
    if isinstance(ref, EnumRef):
        return ref.enum.__name__
    if isinstance(ref, ModelRef):
        return ref.model.__name__
    if isinstance(ref, MapOf):
        return f"BTreeMap<String, {_rust_type(ref.value)}>"
    return f"Vec<{_rust_type(ref.item)}>"


def _rust_serde_attr(args: list[str]) -> str:
    """`#[serde(...)]` on a field, laid out as rustfmt lays it out: on one line if it fits."""
    line = f"#[serde({', '.join(args)})]"
    if len(line) + 4 <= 100:
        return line
    inner = ",\n".join(f"        {arg}" for arg in args)
    return f"#[serde(\n{inner}\n    )]"


def _rust_field_attr(field: FieldSpec) -> str | None:
    ref = field.type
    if field.optional and isinstance(ref, Number) and ref.kind == "decimal" and ref.bounded:
        return _rust_serde_attr(
            [
                "default",
                'skip_serializing_if = "Option::is_none"',
                'serialize_with = "some_decimal_number"',
                f'deserialize_with = "present_decimal_in::<_, {_rust_range_name(ref)}>"',
            ]
        )
    if field.optional:
        return (
            "#[serde(\n"
            "        default,\n"
            '        skip_serializing_if = "Option::is_none",\n'
            '        deserialize_with = "present"\n'
            "    )]"
        )
    if isinstance(ref, Integer):
        if ref.minimum != 0:
            raise CodegenError(f"{field.name}: Rust integers are bounded above only (minimum 0)")
        high = "MAX_SAFE_INTEGER" if ref.maximum == MAX_SAFE_INTEGER else str(ref.maximum)
        return f'#[serde(deserialize_with = "at_most::<_, {high}>")]'
    if isinstance(ref, Number) and ref.kind == "decimal":
        if not ref.bounded:
            return '#[serde(with = "decimal_number")]'
        return _rust_serde_attr(
            [
                'serialize_with = "decimal_number::serialize"',
                f'deserialize_with = "decimal_in::<_, {_rust_range_name(ref)}>"',
            ]
        )
    if isinstance(ref, Number) and ref.bounded:
        return _rust_serde_attr([f'deserialize_with = "f64_in::<_, {_rust_range_name(ref)}>"'])
    if isinstance(ref, Scalar) and ref.kind == "timestamp":
        return '#[serde(with = "utc_timestamp")]'
    if isinstance(ref, Scalar | Number | MapOf | ListOf | EnumRef | ModelRef):
        return None
    raise CodegenError(f"no Rust attribute for {ref!r}")


def _rust_variant(value: str) -> str:
    return "".join(
        part[:1].upper() + part[1:].lower() for part in value.replace("-", "_").split("_")
    )


def render_rust(contract: Contract) -> str:
    out = [_RUST_PRELUDE.format(command=WRITE_COMMAND)]
    out.extend(_rust_ranges(contract))
    for enum in contract.enums:
        out.append("")
        out.extend(_rust_doc(_doc(enum), ""))
        out.append("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]")
        out.append(f"pub enum {enum.__name__} {{")
        for member in enum:
            out.append(f'    #[serde(rename = "{member.value}")]')
            out.append(f"    {_rust_variant(member.name)},")
        out.append("}")
    for spec in contract.models:
        out.append("")
        out.extend(_rust_doc(spec.doc, ""))
        out.append("#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]")
        out.append('#[serde(rename_all = "camelCase", deny_unknown_fields)]')
        out.append(f"pub struct {spec.name} {{")
        for field in spec.fields:
            out.extend(_rust_doc(field.doc, "    "))
            attr = _rust_field_attr(field)
            if attr:
                out.append(f"    {attr}")
            rust_type = _rust_type(field.type)
            if field.optional:
                rust_type = f"Option<{rust_type}>"
            out.append(f"    pub {field.name}: {rust_type},")
        out.append("}")
    out.append("")
    return "\n".join(out)


# ── Files ──────────────────────────────────────────────────────────────────────────────────────


def repo_root() -> Path:
    """The checkout this (editable) package lives in: generated paths are relative to it."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file() or not (root / "rust_shim").is_dir():
        raise CodegenError(f"{root} is not the weatherman-inventory checkout")
    return root


def vector_kind(stem: str) -> tuple[str, str]:
    """`("good" | "bad", model name)` from a vector's file stem, e.g. `bad_inventory_extra_key`."""
    verdict, _, rest = stem.partition("_")
    target = VECTOR_TARGETS.get(rest.partition("_")[0])
    if verdict not in ("good", "bad") or target is None:
        raise CodegenError(f"vector {stem!r} is not named {{good,bad}}_{{inventory,context}}_*")
    return verdict, target


def load_vectors(root: Path) -> dict[str, Any]:
    """Every vector's parsed JSON by file stem, sorted by name."""
    vectors: dict[str, Any] = {}
    for path in sorted((root / VECTORS_DIR).glob("*.json")):
        vector_kind(path.stem)
        vectors[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return vectors


def generate(
    roots: Sequence[type[BaseModel]] = DEFAULT_ROOTS, root: Path | None = None
) -> dict[str, str]:
    """Every generated file's text, by path relative to the checkout."""
    root = root or repo_root()
    contract = walk(roots)
    files = {
        SCHEMA_FILES[model.__name__]: render_schema(contract, model) for model in contract.roots
    }
    files[DTS_FILE] = render_dts(contract)
    files[TS_FIXTURE_FILE] = render_ts_fixture(contract, load_vectors(root))
    files[RUST_FILE] = render_rust(contract)
    return files


def check(files: dict[str, str], root: Path | None = None) -> list[str]:
    """The paths whose file on disk is missing or differs from `files`."""
    root = root or repo_root()
    stale = []
    for rel, text in files.items():
        path = root / rel
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(rel)
    return stale


def write(files: dict[str, str], root: Path | None = None) -> list[str]:
    """Write the files that differ; returns their paths."""
    root = root or repo_root()
    changed = check(files, root)
    for rel in changed:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args not in (["write"], ["check"]):
        print("usage: python -m weatherman_inventory.codegen {write|check}", file=sys.stderr)
        return 2
    root = repo_root()
    files = generate(root=root)
    if args == ["write"]:
        for rel in write(files, root):
            print(f"wrote {rel}")
        return 0
    stale = check(files, root)
    for rel in stale:
        print(f"{rel} differs from the models; run `make types`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
