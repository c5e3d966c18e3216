// Generated from tests/vectors/*.json by
// make types (python -m weatherman_inventory.codegen write). Do not edit.
// Good vectors must type-check; bad ones sit under @ts-expect-error, so tsc fails if
// the declarations accept one. A bad vector that is well-typed (a bound or a pattern
// only the runtime schema knows) is left to the runtime check in vectors.test.mjs.

// @ts-expect-error: a bad vector
const badContextInventoryNull: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": null};

// @ts-expect-error: a bad vector
const badContextMissingWeather: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "accessibleUsd": 300.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "NO", "qty": 70, "inFlightQty": 10, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badContextPriceAbove100: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 101, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "accessibleUsd": 300.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "NO", "qty": 70, "inFlightQty": 10, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badContextTimestampOffset: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T16:05:00+02:00", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "accessibleUsd": 300.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "NO", "qty": 70, "inFlightQty": 10, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// @ts-expect-error: a bad vector
const badContextUnknownOutcome: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "accessibleUsd": 300.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "MAYBE", "qty": 70, "inFlightQty": 10, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// @ts-expect-error: a bad vector
const badInventoryDecimalAsString: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 150, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": "0.65", "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740991, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryExtraKey: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 150, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": 0.6533333333333333, "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0, "feesPaid": 0.1}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740991, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryFractionalQty: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 150.5, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": 0.6533333333333333, "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740991, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryMissingKey: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 150, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": 0.6533333333333333, "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740991, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryNegativeQty: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": -1, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": 0.6533333333333333, "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740991, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryQtyAboveMaxSafe: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 150, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": 0.6533333333333333, "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740992, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryStringForNumber: InventoryState = {"totalUsd": "869.35", "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 150, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": 0.6533333333333333, "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740991, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryUnknownOutcome: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "accessibleUsd": 823.85, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "MAYBE", "qty": 150, "inFlightQty": 20, "accessibleQty": 130, "avgEntryPrice": 0.6533333333333333, "totalCost": 98.0, "currentPrice": 0.7, "unrealizedPnl": 7.000000000000005, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 9007199254740991, "inFlightQty": 0, "accessibleQty": 9007199254740991, "avgEntryPrice": 0.01, "totalCost": 90071992547409.9, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

const goodContextWithInventory: DecisionContext = {
  "trigger": "BookUpdate",
  "tickNumber": 42,
  "timestamp": "2026-03-08T14:05:00.250Z",
  "sessionId": "sess-2026-03-08-knyc",
  "weather": {
    "stationId": "KNYC",
    "observedAt": "2026-03-08T14:00:00Z",
    "temperatureF": 41.5,
    "forecastHighF": 48.0
  },
  "markets": [
    {
      "marketId": "mkt-klax-70",
      "conditionId": "cond-klax-70",
      "question": "Will the high at KLAX reach 70F on March 8?",
      "yesTokenId": "tok-yes-klax-70",
      "noTokenId": "tok-no-klax-70",
      "yesBidPx": 49,
      "yesAskPx": 51,
      "noBidPx": 48,
      "noAskPx": 52
    },
    {
      "marketId": "mkt-knyc-50",
      "conditionId": "cond-knyc-50",
      "question": "Will the high at KNYC reach 50F on March 8?",
      "yesTokenId": "tok-yes-knyc-50",
      "noTokenId": "tok-no-knyc-50",
      "yesBidPx": 0,
      "yesAskPx": 100,
      "noBidPx": 0,
      "noAskPx": 100
    }
  ],
  "positions": [
    {
      "marketId": "mkt-klax-70",
      "tokenId": "tok-yes-klax-70",
      "outcome": "YES",
      "qty": 100,
      "avgPrice": 0.5
    }
  ],
  "portfolio": {
    "initialCapitalUsd": 500.0,
    "availableCapitalUsd": 300.0,
    "totalExposureUsd": 85.0,
    "realizedPnlUsd": 1.5
  },
  "inventory": {
    "totalUsd": 400.0,
    "inFlightUsd": 100.0,
    "accessibleUsd": 300.0,
    "tokens": {
      "tok-yes-klax-70": {
        "tokenId": "tok-yes-klax-70",
        "marketId": "mkt-klax-70",
        "outcome": "YES",
        "qty": 100,
        "inFlightQty": 0,
        "accessibleQty": 100,
        "avgEntryPrice": 0.5,
        "totalCost": 50.0,
        "currentPrice": 0.5,
        "unrealizedPnl": 0.0,
        "realizedPnl": 0.30000000000000004
      },
      "tok-no-klax-70": {
        "tokenId": "tok-no-klax-70",
        "marketId": "mkt-klax-70",
        "outcome": "NO",
        "qty": 70,
        "inFlightQty": 10,
        "accessibleQty": 60,
        "avgEntryPrice": 0.5,
        "totalCost": 35.0,
        "currentPrice": 0.48,
        "unrealizedPnl": -1.4000000000000012,
        "realizedPnl": 1.2
      }
    },
    "mintedPairs": {
      "cond-klax-70": {
        "conditionId": "cond-klax-70",
        "available": 50,
        "reserved": 20,
        "totalMinted": 150,
        "totalSold": 30,
        "totalMerged": 50
      }
    },
    "exitTriggered": true
  }
};

const goodContextWithoutInventory: DecisionContext = {
  "trigger": "WeatherRefresh",
  "tickNumber": 1,
  "timestamp": "2026-03-08T14:00:00.000123Z",
  "sessionId": "sess-2026-03-08-knyc",
  "weather": {
    "stationId": "KNYC",
    "observedAt": "2026-03-08T14:00:00Z",
    "temperatureF": 41.5,
    "forecastHighF": 48.0
  },
  "markets": [
    {
      "marketId": "mkt-klax-70",
      "conditionId": "cond-klax-70",
      "question": "Will the high at KLAX reach 70F on March 8?",
      "yesTokenId": "tok-yes-klax-70",
      "noTokenId": "tok-no-klax-70",
      "yesBidPx": 49,
      "yesAskPx": 51,
      "noBidPx": 48,
      "noAskPx": 52
    },
    {
      "marketId": "mkt-knyc-50",
      "conditionId": "cond-knyc-50",
      "question": "Will the high at KNYC reach 50F on March 8?",
      "yesTokenId": "tok-yes-knyc-50",
      "noTokenId": "tok-no-knyc-50",
      "yesBidPx": 0,
      "yesAskPx": 100,
      "noBidPx": 0,
      "noAskPx": 100
    }
  ],
  "positions": [],
  "portfolio": {
    "initialCapitalUsd": 500.0,
    "availableCapitalUsd": 300.0,
    "totalExposureUsd": 85.0,
    "realizedPnlUsd": 1.5
  }
};

const goodInventoryEmpty: InventoryState = {
  "totalUsd": 0.0,
  "inFlightUsd": 0.0,
  "accessibleUsd": 0.0,
  "tokens": {},
  "mintedPairs": {},
  "exitTriggered": false
};

const goodInventoryFull: InventoryState = {
  "totalUsd": 869.35,
  "inFlightUsd": 45.5,
  "accessibleUsd": 823.85,
  "tokens": {
    "tok-yes-knyc-50": {
      "tokenId": "tok-yes-knyc-50",
      "marketId": "mkt-knyc-50",
      "outcome": "YES",
      "qty": 150,
      "inFlightQty": 20,
      "accessibleQty": 130,
      "avgEntryPrice": 0.6533333333333333,
      "totalCost": 98.0,
      "currentPrice": 0.7,
      "unrealizedPnl": 7.000000000000005,
      "realizedPnl": 0
    },
    "tok-no-knyc-55": {
      "tokenId": "tok-no-knyc-55",
      "marketId": "mkt-knyc-55",
      "outcome": "NO",
      "qty": 9007199254740991,
      "inFlightQty": 0,
      "accessibleQty": 9007199254740991,
      "avgEntryPrice": 0.01,
      "totalCost": 90071992547409.9,
      "currentPrice": 0.01,
      "unrealizedPnl": 0.0,
      "realizedPnl": -3.5
    },
    "tok-yes-kord-40": {
      "tokenId": "tok-yes-kord-40",
      "marketId": "mkt-kord-40",
      "outcome": "YES",
      "qty": 0,
      "inFlightQty": 0,
      "accessibleQty": 0,
      "avgEntryPrice": 0,
      "totalCost": 0.0,
      "currentPrice": 0.91,
      "unrealizedPnl": 0.0,
      "realizedPnl": 12.345678
    }
  },
  "mintedPairs": {},
  "exitTriggered": false
};

const goodInventoryMintedPairs: InventoryState = {
  "totalUsd": 400.0,
  "inFlightUsd": 100.0,
  "accessibleUsd": 300.0,
  "tokens": {
    "tok-yes-klax-70": {
      "tokenId": "tok-yes-klax-70",
      "marketId": "mkt-klax-70",
      "outcome": "YES",
      "qty": 100,
      "inFlightQty": 0,
      "accessibleQty": 100,
      "avgEntryPrice": 0.5,
      "totalCost": 50.0,
      "currentPrice": 0.5,
      "unrealizedPnl": 0.0,
      "realizedPnl": 0.30000000000000004
    },
    "tok-no-klax-70": {
      "tokenId": "tok-no-klax-70",
      "marketId": "mkt-klax-70",
      "outcome": "NO",
      "qty": 70,
      "inFlightQty": 10,
      "accessibleQty": 60,
      "avgEntryPrice": 0.5,
      "totalCost": 35.0,
      "currentPrice": 0.48,
      "unrealizedPnl": -1.4000000000000012,
      "realizedPnl": 1.2
    }
  },
  "mintedPairs": {
    "cond-klax-70": {
      "conditionId": "cond-klax-70",
      "available": 50,
      "reserved": 20,
      "totalMinted": 150,
      "totalSold": 30,
      "totalMerged": 50
    }
  },
  "exitTriggered": true
};

export const vectors = [badContextInventoryNull, badContextMissingWeather, badContextPriceAbove100, badContextTimestampOffset, badContextUnknownOutcome, badInventoryDecimalAsString, badInventoryExtraKey, badInventoryFractionalQty, badInventoryMissingKey, badInventoryNegativeQty, badInventoryQtyAboveMaxSafe, badInventoryStringForNumber, badInventoryUnknownOutcome, goodContextWithInventory, goodContextWithoutInventory, goodInventoryEmpty, goodInventoryFull, goodInventoryMintedPairs];
