--[[
  A catch-up poll of a channel finished (nodes/shared/channel/pollMarker.ts), atomically: its start time becomes
  the channel's poll marker (only ever forward), and every SKU whose mirror was held by a report older than that
  start is marked dirty again, so the next Publish lifts the hold and publishes what the ledger says.

  KEYS[1] '<prefix>:polled:<channel>'   KEYS[2] '<prefix>:held:<channel>' (zset sku, score = hold version)
  KEYS[3] '<prefix>:dirty:<channel>'
  ARGV[1] the poll's start time, ms
  Returns the number of SKUs marked dirty again.
]]
local started = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
if started > current then redis.call('SET', KEYS[1], ARGV[1]) end
local mark = math.max(started, current)
local released = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', mark)
for _, sku in ipairs(released) do
  -- Score 0: below any rev, so the next Publish clears the mark once it has looked at the SKU.
  redis.call('ZADD', KEYS[3], 'NX', 0, sku)
end
if #released > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', mark) end
return #released
