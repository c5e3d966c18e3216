// The reference host's TypeScript strategy: reads one DecisionContext per line on stdin and
// writes one StrategyReply per line on stdout. Type-checked with `tsc --strict` against the
// generated declarations in strategies_types/inventory.d.ts, so a change to the contract that
// this code does not follow fails the build.
//
// It buys the cheaper side of a market with a resting bid a cent under the ask, and sells a
// token once its unrealised PnL passes 40 cents (keeping the tokens that back minted pairs).
// It is a pure function of the context: a resumed session decides as the uninterrupted one would
// have.

function cheapSideBuys(ctx: DecisionContext, inventory: InventoryState): Intent[] {
  const intents: Intent[] = [];
  ctx.markets.forEach((market, index) => {
    if (ctx.tickNumber % 5 !== index % 5) {
      return;
    }
    const yesCheaper = market.yesAskPx <= market.noAskPx;
    const outcome: Outcome = yesCheaper ? "YES" : "NO";
    const ask = yesCheaper ? market.yesAskPx : market.noAskPx;
    const held = inventory.tokens[yesCheaper ? market.yesTokenId : market.noTokenId];
    if (ask < 45 && inventory.accessibleUsd > 200 && (held === undefined || held.qty < 40)) {
      intents.push({
        kind: "order",
        side: "buy",
        marketId: market.marketId,
        outcome,
        qty: 8,
        limitPx: Math.max(1, ask - 1),
      });
    }
  });
  return intents;
}

function profitTaking(ctx: DecisionContext, inventory: InventoryState): Intent[] {
  const intents: Intent[] = [];
  for (const token of Object.values(inventory.tokens)) {
    const market = ctx.markets.find((m) => m.marketId === token.marketId);
    if (market === undefined) {
      continue;
    }
    // Tokens backing minted pairs stay for the merge.
    const pairs = inventory.mintedPairs[market.conditionId];
    // accessibleQty leaves out unsettledQty (shares of buys not yet confirmed on chain): only
    // settled shares are sold. Rounded to the micro-share, the venue's unit, as the difference of
    // two numbers can carry a float's noise.
    const paired = pairs === undefined ? 0 : pairs.available + pairs.reserved;
    const sellable = Math.floor((token.accessibleQty - paired) * 1e6 + 1e-6) / 1e6;
    if (sellable <= 0 || token.unrealizedPnl <= 0.4) {
      continue;
    }
    const bid = token.outcome === "YES" ? market.yesBidPx : market.noBidPx;
    if (bid >= 1) {
      intents.push({
        kind: "order",
        side: "sell",
        marketId: market.marketId,
        outcome: token.outcome,
        qty: sellable,
        limitPx: bid,
      });
    }
  }
  return intents;
}

function seenKeys(inventory: InventoryState): SeenKeys {
  const token = Object.values(inventory.tokens)[0];
  const pair = Object.values(inventory.mintedPairs)[0];
  return {
    inventory: Object.keys(inventory),
    token: token === undefined ? [] : Object.keys(token),
    mintedPair: pair === undefined ? [] : Object.keys(pair),
  };
}

function decide(ctx: DecisionContext): StrategyReply {
  const inventory = ctx.inventory;
  if (inventory === undefined) {
    return { intents: [] };
  }
  return {
    intents: [...cheapSideBuys(ctx, inventory), ...profitTaking(ctx, inventory)],
    seen: seenKeys(inventory),
  };
}

let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  pending += chunk;
  let newline = pending.indexOf("\n");
  while (newline >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    if (line.trim() !== "") {
      const ctx = JSON.parse(line) as DecisionContext;
      process.stdout.write(JSON.stringify(decide(ctx)) + "\n");
    }
    newline = pending.indexOf("\n");
  }
});
process.stdin.on("end", () => process.exit(0));
// The host went away (it was killed, or it stopped): nothing left to answer.
process.stdout.on("error", () => process.exit(0));
