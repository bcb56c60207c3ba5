--[[
  Trims an inbox stream of entries every consumer group has acknowledged, and nothing else (Inventory Inbox
  Trigger). Per group, the lowest id it still needs is its oldest pending entry or, with nothing pending, the
  first id after its last-delivered id (entries after it are unread). Entries below the lowest such id over all
  groups are removed with XTRIM MINID. A stream without groups is left alone. Atomic: no entry can be
  delivered or claimed between the reading and the trimming.

    Input:
      KEYS[1]  inbox stream, '<prefix>:<stream>'

    Output:
      the number of entries removed (0 when the stream or its groups do not exist)
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then
  return 0
end

local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end

local function less(a, b)
  local ams, aseq = parse(a)
  local bms, bseq = parse(b)
  if ams ~= bms then
    return ams < bms
  end
  return aseq < bseq
end

local lowest = nil
for _, group in ipairs(groups) do
  local name, pending, last
  for i = 1, #group, 2 do
    local k = group[i]
    if k == 'name' then
      name = group[i + 1]
    elseif k == 'pending' then
      pending = group[i + 1]
    elseif k == 'last-delivered-id' then
      last = group[i + 1]
    end
  end
  local need
  if pending > 0 then
    need = redis.call('XPENDING', KEYS[1], name)[2]
  else
    local ms, seq = parse(last)
    need = string.format('%.0f-%.0f', ms, seq + 1)
  end
  if lowest == nil or less(need, lowest) then
    lowest = need
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', lowest)
