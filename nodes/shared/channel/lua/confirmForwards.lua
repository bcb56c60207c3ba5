--[[
  Adjust's confirmation of forwarded sales the owner applied (nodes/ShopifyInventory/stock/adjust.ts), atomically:
  per outbox entry not confirmed before, the pending mark it put on the SKU's location is lifted (p:<loc> += delta;
  the forward subtracted |delta| units from what mirrors show until now), the SKU's rev moves and its mirrors are
  marked dirty (what they show changes), the entry id is remembered as confirmed (a replayed dead letter carrying it
  is then skipped), a lag sample is added, and the entry leaves the outbox. The in-flight batch record is removed.

  KEYS[1] outbox stream   KEYS[2] confirmed ids (zset, score = ms)   KEYS[3] in-flight batch hash
  KEYS[4] lag stream      KEYS[5..] per entry: the SKU's ledger hash, then its dirty zsets (see ARGV)
  ARGV[1] now ms   ARGV[2] lag cap   ARGV[3] how long confirmed ids are kept, ms   ARGV[4] n entries
  then per entry: id (the outbox stream id), forward id ('' none), sku, loc, delta, ledger key index,
    dirty key indexes (comma-separated, '' none; after '|', those marked only when the location's deficit
    min(0, level − pending) moved: the channels showing its shortfall cover), received ms ('' unknown)
  Returns the number of entries whose marks were lifted.
]]
local now, cap, keep, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local pos, lifted = 5, 0
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - keep)
for _ = 1, n do
  local sid, fid, sku, loc, delta = ARGV[pos], ARGV[pos + 1], ARGV[pos + 2], ARGV[pos + 3], tonumber(ARGV[pos + 4])
  local kl, dirty, received = KEYS[tonumber(ARGV[pos + 5])], ARGV[pos + 6], ARGV[pos + 7]
  pos = pos + 8
  local seen = fid ~= '' and redis.call('ZSCORE', KEYS[2], fid)
  if not seen then
    local before = redis.call('HMGET', kl, 'q:' .. loc, 'p:' .. loc)
    local stock = (tonumber(before[1]) or 0) - (tonumber(before[2]) or 0)
    redis.call('HINCRBY', kl, 'p:' .. loc, delta)
    local rev = redis.call('HINCRBY', kl, 'rev', 1)
    -- Stock = level − pending moves by −delta; the cover's channels are marked only when the deficit moved.
    local bar = string.find(dirty, '|', 1, true)
    if bar and math.min(0, stock) == math.min(0, stock - delta) then dirty = string.sub(dirty, 1, bar - 1) end
    for index in string.gmatch(dirty, '%d+') do
      redis.call('ZADD', KEYS[tonumber(index)], rev, sku)
    end
    if fid ~= '' then redis.call('ZADD', KEYS[2], now, fid) end
    if received ~= '' then
      redis.call('XADD', KEYS[4], 'MAXLEN', '~', cap, '*', 'ms', math.max(0, now - tonumber(received)), 'sku', sku,
        'op', 'adjust')
    end
    lifted = lifted + 1
  end
  redis.call('XDEL', KEYS[1], sid)
end
redis.call('DEL', KEYS[3])
return lifted
