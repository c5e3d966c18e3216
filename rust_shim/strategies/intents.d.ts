// What a strategy answers each tick, in the reference host's JSON-lines protocol. The same
// shapes as `Intent` and `Reply` in rust_shim/src/bin/host/strategies.rs and the pydantic
// models in host_intents.py.

/** A limit order. The host checks it with `can_buy` / `can_sell` before sending it. */
interface OrderIntent {
  kind: "order";
  side: "buy" | "sell";
  marketId: string;
  outcome: Outcome;
  /** Shares, > 0, at most 6 decimals (the venue's unit): 7.575758 is a valid quantity. */
  qty: number;
  /** Limit price, cents of a dollar, integer 1..99. */
  limitPx: number;
}

/** Mint YES+NO pairs for `amountUsd` whole dollars (one pair per dollar). */
interface MintIntent {
  kind: "mint";
  marketId: string;
  amountUsd: number;
}

/** Merge `pairs` minted pairs back into USDC. */
interface MergeIntent {
  kind: "merge";
  marketId: string;
  pairs: number;
}

type Intent = OrderIntent | MintIntent | MergeIntent;

/** The keys the strategy found in `ctx.inventory`, its tokens and its minted pairs. */
interface SeenKeys {
  inventory: string[];
  token: string[];
  mintedPair: string[];
}

/** One line of output per context line of input. */
interface StrategyReply {
  intents: Intent[];
  seen?: SeenKeys;
}
