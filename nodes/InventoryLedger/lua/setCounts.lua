--[[
  ERP / manual counts "as of" a time (Inventory Ledger, Set): the count replaces the level of a ledger-owned
  location, then the sales recorded after that time are applied again on top, so a count taken before a sale
  does not erase it. "Recorded after" = audit entries whose stream id (Redis time, ms) is after the as-of time.
  Variable key count: the caller passes it.

    Input:
      KEYS[1]     '<prefix>:profile' (hash): planned with profile version ARGV[1]
      KEYS[2]     '<prefix>:skus' (set)
      KEYS[3..]   ledger hashes, audit streams and dirty zsets, each once, named by index below
      ARGV[1]     profile version
      ARGV[2]     audit cap (XADD MAXLEN ~)
      ARGV[3]     n items; then 10 fields per item from ARGV[4]:
        1 ledger hash (KEYS index)   2 audit stream (KEYS index)   3 dirty zsets, comma-separated indexes
        4 sku   5 location   6 counted units   7 as-of, milliseconds   8 id   9 source
        10 frozen by the profile ('1' / '0')
      Dirty zsets after a '|' are marked only when the location's deficit min(0, level − pending) moved (the
      channels showing its shortfall cover: their figures move with the deficit only).

    Output: {-6, version} when the profile changed (nothing done); else 6 entries per item: code, rev,
    previous units, new units, units re-applied from later sales (≤ 0), version held before. Codes:
       1 applied   -4 applied, SKU frozen (no dirty marks)   -1 stale (a newer level or count is held)
      -9 the audit stream no longer holds every entry after the as-of time (trimmed): nothing done
]]
local stored_profile = redis.call('HGET', KEYS[1], 'version')
if stored_profile ~= ARGV[1] then
  return {-6, stored_profile or ''}
end
local cap = ARGV[2]
local n = tonumber(ARGV[3])
local F = 10
local out = {}

-- Marks the dirty zsets of a change at a location whose stock (level − pending) went from `before` to `after`.
local function mark(dirty, sku, rev, before, after)
  local bar = string.find(dirty, '|', 1, true)
  local marked = dirty
  if bar and math.min(0, before) == math.min(0, after) then marked = string.sub(dirty, 1, bar - 1) end
  for index in string.gmatch(marked, '%d+') do
    redis.call('ZADD', KEYS[tonumber(index)], rev, sku)
  end
end

local function trimmed_after(key, asof)
  if redis.call('EXISTS', key) == 0 then return false end
  local info = redis.call('XINFO', 'STREAM', key)
  for j = 1, #info, 2 do
    if info[j] == 'max-deleted-entry-id' then
      local ms = tonumber(string.match(info[j + 1], '^(%d+)'))
      return ms ~= nil and ms > asof
    end
  end
  return false
end

for i = 1, n do
  local b = 3 + (i - 1) * F
  local kl = KEYS[tonumber(ARGV[b + 1])]
  local ka = KEYS[tonumber(ARGV[b + 2])]
  local sku, loc, qty, asof = ARGV[b + 4], ARGV[b + 5], tonumber(ARGV[b + 6]), ARGV[b + 7]
  local asnum = tonumber(asof)
  local cur = redis.call('HMGET', kl, 'q:' .. loc, 'v:' .. loc, 'rev', 'frozen', 'p:' .. loc)
  local frozen = cur[4] == '1' or ARGV[b + 10] == '1'
  local code, rev, prev, new, later, held = 0, cur[3] or 0, cur[1] or '', '', 0, cur[2] or ''
  local outcome = 'applied'
  if cur[2] and asnum < tonumber(cur[2]) then
    code, outcome, new = -1, 'stale', qty
  elseif trimmed_after(ka, asnum) then
    code, outcome, new = -9, 'asOfBeyondAudit', qty
  else
    local entries = redis.call('XRANGE', ka, string.format('%d', asnum + 1), '+')
    for _, entry in ipairs(entries) do
      local f = entry[2]
      local kind, eloc, outc, eff, d
      for j = 1, #f, 2 do
        local name = f[j]
        if name == 'kind' then kind = f[j + 1]
        elseif name == 'loc' then eloc = f[j + 1]
        elseif name == 'out' then outc = f[j + 1]
        elseif name == 'eff' then eff = f[j + 1]
        elseif name == 'delta' then d = f[j + 1] end
      end
      if kind == 'orderLine' and eloc == loc and outc == 'applied' and eff == 'ledger' then
        later = later + (tonumber(d) or 0)
      end
    end
    new = qty + later
    redis.call('HSET', kl, 'q:' .. loc, new, 'v:' .. loc, asof)
    rev = redis.call('HINCRBY', kl, 'rev', 1)
    if rev == 1 then redis.call('SADD', KEYS[2], sku) end
    if frozen then
      code = -4
    else
      code = 1
      local pending = tonumber(cur[5]) or 0
      mark(ARGV[b + 3], sku, rev, (tonumber(cur[1]) or 0) - pending, new - pending)
    end
  end
  if code ~= -9 then
    redis.call('XADD', ka, 'MAXLEN', '~', cap, '*', 'id', ARGV[b + 8], 'src', ARGV[b + 9], 'kind', 'count',
      'loc', loc, 'prev', prev, 'new', new, 'delta', later, 'ver', asof, 'rev', rev, 'out', outcome,
      'eff', 'count', 'frz', frozen and '1' or '0')
  end
  out[#out + 1] = code
  out[#out + 1] = rev
  out[#out + 1] = prev
  out[#out + 1] = new
  out[#out + 1] = later
  out[#out + 1] = held
end
return out
