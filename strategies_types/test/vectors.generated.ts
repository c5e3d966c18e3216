// Generated from tests/vectors/*.json by
// make types (python -m weatherman_inventory.codegen write). Do not edit.
// Good vectors must type-check; bad ones sit under @ts-expect-error, so tsc fails if
// the declarations accept one. A bad vector that is well-typed (a bound or a pattern
// only the runtime schema knows) is left to the runtime check in vectors.test.mjs.

// @ts-expect-error: a bad vector
const badContextInventoryNull: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": null};

// @ts-expect-error: a bad vector
const badContextMissingWeather: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "unsettledUsd": 0.0, "accessibleUsd": 300.0, "adjustmentsUsd": 0.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "NO", "qty": 70, "inFlightQty": 10, "unsettledQty": 0, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badContextPositionQtySevenDecimals: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100.0000001, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "unsettledUsd": 2.5, "accessibleUsd": 297.5, "adjustmentsUsd": 0.01, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "NO", "qty": 70.25, "inFlightQty": 10, "unsettledQty": 5.25, "accessibleQty": 55, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badContextPriceAbove100: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 101, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "unsettledUsd": 0.0, "accessibleUsd": 300.0, "adjustmentsUsd": 0.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "NO", "qty": 70, "inFlightQty": 10, "unsettledQty": 0, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badContextTimestampOffset: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T16:05:00+02:00", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "unsettledUsd": 0.0, "accessibleUsd": 300.0, "adjustmentsUsd": 0.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "NO", "qty": 70, "inFlightQty": 10, "unsettledQty": 0, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// @ts-expect-error: a bad vector
const badContextUnknownOutcome: DecisionContext = {"trigger": "BookUpdate", "tickNumber": 42, "timestamp": "2026-03-08T14:05:00.250Z", "sessionId": "sess-2026-03-08-knyc", "weather": {"stationId": "KNYC", "observedAt": "2026-03-08T14:00:00Z", "temperatureF": 41.5, "forecastHighF": 48.0}, "markets": [{"marketId": "mkt-klax-70", "conditionId": "cond-klax-70", "question": "Will the high at KLAX reach 70F on March 8?", "yesTokenId": "tok-yes-klax-70", "noTokenId": "tok-no-klax-70", "yesBidPx": 49, "yesAskPx": 51, "noBidPx": 48, "noAskPx": 52}, {"marketId": "mkt-knyc-50", "conditionId": "cond-knyc-50", "question": "Will the high at KNYC reach 50F on March 8?", "yesTokenId": "tok-yes-knyc-50", "noTokenId": "tok-no-knyc-50", "yesBidPx": 0, "yesAskPx": 100, "noBidPx": 0, "noAskPx": 100}], "positions": [{"marketId": "mkt-klax-70", "tokenId": "tok-yes-klax-70", "outcome": "YES", "qty": 100, "avgPrice": 0.5}], "portfolio": {"initialCapitalUsd": 500.0, "availableCapitalUsd": 300.0, "totalExposureUsd": 85.0, "realizedPnlUsd": 1.5}, "inventory": {"totalUsd": 400.0, "inFlightUsd": 100.0, "unsettledUsd": 0.0, "accessibleUsd": 300.0, "adjustmentsUsd": 0.0, "tokens": {"tok-yes-klax-70": {"tokenId": "tok-yes-klax-70", "marketId": "mkt-klax-70", "outcome": "YES", "qty": 100, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 100, "avgEntryPrice": 0.5, "totalCost": 50.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": 0.30000000000000004}, "tok-no-klax-70": {"tokenId": "tok-no-klax-70", "marketId": "mkt-klax-70", "outcome": "MAYBE", "qty": 70, "inFlightQty": 10, "unsettledQty": 0, "accessibleQty": 60, "avgEntryPrice": 0.5, "totalCost": 35.0, "currentPrice": 0.48, "unrealizedPnl": -1.4000000000000012, "realizedPnl": 1.2}}, "mintedPairs": {"cond-klax-70": {"conditionId": "cond-klax-70", "available": 50, "reserved": 20, "totalMinted": 150, "totalSold": 30, "totalMerged": 50}}, "exitTriggered": true}};

// @ts-expect-error: a bad vector
const badInventoryDecimalAsString: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": "0.65", "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryExtraKey: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0, "feesPaid": 0.1}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryMissingKey: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryNegativeQty: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": -1, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryNegativeUnsettledUsd: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": -0.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryPayoutAbove1: InventoryState = {"totalUsd": 110.0, "inFlightUsd": 0.0, "unsettledUsd": 0.0, "accessibleUsd": 110.0, "adjustmentsUsd": 0.0, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "cond-knyc-50", "outcome": "YES", "qty": 12.5, "inFlightQty": 0, "unsettledQty": 2.5, "accessibleQty": 10.0, "avgEntryPrice": 0.4, "totalCost": 5.0, "currentPrice": 0.5, "unrealizedPnl": 1.25, "realizedPnl": 10.0, "payout": 1.5, "redeemableQty": 10.0}, "tok-no-knyc-50": {"tokenId": "tok-no-knyc-50", "marketId": "cond-knyc-50", "outcome": "NO", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": -1e-06, "payout": 0.5, "redeemableQty": 0}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "cond-kord-40", "outcome": "YES", "qty": 3, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 3, "avgEntryPrice": 0.91, "totalCost": 2.73, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 0}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryQtyAsString: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": "157.575758", "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryQtyAtBound: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 1000000000, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryQtySevenDecimals: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.5757575, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryRedeemableQtyNull: InventoryState = {"totalUsd": 110.0, "inFlightUsd": 0.0, "unsettledUsd": 0.0, "accessibleUsd": 110.0, "adjustmentsUsd": 0.0, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "cond-knyc-50", "outcome": "YES", "qty": 12.5, "inFlightQty": 0, "unsettledQty": 2.5, "accessibleQty": 10.0, "avgEntryPrice": 0.4, "totalCost": 5.0, "currentPrice": 0.5, "unrealizedPnl": 1.25, "realizedPnl": 10.0, "payout": 0.5, "redeemableQty": null}, "tok-no-knyc-50": {"tokenId": "tok-no-knyc-50", "marketId": "cond-knyc-50", "outcome": "NO", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.5, "unrealizedPnl": 0.0, "realizedPnl": -1e-06, "payout": 0.5, "redeemableQty": 0}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "cond-kord-40", "outcome": "YES", "qty": 3, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 3, "avgEntryPrice": 0.91, "totalCost": 2.73, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 0}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryStringForNumber: InventoryState = {"totalUsd": "869.35", "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// Well-typed for tsc; refused at run time by the JSON Schema.
const badInventoryTotalUsdAtBound: InventoryState = {"totalUsd": 1000000000.0, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "YES", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryUnknownOutcome: InventoryState = {"totalUsd": 869.35, "inFlightUsd": 45.5, "unsettledUsd": 12.5, "accessibleUsd": 811.35, "adjustmentsUsd": -50.25, "tokens": {"tok-yes-knyc-50": {"tokenId": "tok-yes-knyc-50", "marketId": "mkt-knyc-50", "outcome": "MAYBE", "qty": 157.575758, "inFlightQty": 20, "unsettledQty": 7.575758, "accessibleQty": 130, "avgEntryPrice": 0.6536538443940089, "totalCost": 103.0, "currentPrice": 0.7, "unrealizedPnl": 7.3030306, "realizedPnl": 0}, "tok-no-knyc-55": {"tokenId": "tok-no-knyc-55", "marketId": "mkt-knyc-55", "outcome": "NO", "qty": 999999999.999999, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 999999999.999999, "avgEntryPrice": 0.01, "totalCost": 9999999.999999, "currentPrice": 0.01, "unrealizedPnl": 0.0, "realizedPnl": -3.5}, "tok-yes-kord-40": {"tokenId": "tok-yes-kord-40", "marketId": "mkt-kord-40", "outcome": "YES", "qty": 0, "inFlightQty": 0, "unsettledQty": 0, "accessibleQty": 0, "avgEntryPrice": 0, "totalCost": 0.0, "currentPrice": 0.91, "unrealizedPnl": 0.0, "realizedPnl": 12.345678}}, "mintedPairs": {}, "exitTriggered": false};

// @ts-expect-error: a bad vector
const badInventoryWithoutUnsettledFields: InventoryState = {"totalUsd": 948.03, "inFlightUsd": 2.0, "accessibleUsd": 946.03, "tokens": {"yes-1": {"tokenId": "yes-1", "marketId": "mkt-1", "outcome": "YES", "qty": 75, "inFlightQty": 0, "accessibleQty": 75, "avgEntryPrice": 0.397, "totalCost": 29.775, "currentPrice": 0.45, "unrealizedPnl": 3.975, "realizedPnl": 1.255}, "no-1": {"tokenId": "no-1", "marketId": "mkt-1", "outcome": "NO", "qty": 20, "inFlightQty": 0, "accessibleQty": 20, "avgEntryPrice": 0.55, "totalCost": 11.0, "currentPrice": 0.5, "unrealizedPnl": -1.0, "realizedPnl": 0.0}, "yes-2": {"tokenId": "yes-2", "marketId": "mkt-2", "outcome": "YES", "qty": 15, "inFlightQty": 0, "accessibleQty": 15, "avgEntryPrice": 0.5, "totalCost": 7.5, "currentPrice": 0.48, "unrealizedPnl": -0.3, "realizedPnl": 0.0}, "no-2": {"tokenId": "no-2", "marketId": "mkt-2", "outcome": "NO", "qty": 10, "inFlightQty": 0, "accessibleQty": 10, "avgEntryPrice": 0.5, "totalCost": 5.0, "currentPrice": 0.52, "unrealizedPnl": 0.2, "realizedPnl": 0.05}}, "mintedPairs": {"cond-2": {"conditionId": "cond-2", "available": 10, "reserved": 0, "totalMinted": 25, "totalSold": 5, "totalMerged": 10}}, "exitTriggered": true};

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
      "qty": 100.5,
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
    "unsettledUsd": 2.5,
    "accessibleUsd": 297.5,
    "adjustmentsUsd": 0.01,
    "tokens": {
      "tok-yes-klax-70": {
        "tokenId": "tok-yes-klax-70",
        "marketId": "mkt-klax-70",
        "outcome": "YES",
        "qty": 100,
        "inFlightQty": 0,
        "unsettledQty": 0,
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
        "qty": 70.25,
        "inFlightQty": 10,
        "unsettledQty": 5.25,
        "accessibleQty": 55,
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
  "unsettledUsd": 0.0,
  "accessibleUsd": 0.0,
  "adjustmentsUsd": 0.0,
  "tokens": {},
  "mintedPairs": {},
  "exitTriggered": false
};

const goodInventoryFull: InventoryState = {
  "totalUsd": 869.35,
  "inFlightUsd": 45.5,
  "unsettledUsd": 12.5,
  "accessibleUsd": 811.35,
  "adjustmentsUsd": -50.25,
  "tokens": {
    "tok-yes-knyc-50": {
      "tokenId": "tok-yes-knyc-50",
      "marketId": "mkt-knyc-50",
      "outcome": "YES",
      "qty": 157.575758,
      "inFlightQty": 20,
      "unsettledQty": 7.575758,
      "accessibleQty": 130,
      "avgEntryPrice": 0.6536538443940089,
      "totalCost": 103.0,
      "currentPrice": 0.7,
      "unrealizedPnl": 7.3030306,
      "realizedPnl": 0
    },
    "tok-no-knyc-55": {
      "tokenId": "tok-no-knyc-55",
      "marketId": "mkt-knyc-55",
      "outcome": "NO",
      "qty": 999999999.999999,
      "inFlightQty": 0,
      "unsettledQty": 0,
      "accessibleQty": 999999999.999999,
      "avgEntryPrice": 0.01,
      "totalCost": 9999999.999999,
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
      "unsettledQty": 0,
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
  "unsettledUsd": 0.0,
  "accessibleUsd": 300.0,
  "adjustmentsUsd": 0.0,
  "tokens": {
    "tok-yes-klax-70": {
      "tokenId": "tok-yes-klax-70",
      "marketId": "mkt-klax-70",
      "outcome": "YES",
      "qty": 100,
      "inFlightQty": 0,
      "unsettledQty": 0,
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
      "qty": 70.25,
      "inFlightQty": 10,
      "unsettledQty": 5.25,
      "accessibleQty": 55,
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
      "available": 50.5,
      "reserved": 20,
      "totalMinted": 150.5,
      "totalSold": 30.000001,
      "totalMerged": 49.999999
    }
  },
  "exitTriggered": true
};

const goodInventoryResolvedTokens: InventoryState = {
  "totalUsd": 110.0,
  "inFlightUsd": 0.0,
  "unsettledUsd": 0.0,
  "accessibleUsd": 110.0,
  "adjustmentsUsd": 0.0,
  "tokens": {
    "tok-yes-knyc-50": {
      "tokenId": "tok-yes-knyc-50",
      "marketId": "cond-knyc-50",
      "outcome": "YES",
      "qty": 12.5,
      "inFlightQty": 0,
      "unsettledQty": 2.5,
      "accessibleQty": 10.0,
      "avgEntryPrice": 0.4,
      "totalCost": 5.0,
      "currentPrice": 0.5,
      "unrealizedPnl": 1.25,
      "realizedPnl": 10.0,
      "payout": 0.5,
      "redeemableQty": 10.0
    },
    "tok-no-knyc-50": {
      "tokenId": "tok-no-knyc-50",
      "marketId": "cond-knyc-50",
      "outcome": "NO",
      "qty": 0,
      "inFlightQty": 0,
      "unsettledQty": 0,
      "accessibleQty": 0,
      "avgEntryPrice": 0,
      "totalCost": 0.0,
      "currentPrice": 0.5,
      "unrealizedPnl": 0.0,
      "realizedPnl": -1e-06,
      "payout": 0.5,
      "redeemableQty": 0
    },
    "tok-yes-kord-40": {
      "tokenId": "tok-yes-kord-40",
      "marketId": "cond-kord-40",
      "outcome": "YES",
      "qty": 3,
      "inFlightQty": 0,
      "unsettledQty": 0,
      "accessibleQty": 3,
      "avgEntryPrice": 0.91,
      "totalCost": 2.73,
      "currentPrice": 0.91,
      "unrealizedPnl": 0.0,
      "realizedPnl": 0
    }
  },
  "mintedPairs": {},
  "exitTriggered": false
};

export const vectors = [badContextInventoryNull, badContextMissingWeather, badContextPositionQtySevenDecimals, badContextPriceAbove100, badContextTimestampOffset, badContextUnknownOutcome, badInventoryDecimalAsString, badInventoryExtraKey, badInventoryMissingKey, badInventoryNegativeQty, badInventoryNegativeUnsettledUsd, badInventoryPayoutAbove1, badInventoryQtyAsString, badInventoryQtyAtBound, badInventoryQtySevenDecimals, badInventoryRedeemableQtyNull, badInventoryStringForNumber, badInventoryTotalUsdAtBound, badInventoryUnknownOutcome, badInventoryWithoutUnsettledFields, goodContextWithInventory, goodContextWithoutInventory, goodInventoryEmpty, goodInventoryFull, goodInventoryMintedPairs, goodInventoryResolvedTokens];
