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
  /** Contracts held. Integer, 0..9007199254740991. */
  qty: number;
  /** Contracts reserved by open sell orders. Integer, 0..9007199254740991. */
  inFlightQty: number;
  /** Contracts free to sell: max(qty - inFlightQty, 0). Integer, 0..9007199254740991. */
  accessibleQty: number;
  /** Volume-weighted average entry price, dollars per contract (0 when flat). Exact decimal in Python and Rust. */
  avgEntryPrice: number;
  /** Cost basis of the contracts held, dollars (0 when flat). */
  totalCost: number;
  /** Last mark, dollars per contract (the entry price until the first price update). */
  currentPrice: number;
  /** (currentPrice - avgEntryPrice) * qty, dollars. */
  unrealizedPnl: number;
  /** PnL realised by sales and merges, net of fees, dollars. Exact decimal in Python and Rust. */
  realizedPnl: number;
}

/** Minted YES+NO pair balance for a single condition (market). */
interface MintedPairBalance {
  /** Condition id of the market the pairs were minted in. */
  conditionId: string;
  /** Pairs free to merge or sell. Integer, 0..9007199254740991. */
  available: number;
  /** Pairs reserved by pending merges. Integer, 0..9007199254740991. */
  reserved: number;
  /** Pairs minted over the session. Integer, 0..9007199254740991. */
  totalMinted: number;
  /** Minted pairs given up because one of their tokens was sold. Integer, 0..9007199254740991. */
  totalSold: number;
  /** Minted pairs merged back into USDC. Integer, 0..9007199254740991. */
  totalMerged: number;
}

/** Complete capital and position state for a session, passed to every strategy every tick. */
interface InventoryState {
  /** Total USDC owned by this session, dollars. */
  totalUsd: number;
  /** USDC committed to open buy orders and pending mints, dollars. */
  inFlightUsd: number;
  /** Spendable USDC: totalUsd - inFlightUsd, dollars. */
  accessibleUsd: number;
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
  /** Contracts held. Integer, 0..9007199254740991. */
  qty: number;
  /** Average entry price, dollars per contract. */
  avgPrice: number;
}

/** The legacy portfolio summary. */
interface PortfolioState {
  /** Capital the session started with, dollars. */
  initialCapitalUsd: number;
  /** Capital not committed to positions or open orders, dollars. */
  availableCapitalUsd: number;
  /** Cost of open positions, dollars. */
  totalExposureUsd: number;
  /** Realised PnL over the session, dollars. */
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
