--[[
  Publish's read of a pass (nodes/shared/channel/publish.ts readViews): for each SKU its ledger hash and its pub
  hash, in one script call for many SKUs — one command instead of two per SKU, which is most of the drain's own
  CPU on a large change (ioredis builds and parses each command).

  KEYS: per SKU, its ledger hash then its pub hash.
  Returns { HGETALL(KEYS[1]), HGETALL(KEYS[2]), … } (flat field/value lists).
]]
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('HGETALL', KEYS[i])
end
return out
