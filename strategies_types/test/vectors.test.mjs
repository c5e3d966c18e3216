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

const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
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
  bad_context_price_above_100: "/markets/0/yesAskPx",
  bad_context_timestamp_offset: "/timestamp",
  bad_context_unknown_outcome: "/inventory/tokens/tok-no-klax-70/outcome",
  bad_inventory_decimal_as_string: "/tokens/tok-yes-knyc-50/avgEntryPrice",
  bad_inventory_extra_key: "/tokens/tok-yes-knyc-50/feesPaid",
  bad_inventory_fractional_qty: "/tokens/tok-yes-knyc-50/qty",
  bad_inventory_missing_key: "/exitTriggered",
  bad_inventory_negative_qty: "/tokens/tok-yes-knyc-50/qty",
  bad_inventory_qty_above_max_safe: "/tokens/tok-no-knyc-55/qty",
  bad_inventory_string_for_number: "/totalUsd",
  bad_inventory_unknown_outcome: "/tokens/tok-yes-knyc-50/outcome",
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
