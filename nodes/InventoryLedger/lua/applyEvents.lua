--[[
  Applies a batch of planned inventory events to the ledger, atomically (Inventory Ledger, Apply). Variable
  key count: the caller passes it. One call per batch; the items are applied in order, so two items of one
  SKU in a batch behave as if they had come one after the other.

    Input:
      KEYS[1]     '<prefix>:profile' (hash): the batch was planned with the profile version ARGV[1]
      KEYS[2]     '<prefix>:skus' (set): every SKU the ledger has seen
      KEYS[3..]   the batch's keys, each once, named by index from the item fields below:
                  '<prefix>:sku:<sku>:ledger' (hash: q:<loc> units, v:<loc> version, p:<loc> pending forwards,
                  rev, frozen), '<prefix>:sku:<sku>:audit' (stream), '<prefix>:sku:<sku>:pub' (hash),
                  '<prefix>:ol:<platform>:<shop>:<orderId>' (hash: <lineKey> → '<drawn> <version>'),
                  '<prefix>:outbox:<owner>' (stream), '<prefix>:dirty:<channel>' (zset, score = rev),
                  '<prefix>:map:<platform>:<shop>' (hash: <item|variant|product>:<id> → sku, sku:<sku> → field,
                  v|<field> → version)
      ARGV[1]     profile version the batch was planned with
      ARGV[2]     audit cap: entries kept per SKU stream (XADD MAXLEN ~)
      ARGV[3]     order-line retention, milliseconds (PEXPIRE of the order's hash after each change)
      ARGV[4]     n, the number of items; then 18 fields per item, from ARGV[5]:
        1 op        'L' level (from the location's owner), 'O' order line, 'B' observation (a mirror's own
                    report: recorded in the pub hash, never applied), 'M' mapping
        2 key       L, O: ledger hash; B: pub hash; M: map hash (KEYS index)
        3 key       L, O: audit stream (KEYS index)
        4 key       O: order-line hash (KEYS index), else 0
        5 key       O forward: the owner's outbox (KEYS index), else 0
        6 key       L, B resolved through the SKU map: the map hash (KEYS index), else 0
        7 dirty     comma-separated KEYS indexes of the dirty zsets to mark ('' none)
        8 sku
        9 where     L, O: location id; B: '<channel>:<location>' observer; M: map field
        10 field    O: line key within the order; L, B via the map: the map field the SKU came from
        11 qty      units ('' on an order line: the status leaves stock as it was)
        12 version  milliseconds (platform time of the order / level)
        13 id       the event's business identity
        14 source   '<platform>:<shop>:<topic>:<via>'
        15 mode     O: 'ledger' | 'owner' | 'forward'
        16 owner    O: the location's owner (the outbox's channel when forwarding)
        17 frozen   '1' when the profile freezes this SKU
        18 reread   '1' when the item is the re-read that settles a tie (applied at an equal version)

    Output: {-6, <stored profile version>} when ARGV[1] is not the stored version (nothing was done);
    otherwise 6 entries per item, in order: code, rev, previous, new, delta (stock change at the location;
    for a line, −(new − old) drawn units), version held before ('' when none). Codes:
       1 applied                   -4 applied, SKU frozen (no dirty marks)
      -1 stale (older version)     -5 the map no longer gives this SKU (nothing done; look it up again)
      -2 unchanged                 -7 observed (a mirror's report, recorded in the pub hash)
      -3 tie (equal version, different quantity: re-read)     -8 mapping: another id already has this SKU
    Every level and order-line item adds an entry to its SKU's audit stream (skipped ones too, without a rev
    change): id, src, kind, loc, prev, new, delta, ver, rev, out (applied|stale|unchanged|tie), eff
    (level|ledger|owner|forward), frz.
]]
local stored_profile = redis.call('HGET', KEYS[1], 'version')
if stored_profile ~= ARGV[1] then
  return {-6, stored_profile or ''}
end
local cap = ARGV[2]
local retention = ARGV[3]
local n = tonumber(ARGV[4])
local F = 18
local out = {}

local function audit(key, id, src, kind, loc, prev, new, delta, ver, rev, outcome, eff, frozen)
  redis.call('XADD', key, 'MAXLEN', '~', cap, '*', 'id', id, 'src', src, 'kind', kind, 'loc', loc,
    'prev', prev, 'new', new, 'delta', delta, 'ver', ver, 'rev', rev, 'out', outcome, 'eff', eff,
    'frz', frozen and '1' or '0')
end

local function mark(indexes, sku, rev)
  for index in string.gmatch(indexes, '%d+') do
    redis.call('ZADD', KEYS[tonumber(index)], rev, sku)
  end
end

local function bump(key, sku)
  local rev = redis.call('HINCRBY', key, 'rev', 1)
  if rev == 1 then redis.call('SADD', KEYS[2], sku) end
  return rev
end

for i = 1, n do
  local b = 4 + (i - 1) * F
  local op = ARGV[b + 1]
  local sku = ARGV[b + 8]
  local where = ARGV[b + 9]
  local qty = ARGV[b + 11]
  local ver = ARGV[b + 12]
  local vnum = tonumber(ver)
  local id = ARGV[b + 13]
  local src = ARGV[b + 14]
  local reread = ARGV[b + 18] == '1'
  local code, rev, prev, new, delta, held = 0, '', '', '', '', ''

  local map_index = tonumber(ARGV[b + 6])
  if map_index > 0 and redis.call('HGET', KEYS[map_index], ARGV[b + 10]) ~= sku then
    code = -5
  elseif op == 'L' then
    local kl = KEYS[tonumber(ARGV[b + 2])]
    local fq, fv = 'q:' .. where, 'v:' .. where
    local cur = redis.call('HMGET', kl, fq, fv, 'rev', 'frozen')
    local frozen = cur[4] == '1' or ARGV[b + 17] == '1'
    local stored = tonumber(cur[2])
    local outcome = 'applied'
    prev, new, rev, held = cur[1] or '', qty, cur[3] or 0, cur[2] or ''
    if stored and vnum < stored then
      code, outcome = -1, 'stale'
    elseif stored and vnum == stored and not reread then
      if tonumber(cur[1]) == tonumber(qty) then code, outcome = -2, 'unchanged' else code, outcome = -3, 'tie' end
    elseif cur[1] and tonumber(cur[1]) == tonumber(qty) then
      redis.call('HSET', kl, fv, ver)
      code, outcome = -2, 'unchanged'
    else
      redis.call('HSET', kl, fq, qty, fv, ver)
      rev = bump(kl, sku)
      delta = tonumber(qty) - (tonumber(cur[1]) or 0)
      if frozen then code = -4 else code = 1; mark(ARGV[b + 7], sku, rev) end
    end
    audit(KEYS[tonumber(ARGV[b + 3])], id, src, 'level', where, prev, qty, delta, ver, rev, outcome, 'level', frozen)
  elseif op == 'O' then
    local kl = KEYS[tonumber(ARGV[b + 2])]
    local ko = KEYS[tonumber(ARGV[b + 4])]
    local line = ARGV[b + 10]
    local mode = ARGV[b + 15]
    local st = redis.call('HGET', ko, line)
    local old, stored = 0, nil
    if st then
      local sp = string.find(st, ' ', 1, true)
      old = tonumber(string.sub(st, 1, sp - 1))
      stored = tonumber(string.sub(st, sp + 1))
      prev, held = old, string.sub(st, sp + 1)
    end
    local meta = redis.call('HMGET', kl, 'rev', 'frozen')
    local frozen = meta[2] == '1' or ARGV[b + 17] == '1'
    local outcome = 'applied'
    rev = meta[1] or 0
    if qty == '' then
      -- The status leaves stock as it was. The version is not recorded: the units this state carries are
      -- those of the previous state, so an older state arriving later must still apply.
      code, outcome, new = -2, 'unchanged', prev
    else
      local q = tonumber(qty)
      new = q
      if stored and vnum < stored then
        code, outcome = -1, 'stale'
      elseif stored and vnum == stored and not reread then
        if q == old then code, outcome = -2, 'unchanged' else code, outcome = -3, 'tie' end
      else
        redis.call('HSET', ko, line, qty .. ' ' .. ver)
        redis.call('PEXPIRE', ko, retention)
        local d = q - old
        if d == 0 then
          code, outcome = -2, 'unchanged'
        else
          delta = -d
          if mode == 'ledger' then
            redis.call('HINCRBY', kl, 'q:' .. where, -d)
          elseif mode == 'forward' then
            redis.call('HINCRBY', kl, 'p:' .. where, d)
          end
          if mode ~= 'owner' then
            rev = bump(kl, sku)
            if mode == 'forward' then
              redis.call('XADD', KEYS[tonumber(ARGV[b + 5])], '*', 'sku', sku, 'loc', where, 'delta', -d,
                'id', id, 'ver', ver, 'rev', rev, 'src', src, 'owner', ARGV[b + 16])
            end
            if not frozen then mark(ARGV[b + 7], sku, rev) end
          end
          if frozen then code = -4 else code = 1 end
        end
      end
    end
    audit(KEYS[tonumber(ARGV[b + 3])], id, src, 'orderLine', where, prev, new, delta, ver, rev, outcome, mode, frozen)
  elseif op == 'B' then
    local kp = KEYS[tonumber(ARGV[b + 2])]
    local cur = redis.call('HGET', kp, 'obsv:' .. where)
    held = cur or ''
    if (not cur) or vnum >= tonumber(cur) then
      redis.call('HSET', kp, 'obs:' .. where, qty, 'obsv:' .. where, ver)
    end
    code, new = -7, qty
  elseif op == 'M' then
    local km = KEYS[tonumber(ARGV[b + 2])]
    local cur = redis.call('HMGET', km, where, 'v|' .. where, 'sku:' .. sku)
    prev, new, held = cur[1] or '', sku, cur[2] or ''
    if cur[2] and vnum < tonumber(cur[2]) then
      code = -1
    elseif cur[3] and cur[3] ~= where then
      code = -8
    elseif cur[1] == sku then
      redis.call('HSET', km, 'v|' .. where, ver)
      code = -2
    else
      if cur[1] and redis.call('HGET', km, 'sku:' .. cur[1]) == where then
        redis.call('HDEL', km, 'sku:' .. cur[1])
      end
      redis.call('HSET', km, where, sku, 'sku:' .. sku, where, 'v|' .. where, ver)
      code = 1
    end
  end
  out[#out + 1] = code
  out[#out + 1] = rev
  out[#out + 1] = prev
  out[#out + 1] = new
  out[#out + 1] = delta
  out[#out + 1] = held
end
return out
