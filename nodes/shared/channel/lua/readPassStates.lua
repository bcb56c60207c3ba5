--[[
  Publish's read of a pass (nodes/shared/channel/publish.ts readViews): for each SKU what the decision needs and
  no more, in one script call for many SKUs. The reply is what our process parses per SKU (ioredis decodes
  every bulk string), so the ledger hash comes back without its version fields and the pub hash only as the
  given fields of the channel being published (not the other channels' records).

  KEYS: per SKU, its ledger hash then its pub hash.
  ARGV: the pub hash fields to read (this channel's places).
  Returns { ledger fields q:* p:* rev frozen sr st (flat field/value list), HMGET(pub, ARGV…), … }
  (sr / st: the SKU's sales rate, nodes/InventoryLedger/salesRate.ts).
]]
local out = {}
local wanted = #ARGV > 0
for i = 1, #KEYS, 2 do
  local h = redis.call('HGETALL', KEYS[i])
  local keep = {}
  for j = 1, #h, 2 do
    local f = h[j]
    local head = string.sub(f, 1, 2)
    if head == 'q:' or head == 'p:' or f == 'rev' or f == 'frozen' or f == 'sr' or f == 'st' then
      keep[#keep + 1] = f
      keep[#keep + 1] = h[j + 1]
    end
  end
  out[#out + 1] = keep
  if wanted then out[#out + 1] = redis.call('HMGET', KEYS[i + 1], unpack(ARGV)) else out[#out + 1] = {} end
end
return out
