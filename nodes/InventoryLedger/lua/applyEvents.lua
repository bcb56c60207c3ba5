--[[
  Applies a batch of planned inventory events to the ledger, atomically (Inventory Ledger, Apply). Variable
  key count: the caller passes it. One call per batch; the items are applied in order, so two items of one
  SKU in a batch behave as if they had come one after the other.

    Input:
      KEYS[1]     '<prefix>:profile' (hash): the batch was planned with the profile version ARGV[1]
      KEYS[2]     '<prefix>:skus' (set): every SKU the ledger has seen
      KEYS[3..]   the batch's keys, each once, named by index from the item fields below:
                  '<prefix>:sku:<sku>:ledger' (hash: q:<loc> units, v:<loc> version, p:<loc> pending forwards,
                  rev, frozen, sr / st the sales rate, see "Sales rate" below), '<prefix>:sku:<sku>:audit'
                  (stream), '<prefix>:sku:<sku>:pub' (hash),
                  '<prefix>:ol:<platform>:<shop>:<orderId>' (hash, see "Order-line hash" below),
                  '<prefix>:outbox:<owner>' (stream), '<prefix>:dirty:<channel>' (zset, score = rev),
                  '<prefix>:map:<platform>:<shop>' (hash: <item|variant|product>:<id> → sku, sku:<sku> → field,
                  v|<field> → version)
      ARGV[1]     profile version the batch was planned with
      ARGV[2]     audit cap: entries kept per SKU stream (XADD MAXLEN ~)
      ARGV[3]     order-line retention, milliseconds (PEXPIRE of the order's hash after each change)
      ARGV[4]     n, the number of items; then 20 fields per item, from ARGV[5]:
        1 op        'L' level (from the location's owner), 'O' order line, 'U' an untracked order line (no SKU)
                    that carries its order's line keys, or the item of an order version without any line (line
                    key '', an empty list: every stored line is missing) — only the removed-line rule runs;
                    'B' observation (a mirror's own report: recorded in the pub hash, never applied), 'M' mapping
        2 key       L, O: ledger hash; B: pub hash; M: map hash (KEYS index)
        3 key       L, O: audit stream (KEYS index)
        4 key       O, U: order-line hash (KEYS index), else 0
        5 key       O forward: the owner's outbox (KEYS index), else 0
        6 key       L, B resolved through the SKU map: the map hash (KEYS index), else 0
        7 dirty     comma-separated KEYS indexes of the dirty zsets to mark ('' none); L, O: after a '|', those
                    marked only when the location's deficit min(0, level − pending) moved (the channels showing
                    its shortfall cover, whose figures move with the deficit only); B: the mirror's channel's,
                    marked only when the report is below what we published there
        8 sku
        9 where     L, O: location id; B: '<channel>:<location>' observer; M: map field
        10 field    O, U: line key within the order; L, B via the map: the map field the SKU came from
        11 qty      units ('' on an order line: the status leaves stock as it was)
        12 version  milliseconds (platform time of the order / level)
        13 id       the event's business identity (O, U: it ends with the line key; U of an order version without
                    any line: '<…>:order:<orderId>:line:' and line key '', so removed lines are named alike)
        14 source   '<platform>:<shop>:<topic>:<via>'
        15 mode     O: 'ledger' | 'owner' | 'forward'
        16 owner    O: the location's owner (the outbox's channel when forwarding)
        17 frozen   '1' when the profile freezes this SKU
        18 reread   '1' when the item is the re-read that settles a tie (applied at an equal version)
        19 lines    O, U: index (1-based) of the order's line-key list below, 0 when the item carries none
        20 placed   O: milliseconds when the order took its stock ('' unknown). A line with no stored state
                    in 'ledger' mode placed at or before the version of the location's level (v:<loc>, a count
                    or seed) is already in that level: recorded (units, version, route) but drawn from nothing
      then, after the items:
        the key prefix (a removed line's ledger hash, audit stream and outbox are named from it)
        m, and m lists: a count c, then c line keys (every line key of an order at one version)
        r, and r pairs: location id, comma-separated KEYS indexes of its dirty zsets (the current profile;
        '|' as in field 7)
        f, and f SKUs the profile freezes
        the earliest receipt time of the items (ms, '' unknown): a SKU newly marked dirty for a channel keeps
        it in '<dirty zset key>:at' (hash sku -> ms, HSETNX) until Publish confirms it (the lag's start)
      (r and f are 0 unless some item carries a line-key list: they serve the removed-line rule only.)

    Order-line hash '<prefix>:ol:<platform>:<shop>:<orderId>':
      <lineKey> → '<drawn> <version> <route>': units the line draws now and the order version they come from;
                  route = packed sku, location, mode ('l' ledger, 'o' owner, 'f' forward), owner ('' unless
                  forward), the SKU's key part and the owner's key part ('' when the escaped text is the text
                  itself; trailing '' texts left out): how the line drew, so that a removed line is reversed
                  there, in '<prefix>:sku:<part>:ledger' / ':audit' and '<prefix>:outbox:<part>'. Short, so
                  that small orders keep Redis's compact hash encoding (values of at most 64 bytes).
      ''        → '<version> <packed line keys>': the newest order version seen with a line-key list, and
                  that list ('<version> ' after an order version without lines). (Line keys are never empty,
                  so '' is no line's field.)
      packed = each text as '<byte length>:<text>', concatenated.

    Removed lines: an O or U item at version v with a line-key list L, when v is newer than the order's ''
    version (or equal, on a re-read): every stored line not in L whose version is older than v (on a re-read:
    not newer) is set to draw 0 at version v: −(0 − drawn) at its route's location, with the same owner /
    forward / rev / audit / dirty rules as any line change (dirty marks from the current profile's table
    above); the order's '' entry becomes (v, L). Exactly once: the line then holds version v. An item of a line
    at a version older than the order's '' version, whose line is not in that list, is stale (the line was
    removed by a newer version). An item at the '' version whose list differs from the stored one is a tie
    (two order states at one version: re-read). The removed lines' keys (ledger hash, audit stream, outbox)
    are named from their stored routes, not passed in KEYS (they are known only once the order hash is
    read): one Redis, not Cluster (design.md "Redis layout").

    Sales rate (nodes/InventoryLedger/salesRate.ts, the buffer's sales-rate reserve): an order line that newly
    draws u > 0 more units (applied or frozen: a sale counted, in any mode; not a cancel, restock, refund or
    removed line, which draw less; not a delivery of a version already held, which changes nothing; not a line
    'counted' in a level) updates the SKU's ledger hash fields sr (units per second, over all channels) and st
    (ms, Redis TIME): sr ← sr·exp(−(now − st)/TAU) + u/TAU (TAU in seconds), st ← now; TAU = 5 s. No rev change:
    the rate is read with the levels, it does not make the SKU dirty.

    Output: {-6, <stored profile version>} when ARGV[1] is not the stored version (nothing was done);
    otherwise 7 entries per item, in order: code, rev, previous, new, delta (stock change at the location;
    for a line, −(new − old) drawn units), version held before ('' when none), and the lines this item
    removed: an array of 9 entries per removed line that drew units (line key, sku, location, previous
    drawn, delta, rev, mode, owner, code 1 | -4). Codes:
       1 applied                   -4 applied, SKU frozen (no dirty marks)
      -1 stale (older version)     -5 the map no longer gives this SKU (nothing done; look it up again)
      -2 unchanged                 -7 observed (a mirror's report, recorded in the pub hash)
      -3 tie (equal version, different quantity or line keys: re-read)
      -8 mapping: another id already has this SKU
     -11 counted: a line placed before the level held at its location (field 20): recorded, nothing drawn
    Every level and order-line item adds an entry to its SKU's audit stream (skipped ones too, without a rev
    change): id, src, kind, loc, prev, new, delta, ver, rev, out (applied|stale|unchanged|tie|counted), eff
    (level|ledger|owner|forward), frz. A removed line that drew units adds an 'applied' entry under its own
    line's id, with the removing item's source and version.
]]
local stored_profile = redis.call('HGET', KEYS[1], 'version')
if stored_profile ~= ARGV[1] then
  return {-6, stored_profile or ''}
end
local cap = ARGV[2]
local retention = ARGV[3]
local n = tonumber(ARGV[4])
local F = 20
local out = {}

-- The tables after the items: prefix, line-key lists (position of each count), dirty marks per location,
-- frozen SKUs.
local pos = 5 + n * F
local prefix = ARGV[pos]
pos = pos + 1
local list_at = {}
local lists = tonumber(ARGV[pos])
pos = pos + 1
for i = 1, lists do
  list_at[i] = pos
  pos = pos + 1 + tonumber(ARGV[pos])
end
local dirty_at = {}
local locations = tonumber(ARGV[pos])
pos = pos + 1
for _ = 1, locations do
  dirty_at[ARGV[pos]] = ARGV[pos + 1]
  pos = pos + 2
end
local profile_frozen = {}
local frozen_count = tonumber(ARGV[pos])
pos = pos + 1
for _ = 1, frozen_count do
  profile_frozen[ARGV[pos]] = true
  pos = pos + 1
end
local received_at = ARGV[pos]

local function audit(key, id, src, kind, loc, prev, new, delta, ver, rev, outcome, eff, frozen)
  redis.call('XADD', key, 'MAXLEN', '~', cap, '*', 'id', id, 'src', src, 'kind', kind, 'loc', loc,
    'prev', prev, 'new', new, 'delta', delta, 'ver', ver, 'rev', rev, 'out', outcome, 'eff', eff,
    'frz', frozen and '1' or '0')
end

local function mark(indexes, sku, rev)
  for index in string.gmatch(indexes, '%d+') do
    redis.call('ZADD', KEYS[tonumber(index)], rev, sku)
    if received_at ~= nil and received_at ~= '' then
      redis.call('HSETNX', KEYS[tonumber(index)] .. ':at', sku, received_at)
    end
  end
end

-- Field 7's marks for a change that moved the location's stock (level − pending) from `before` to `after`: the
-- indexes after '|' only when the deficit moved.
local function mark_moved(indexes, sku, rev, before, after)
  local bar = string.find(indexes, '|', 1, true)
  if bar and math.min(0, before) == math.min(0, after) then indexes = string.sub(indexes, 1, bar - 1) end
  mark(indexes, sku, rev)
end

-- The sales rate's time constant, ms (salesRate.ts SALES_RATE_TAU_MS: change both together), and the call's
-- time (Redis TIME, read at the first sale; one instant for the whole call).
local SALES_RATE_TAU_MS = 5000
local now_ms = nil

-- A sale of `units` (> 0) more units of the SKU whose ledger hash is `kl`; rate / at: its stored sr / st texts.
local function count_sale(kl, units, rate, at)
  if not now_ms then
    local t = redis.call('TIME')
    now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  local r = tonumber(rate) or 0
  local since = now_ms - (tonumber(at) or now_ms)
  if since < 0 then since = 0 end
  r = r * math.exp(-since / SALES_RATE_TAU_MS) + units * 1000 / SALES_RATE_TAU_MS
  redis.call('HSET', kl, 'sr', string.format('%.9g', r), 'st', string.format('%.0f', now_ms))
end

local function bump(key, sku)
  local rev = redis.call('HINCRBY', key, 'rev', 1)
  if rev == 1 then redis.call('SADD', KEYS[2], sku) end
  return rev
end

-- Packed texts: '<byte length>:<text>' each, concatenated (any bytes, no escaping).
local function pack(texts)
  local parts = {}
  for i = 1, #texts do parts[i] = #texts[i] .. ':' .. texts[i] end
  return table.concat(parts)
end

local MODE_LETTER = { ledger = 'l', owner = 'o', forward = 'f' }
local NONE = {}
local MODE_OF = { l = 'ledger', o = 'owner', f = 'forward' }

-- The route stored with a line: sku, location, mode letter, owner (forward only), and the key parts of the
-- SKU and the owner when escaping changed them (read back from the keys the caller named; outbox_key is nil
-- unless forwarding).
local function route_of(sku, loc, mode, owner, ledger_key, outbox_key)
  local route = #sku .. ':' .. sku .. #loc .. ':' .. loc .. '1:' .. MODE_LETTER[mode]
  local part = string.sub(ledger_key, #prefix + 6, -8)
  if part == sku then part = '' end
  local opart = ''
  if mode == 'forward' then
    opart = string.sub(outbox_key, #prefix + 9)
    if opart == owner then opart = '' end
  else
    owner = ''
  end
  if opart ~= '' then return route .. pack({ owner, part, opart }) end
  if part ~= '' then return route .. pack({ owner, part }) end
  if owner ~= '' then return route .. #owner .. ':' .. owner end
  return route
end

local function unpack_texts(s)
  local texts, at = {}, 1
  while at <= #s do
    local colon = string.find(s, ':', at, true)
    local len = tonumber(string.sub(s, at, colon - 1))
    texts[#texts + 1] = string.sub(s, colon + 1, colon + len)
    at = colon + len + 1
  end
  return texts
end

-- A line's stored value: drawn units, version text, packed route (the rest: a route's texts may hold spaces).
local function parse_line(st)
  local a = string.find(st, ' ', 1, true)
  local b = string.find(st, ' ', a + 1, true)
  return tonumber(string.sub(st, 1, a - 1)), string.sub(st, a + 1, b - 1), string.sub(st, b + 1)
end

-- Line-key lists of this call: the set and the packed text, built once per list.
local list_cache = {}
local function line_list(index)
  local l = list_cache[index]
  if not l then
    local at = list_at[index]
    local keys, set = {}, {}
    for j = 1, tonumber(ARGV[at]) do
      keys[j] = ARGV[at + j]
      set[keys[j]] = true
    end
    l = { set = set, packed = pack(keys), count = #keys }
    list_cache[index] = l
  end
  return l
end

-- Order-line hashes, each read once per call (HGETALL) and written once at the end (one HSET of the fields
-- that changed, one PEXPIRE): the items of a call work on this copy. rec: the '' field, parsed.
local orders, touched = {}, {}
local function order_of(ko)
  local o = orders[ko]
  if not o then
    local all = redis.call('HGETALL', ko)
    local f = {}
    for j = 1, #all, 2 do f[all[j]] = all[j + 1] end
    o = { f = f, changed = {}, rec = false }
    local raw = f['']
    if raw then
      local sp = string.find(raw, ' ', 1, true)
      o.rec = { ver = tonumber(string.sub(raw, 1, sp - 1)), packed = string.sub(raw, sp + 1) }
    end
    orders[ko] = o
  end
  return o
end

local function put(ko, o, field, value)
  o.f[field] = value
  if not o.changed[field] then
    o.changed[field] = true
    if not o.dirty then
      o.dirty = true
      touched[#touched + 1] = ko
    end
  end
end

local function flush_orders()
  for _, ko in ipairs(touched) do
    local o = orders[ko]
    local args = {}
    for field in pairs(o.changed) do
      args[#args + 1] = field
      args[#args + 1] = o.f[field]
      if #args >= 1000 then
        redis.call('HSET', ko, unpack(args))
        args = {}
      end
    end
    if #args > 0 then redis.call('HSET', ko, unpack(args)) end
    redis.call('PEXPIRE', ko, retention)
  end
end

local function record_set(r)
  if not r.set then
    r.set, r.count = {}, 0
    for _, k in ipairs(unpack_texts(r.packed)) do
      if not r.set[k] then r.count = r.count + 1 end
      r.set[k] = true
    end
  end
  return r.set
end

local function same_lines(r, l)
  if r.packed == l.packed then return true end
  local set = record_set(r)
  if r.count ~= l.count then return false end
  for k in pairs(l.set) do if not set[k] then return false end end
  return true
end

-- Every stored line of the order missing from `set` and older than `vnum` (re-read: not newer) draws 0 from
-- version `ver` on, reversed through its stored route. Returns the reply entries of those that drew units.
local function remove_missing(ko, o, set, vnum, ver, reread, id_base, src)
  local removed = {}
  for line, value in pairs(o.f) do
    if line ~= '' and not set[line] then
      local d, held, route = parse_line(value)
      local s = tonumber(held)
      if s < vnum or (reread and s == vnum) then
        put(ko, o, line, '0 ' .. ver .. ' ' .. route)
        if d ~= 0 then
          local r = unpack_texts(route)
          local sku, loc, mode, owner = r[1], r[2], MODE_OF[r[3]], r[4] or ''
          local part = (r[5] or '') ~= '' and r[5] or sku
          local kl = prefix .. ':sku:' .. part .. ':ledger'
          local ka = prefix .. ':sku:' .. part .. ':audit'
          local kx = prefix .. ':outbox:' .. ((r[6] or '') ~= '' and r[6] or owner)
          local meta = redis.call('HMGET', kl, 'rev', 'frozen', 'q:' .. loc, 'p:' .. loc)
          local frozen = meta[2] == '1' or profile_frozen[sku] == true
          local stock = (tonumber(meta[3]) or 0) - (tonumber(meta[4]) or 0)
          local rev = tonumber(meta[1]) or 0
          if mode == 'ledger' then
            redis.call('HINCRBY', kl, 'q:' .. loc, d)
          elseif mode == 'forward' then
            redis.call('HINCRBY', kl, 'p:' .. loc, -d)
          end
          if mode ~= 'owner' then
            rev = bump(kl, sku)
            if mode == 'forward' then
              redis.call('XADD', kx, '*', 'sku', sku, 'loc', loc, 'delta', d, 'id', id_base .. line, 'ver', ver,
                'rev', rev, 'src', src, 'owner', owner)
            end
            if not frozen and dirty_at[loc] then mark_moved(dirty_at[loc], sku, rev, stock, stock + d) end
          end
          audit(ka, id_base .. line, src, 'orderLine', loc, d, 0, d, ver, rev, 'applied', mode, frozen)
          local entry = { line, sku, loc, d, d, rev, mode, owner, frozen and -4 or 1 }
          for k = 1, 9 do removed[#removed + 1] = entry[k] end
        end
      end
    end
  end
  return removed
end

-- One item's fields (the 20 above), read once; b is the ARGV index before its first field.
local function item_at(i)
  local b = 4 + (i - 1) * F
  local ver = ARGV[b + 12]
  return {
    b = b, op = ARGV[b + 1], sku = ARGV[b + 8], where = ARGV[b + 9], qty = ARGV[b + 11], ver = ver,
    vnum = tonumber(ver), id = ARGV[b + 13], src = ARGV[b + 14], reread = ARGV[b + 18] == '1',
  }
end

-- Each kind below returns the item's 7 reply entries: code, rev, prev, new, delta, held, removed.

-- L: a level from the location's owner; the newer version wins, an equal one with another quantity is a tie.
local function level(it)
  local b, qty, ver, vnum, where = it.b, it.qty, it.ver, it.vnum, it.where
  local kl = KEYS[tonumber(ARGV[b + 2])]
  local fq, fv = 'q:' .. where, 'v:' .. where
  local cur = redis.call('HMGET', kl, fq, fv, 'rev', 'frozen', 'p:' .. where)
  local frozen = cur[4] == '1' or ARGV[b + 17] == '1'
  local stored = tonumber(cur[2])
  local code, outcome, delta = 0, 'applied', ''
  local prev, rev, held = cur[1] or '', cur[3] or 0, cur[2] or ''
  if stored and vnum < stored then
    code, outcome = -1, 'stale'
  elseif stored and vnum == stored and not it.reread then
    if tonumber(cur[1]) == tonumber(qty) then code, outcome = -2, 'unchanged' else code, outcome = -3, 'tie' end
  elseif cur[1] and tonumber(cur[1]) == tonumber(qty) then
    redis.call('HSET', kl, fv, ver)
    code, outcome = -2, 'unchanged'
  else
    redis.call('HSET', kl, fq, qty, fv, ver)
    rev = bump(kl, it.sku)
    delta = tonumber(qty) - (tonumber(cur[1]) or 0)
    local pending = tonumber(cur[5]) or 0
    if frozen then
      code = -4
    else
      code = 1
      mark_moved(ARGV[b + 7], it.sku, rev, (tonumber(cur[1]) or 0) - pending, tonumber(qty) - pending)
    end
  end
  audit(KEYS[tonumber(ARGV[b + 3])], it.id, it.src, 'level', where, prev, qty, delta, ver, rev, outcome, 'level', frozen)
  return code, rev, prev, qty, delta, held, NONE
end

-- O and U, first: the order's line keys. Lines missing from a newer version draw 0 (remove_missing); the same
-- version with other keys is a tie. Returns the order hash's key, its copy, the item's line key, the removed
-- lines' reply entries, the tie, and the order's '' record as it was before this item.
local function order_item(it)
  local ko = KEYS[tonumber(ARGV[it.b + 4])]
  local line = ARGV[it.b + 10]
  local list_index = tonumber(ARGV[it.b + 19])
  local o = order_of(ko)
  local rec = o.rec
  local removed, tie = NONE, false
  if list_index > 0 then
    local l = line_list(list_index)
    if (not rec) or it.vnum > rec.ver or (it.reread and it.vnum == rec.ver) then
      if not (rec and rec.ver == it.vnum and rec.packed == l.packed and rec.scanned) then
        removed = remove_missing(ko, o, l.set, it.vnum, it.ver, it.reread, string.sub(it.id, 1, #it.id - #line), it.src)
        put(ko, o, '', it.ver .. ' ' .. l.packed)
        o.rec = { ver = it.vnum, packed = l.packed, set = l.set, count = l.count, scanned = true }
      end
    elseif it.vnum == rec.ver and not same_lines(rec, l) then
      tie = true
    end
  end
  return ko, o, line, removed, tie, rec
end

-- U: an untracked line that carries its order's line keys, or the item of an order version without any line
-- (line key '', an empty list: an empty order). Only the removed-line rule runs; nothing of its own changes.
local function untracked_line(it)
  local _, _, _, removed, tie, rec_before = order_item(it)
  local held = ''
  if rec_before then held = rec_before.ver end
  return tie and -3 or -2, '', '', '', '', held, removed
end

-- O: an order line draws new − old units at its location: the ledger's level moves ('ledger'), only the audit
-- records it ('owner'), or the owner's outbox gets it as pending ('forward').
local function order_line(it)
  local ko, o, line, removed, tie = order_item(it)
  local rec = o.rec
  local b, qty, ver, vnum, where, sku = it.b, it.qty, it.ver, it.vnum, it.where, it.sku
  local kl = KEYS[tonumber(ARGV[b + 2])]
  local mode = ARGV[b + 15]
  local k5 = tonumber(ARGV[b + 5])
  local st = o.f[line]
  local code, prev, new, delta, held = 0, '', '', '', ''
  local old, stored = 0, nil
  if st then
    local s
    old, s = parse_line(st)
    stored = tonumber(s)
    prev, held = old, s
  end
  local meta = redis.call('HMGET', kl, 'rev', 'frozen', 'v:' .. where, 'q:' .. where, 'p:' .. where, 'sr', 'st')
  local frozen = meta[2] == '1' or ARGV[b + 17] == '1'
  local placed = tonumber(ARGV[b + 20])
  local outcome = 'applied'
  local rev = meta[1] or 0
  local removed_by_newer = rec and vnum < rec.ver and not record_set(rec)[line]
  if qty == '' then
    -- The status leaves stock as it was. The version is not recorded: the units this state carries are
    -- those of the previous state, so an older state arriving later must still apply.
    code, outcome, new = -2, 'unchanged', prev
    if tie then code, outcome = -3, 'tie' end
  else
    local q = tonumber(qty)
    new = q
    if removed_by_newer then
      -- A newer version of the order no longer has this line: it draws 0 from that version on.
      code, outcome, held = -1, 'stale', rec.ver
    elseif stored and vnum < stored then
      code, outcome = -1, 'stale'
    elseif tie or (stored and vnum == stored and not it.reread) then
      if q == old and not tie then code, outcome = -2, 'unchanged' else code, outcome = -3, 'tie' end
    else
      put(ko, o, line, qty .. ' ' .. ver .. ' ' .. route_of(sku, where, mode, ARGV[b + 16], kl, KEYS[k5]))
      local d = q - old
      if d == 0 then
        code, outcome = -2, 'unchanged'
        -- A newer version of a WooCommerce order that draws what the line drew: WooCommerce moves its own stock
        -- by status, so a version in between may have been lost (a cancellation whose webhook never came, then
        -- a reinstatement): the ledger is right, but the store restored and reduced again around our writes and
        -- may show another number, its report possibly lost in the second of ours. Publish looks (it reads
        -- WooCommerce back before skipping). Score 0 and NX: below any rev, never lowering a mark.
        if st and not frozen and string.sub(it.src, 1, 12) == 'woocommerce:' then
          for index in string.gmatch(string.match(ARGV[b + 7], '^[^|]*'), '%d+') do
            redis.call('ZADD', KEYS[tonumber(index)], 'NX', 0, sku)
          end
        end
      elseif (not st) and mode == 'ledger' and placed and meta[3] and placed <= tonumber(meta[3]) then
        -- First seen after a count (or seed) of its location that already has the sale: its units are the
        -- line's from now on (a cancel or edit applies relative to them), but the level stays.
        code, outcome = -11, 'counted'
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
            redis.call('XADD', KEYS[k5], '*', 'sku', sku, 'loc', where, 'delta', -d,
              'id', it.id, 'ver', ver, 'rev', rev, 'src', it.src, 'owner', ARGV[b + 16])
          end
          -- Both modes move the stock (level − pending) by −d.
          local stock = (tonumber(meta[4]) or 0) - (tonumber(meta[5]) or 0)
          if not frozen then mark_moved(ARGV[b + 7], sku, rev, stock, stock - d) end
        end
        if d > 0 then count_sale(kl, d, meta[6], meta[7]) end
        if frozen then code = -4 else code = 1 end
      end
    end
  end
  audit(KEYS[tonumber(ARGV[b + 3])], it.id, it.src, 'orderLine', where, prev, new, delta, ver, rev, outcome, mode, frozen)
  return code, rev, prev, new, delta, held, removed
end

-- B: a mirror's own report, recorded in the pub hash (the newer or equal version wins), never applied. One below
-- what we last published there ('pq:<observer>') marks the SKU dirty for the mirror's channel (field 7): such a
-- report is a hold for Publish to decide and record, and only a recorded hold is released (and the SKU written
-- again) by the next poll. Unmarked, a mirror that took units the ledger does not count (a reinstated order
-- after our write of its pre-cancellation value) stayed low until the SKU changed again. Score 0 and NX, as a
-- poll's release: below any rev, never lowering a mark already there.
local function observation(it)
  local kp = KEYS[tonumber(ARGV[it.b + 2])]
  local cur = redis.call('HGET', kp, 'obsv:' .. it.where)
  if (not cur) or it.vnum >= tonumber(cur) then
    redis.call('HSET', kp, 'obs:' .. it.where, it.qty, 'obsv:' .. it.where, it.ver)
    local published = tonumber(redis.call('HGET', kp, 'pq:' .. it.where) or '')
    if published and tonumber(it.qty) < published then
      for index in string.gmatch(ARGV[it.b + 7], '%d+') do
        redis.call('ZADD', KEYS[tonumber(index)], 'NX', 0, it.sku)
      end
    end
  end
  return -7, '', '', it.qty, '', cur or '', NONE
end

-- M: a platform id → SKU mapping (and SKU → id back); another id already holding the SKU is reported, never
-- guessed.
local function mapping(it)
  local where, sku = it.where, it.sku
  local km = KEYS[tonumber(ARGV[it.b + 2])]
  local cur = redis.call('HMGET', km, where, 'v|' .. where, 'sku:' .. sku)
  local code
  if cur[2] and it.vnum < tonumber(cur[2]) then
    code = -1
  elseif cur[3] and cur[3] ~= where then
    code = -8
  elseif cur[1] == sku then
    redis.call('HSET', km, 'v|' .. where, it.ver)
    code = -2
  else
    if cur[1] and redis.call('HGET', km, 'sku:' .. cur[1]) == where then
      redis.call('HDEL', km, 'sku:' .. cur[1])
    end
    redis.call('HSET', km, where, sku, 'sku:' .. sku, where, 'v|' .. where, it.ver)
    code = 1
  end
  return code, '', cur[1] or '', sku, '', cur[2] or '', NONE
end

local KIND = { L = level, O = order_line, U = untracked_line, B = observation, M = mapping }

-- The items, in order. One resolved through the SKU map is first checked against the map: -5 when the map no
-- longer gives its SKU (nothing done; the caller looks it up again).
for i = 1, n do
  local it = item_at(i)
  local code, rev, prev, new, delta, held, removed = 0, '', '', '', '', '', NONE
  local map_index = tonumber(ARGV[it.b + 6])
  local kind = KIND[it.op]
  if map_index > 0 and redis.call('HGET', KEYS[map_index], ARGV[it.b + 10]) ~= it.sku then
    code = -5
  elseif kind then
    code, rev, prev, new, delta, held, removed = kind(it)
  end
  out[#out + 1] = code
  out[#out + 1] = rev
  out[#out + 1] = prev
  out[#out + 1] = new
  out[#out + 1] = delta
  out[#out + 1] = held
  out[#out + 1] = removed
end
flush_orders()
return out
