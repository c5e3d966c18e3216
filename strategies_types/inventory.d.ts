// Generated from python/weatherman_inventory/models.py by
// make types (python -m weatherman_inventory.codegen write). Do not edit:
// `make check-types` fails when this file and the models disagree.

/** Which side of a binary market a token pays out on. */
type Outcome = "YES" | "NO";

/** What woke the strategies up this tick. */
type Trigger = "WeatherRefresh" | "BookUpdate";

/** Position state for a single token (YES or NO in a specific market). */
interface TokenPositionState {
  /** Token id on the exchange. */
  tokenId: string;
  /** Market the token belongs to. */
  marketId: string;
  /** YES or NO. */
  outcome: "YES" | "NO";
  /** Shares held, settled or not (exact, at most 6 decimals). Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  qty: number;
  /** Shares reserved by open sell orders. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  inFlightQty: number;
  /** Shares of provisional buys (not yet CONFIRMED on chain) included in qty: not sellable. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  unsettledQty: number;
  /** Shares free to sell: max(qty - unsettledQty - inFlightQty, 0). Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  accessibleQty: number;
  /** Volume-weighted average entry price, dollars per share (0 when flat). Exact decimal in Python and Rust. 0 <= x < 1000000000. */
  avgEntryPrice: number;
  /** Cost basis of the shares held, dollars (0 when flat). 0 <= x < 1000000000. */
  totalCost: number;
  /** Last mark, dollars per share (the entry price until the first price update). 0 <= x <= 1. */
  currentPrice: number;
  /** (currentPrice - avgEntryPrice) * qty, dollars. -1000000000 < x < 1000000000. */
  unrealizedPnl: number;
  /** PnL realised by sales, merges and redemptions, net of fees, dollars. Exact decimal in Python and Rust. -1000000000 < x < 1000000000. */
  realizedPnl: number;
  /** What one share redeems for once the token's market resolved, dollars (1 or 0, 0.5 when void); absent while the market is unresolved. Also the token's currentPrice from then on. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x <= 1. */
  payout?: number;
  /** Shares a redemption can burn now: held on chain (no fill of them still MATCHED or RETRYING) and not reserved by a pending redemption; absent while the market is unresolved. The position is redeemable when this is above 0. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  redeemableQty?: number;
}

/** Minted YES+NO pair balance for a single condition (market), in pairs (1 pair = 1 YES share + 1 NO share, minted for $1), exact to 6 decimals like shares. */
interface MintedPairBalance {
  /** Condition id of the market the pairs were minted in. */
  conditionId: string;
  /** Pairs free to merge or sell. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  available: number;
  /** Pairs reserved by pending merges. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  reserved: number;
  /** Pairs minted over the session. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  totalMinted: number;
  /** Minted pairs given up because one of their tokens was sold. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  totalSold: number;
  /** Minted pairs merged back into USDC. Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  totalMerged: number;
}

/** Complete capital and position state for a session, passed to every strategy every tick. */
interface InventoryState {
  /** Total USDC owned by this session, dollars, unsettled sale proceeds included. Negative only when a withdrawal took more than the ledger held (recorded as an anomaly). -1000000000 < x < 1000000000. */
  totalUsd: number;
  /** USDC committed to open buy orders and pending mints, dollars. 0 <= x < 1000000000. */
  inFlightUsd: number;
  /** Proceeds of provisional sales (not yet CONFIRMED on chain) included in totalUsd, dollars: not yet spendable. 0 <= x < 1000000000. */
  unsettledUsd: number;
  /** Spendable USDC: totalUsd - inFlightUsd - unsettledUsd, dollars. -1000000000 < x < 1000000000. */
  accessibleUsd: number;
  /** Signed sum of the session's cash adjustments (deposits and rebates add, withdrawals subtract, corrections either), dollars: the ledger's invariant counts it beside the initial capital. -1000000000 < x < 1000000000. */
  adjustmentsUsd: number;
  /** Per-token position state, keyed by tokenId. */
  tokens: Record<string, TokenPositionState>;
  /** Minted YES+NO pairs, keyed by conditionId; empty if the session never minted or merged. */
  mintedPairs: Record<string, MintedPairBalance>;
  /** Whether exit has been triggered: buys and mints are refused from then on. */
  exitTriggered: boolean;
}

/** The weather observation and forecast the session trades on. */
interface WeatherState {
  /** Weather station identifier (ICAO), e.g. KNYC. */
  stationId: string;
  /** Time of the observation, RFC 3339 UTC. */
  observedAt: string;
  /** Observed temperature, degrees Fahrenheit. */
  temperatureF: number;
  /** Forecast daily high, degrees Fahrenheit. */
  forecastHighF: number;
}

/** Top of book for one binary market. */
interface MarketState {
  /** Market id on the exchange. */
  marketId: string;
  /** Condition id used to mint and merge YES+NO pairs. */
  conditionId: string;
  /** The market's question, for logs. */
  question: string;
  /** Token id of the YES outcome. */
  yesTokenId: string;
  /** Token id of the NO outcome. */
  noTokenId: string;
  /** Best YES bid, cents of a dollar (0..100; 0 when the side is empty). Integer, 0..100. */
  yesBidPx: number;
  /** Best YES ask, cents of a dollar (0..100; 100 when the side is empty). Integer, 0..100. */
  yesAskPx: number;
  /** Best NO bid, cents of a dollar. Integer, 0..100. */
  noBidPx: number;
  /** Best NO ask, cents of a dollar. Integer, 0..100. */
  noAskPx: number;
}

/** A position as the legacy position map tracks it. */
interface PositionState {
  /** Market the token belongs to. */
  marketId: string;
  /** Token id on the exchange. */
  tokenId: string;
  /** YES or NO. */
  outcome: "YES" | "NO";
  /** Shares held (exact, at most 6 decimals). Exact decimal in Python and Rust, at most 6 decimal places. 0 <= x < 1000000000. */
  qty: number;
  /** Average entry price, dollars per share. 0 <= x < 1000000000. */
  avgPrice: number;
}

/** The legacy portfolio summary. */
interface PortfolioState {
  /** Capital the session started with, dollars. 0 <= x < 1000000000. */
  initialCapitalUsd: number;
  /** Capital not committed to positions or open orders, dollars. -1000000000 < x < 1000000000. */
  availableCapitalUsd: number;
  /** Cost of open positions, dollars. 0 <= x < 1000000000. */
  totalExposureUsd: number;
  /** Realised PnL over the session, dollars. -1000000000 < x < 1000000000. */
  realizedPnlUsd: number;
}

/** Everything a strategy sees on one tick. */
interface DecisionContext {
  /** What woke the strategies up. */
  trigger: "WeatherRefresh" | "BookUpdate";
  /** Tick counter, from 1. Integer, 0..9007199254740991. */
  tickNumber: number;
  /** Time of the tick, RFC 3339 UTC. */
  timestamp: string;
  /** Session identifier. */
  sessionId: string;
  /** Latest weather state. */
  weather: WeatherState;
  /** Every market the session trades. */
  markets: MarketState[];
  /** Positions from the legacy position map. */
  positions: PositionState[];
  /** Legacy portfolio summary. */
  portfolio: PortfolioState;
  /** Inventory state; present when the InventoryManager is active, absent (not null) otherwise. */
  inventory?: InventoryState;
}
