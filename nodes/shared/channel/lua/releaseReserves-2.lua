--[[
  Lifts decayed sales-rate reserves (nodes/shared/channel/publish.ts, at the start of every Publish), atomically:
  every SKU whose reserve has reached 0 by now is marked dirty again, so the Publish that follows writes what the
  ledger says without any new event about the SKU.

  KEYS[1] '<prefix>:reserve:<channel>' (zset sku, score = when its reserve ends, ms)
  KEYS[2] '<prefix>:dirty:<channel>'
  ARGV[1] now, ms (the caller's clock, the one the scores were computed with)
  Returns the number of SKUs marked dirty again.
]]
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, sku in ipairs(due) do
  -- Score 0: below any rev, so the next Publish clears the mark once it has looked at the SKU.
  redis.call('ZADD', KEYS[2], 'NX', 0, sku)
end
if #due > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
return #due
