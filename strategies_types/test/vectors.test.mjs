// Runtime half of the TypeScript checks: every contract vector (tests/vectors/*.json) validated
// with ajv against the generated JSON Schema. Good vectors are accepted and re-emit equal JSON;
// bad ones are refused, each for the reason pydantic and serde give (the same key is named).
// `tsc` covers the typed half in vectors.generated.ts; bounds and patterns are only checked here.

import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { test } from "node:test";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = new URL(".", import.meta.url);
const vectorsDir = new URL("../../tests/vectors/", here);
const readJson = (url) => JSON.parse(readFileSync(url, "utf8"));

/**
 * Decimal places of a number as its shortest round-trip text shows them: what Python
 * (`Decimal(repr(x))`) and Rust (`Decimal::from_str(&x.to_string())`) read a JSON number as.
 */
function decimalPlaces(x) {
  const match = /^-?\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(x));
  assert.ok(match, `not a finite number: ${x}`);
  return Math.max((match[1] ?? "").length - Number(match[2] ?? 0), 0);
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
// The schema says "at most 6 decimals" as `multipleOf: 0.000001`. ajv divides in binary floating
// point, which refuses valid amounts such as 999999999.999999; this reads the step as decimal
// places, as the other two languages do. Only steps that are powers of ten occur.
ajv.removeKeyword("multipleOf");
ajv.addKeyword({
  keyword: "multipleOf",
  type: "number",
  schemaType: "number",
  compile(step) {
    const places = decimalPlaces(step);
    assert.equal(step, 10 ** -places, `multipleOf ${step} is not a power of ten`);
    return (x) => decimalPlaces(x) <= places;
  },
});
const validators = {
  inventory: ajv.compile(readJson(new URL("../inventory-state.schema.json", here))),
  context: ajv.compile(readJson(new URL("../decision-context.schema.json", here))),
};

const vectors = readdirSync(vectorsDir)
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((file) => {
    const name = file.slice(0, -".json".length);
    const [verdict, target] = name.split("_");
    assert.ok(verdict === "good" || verdict === "bad", `${name}: verdict`);
    assert.ok(target in validators, `${name}: target`);
    return { name, good: verdict === "good", target, value: readJson(new URL(file, vectorsDir)) };
  });

// The JSON Pointer of the key each bad vector gets wrong, as pydantic names it in dotted form.
const BAD = {
  bad_context_inventory_null: "/inventory",
  bad_context_missing_weather: "/weather",
  bad_context_position_qty_seven_decimals: "/positions/0/qty",
  bad_context_price_above_100: "/markets/0/yesAskPx",
  bad_context_timestamp_offset: "/timestamp",
  bad_context_unknown_outcome: "/inventory/tokens/tok-no-klax-70/outcome",
  bad_inventory_decimal_as_string: "/tokens/tok-yes-knyc-50/avgEntryPrice",
  bad_inventory_extra_key: "/tokens/tok-yes-knyc-50/feesPaid",
  bad_inventory_missing_key: "/exitTriggered",
  bad_inventory_negative_qty: "/tokens/tok-yes-knyc-50/qty",
  bad_inventory_negative_unsettled_usd: "/unsettledUsd",
  bad_inventory_payout_above_1: "/tokens/tok-yes-knyc-50/payout",
  bad_inventory_qty_as_string: "/tokens/tok-yes-knyc-50/qty",
  bad_inventory_qty_at_bound: "/tokens/tok-no-knyc-55/qty",
  bad_inventory_qty_seven_decimals: "/tokens/tok-yes-knyc-50/qty",
  bad_inventory_redeemable_qty_null: "/tokens/tok-yes-knyc-50/redeemableQty",
  bad_inventory_string_for_number: "/totalUsd",
  bad_inventory_total_usd_at_bound: "/totalUsd",
  bad_inventory_unknown_outcome: "/tokens/tok-yes-knyc-50/outcome",
  bad_inventory_without_unsettled_fields: "/unsettledUsd",
};

/** The key an ajv error is about: missing and extra keys name the key, not its parent. */
function errorPath(error) {
  const key = error.params.missingProperty ?? error.params.additionalProperty;
  return key === undefined ? error.instancePath : `${error.instancePath}/${key}`;
}

test("the vector set has good and bad vectors of both types", () => {
  for (const good of [true, false]) {
    for (const target of Object.keys(validators)) {
      const count = vectors.filter((v) => v.good === good && v.target === target).length;
      assert.ok(count >= 2, `good=${good} ${target}: ${count}`);
    }
  }
  assert.deepEqual(
    vectors.filter((v) => !v.good).map((v) => v.name),
    Object.keys(BAD).sort(),
  );
});

for (const vector of vectors.filter((v) => v.good)) {
  test(`accepts and re-emits ${vector.name}`, () => {
    const validate = validators[vector.target];
    assert.ok(validate(vector.value), JSON.stringify(validate.errors));
    assert.deepEqual(JSON.parse(JSON.stringify(vector.value)), vector.value);
  });
}

for (const vector of vectors.filter((v) => !v.good)) {
  test(`refuses ${vector.name}`, () => {
    const validate = validators[vector.target];
    assert.equal(validate(vector.value), false);
    const paths = validate.errors.map(errorPath);
    assert.ok(paths.includes(BAD[vector.name]), `${BAD[vector.name]} not in ${paths}`);
  });
}

test("decimal places are read from the shortest text, as Python and Rust read them", () => {
  const cases = [
    [157.575758, 6],
    [999999999.999999, 6],
    [157.5757575, 7],
    [150, 0],
    [1e-7, 7],
    [1.5e-7, 8],
    [0.000001, 6],
    [1e21, 0],
  ];
  for (const [x, places] of cases) {
    assert.equal(decimalPlaces(x), places, String(x));
  }
});

test("every 6-decimal amount below 10^9 is accepted and 7 decimals refused", () => {
  const validate = ajv.compile({ type: "number", multipleOf: 0.000001 });
  let seed = 0x2545f491;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let i = 0; i < 20000; i++) {
    const micro = (next() % 1_000_000) * 1_000_000_000 + (next() % 1_000_000_000);
    const shares = Number((micro / 1e6).toFixed(6));
    assert.ok(validate(shares), String(shares));
    const finer = Number((micro / 1e6 + 1e-7 * (1 + (next() % 9))).toFixed(7));
    if (finer < 1e8 && decimalPlaces(finer) === 7) {
      assert.equal(validate(finer), false, String(finer));
    }
  }
});
