--[[
  Replays one dead letter, once: re-queues its work where the normal path picks it up AND takes the record out
  of the dead-letter stream into a replay marker, in one atomic step (Inventory Ledger, Dead Letters → Replay;
  ledger/deadLetters.ts replayDeadLetters, plans from deadLetterReplay.ts planReplay).

  Why claim and re-queue in one script: with the claim first (shared/dlq.ts claimDeadLetter) and the re-queue
  as a second call, a replayer that dies between the two leaves the work only in the marker, where nothing
  picks it up (lost until someone reads the marker); with the re-queue first, a replayer that dies before the
  claim leaves the record in the stream, and the next replay re-queues it a second time. Inside one script
  neither can happen: both are done or neither. The marker is the same key claimDeadLetter uses
  ('<prefix>:dlq:replayed:<id>', the record field for field), so a record claimed by either path is
  'already claimed' for the other. Order inside: every read first, then the re-queue writes, then the claim, so
  an error (a key of the wrong type) stops the script before it wrote anything, or (adjust: one stream) at its
  first write; the record is then still in the stream.

    Input:
      KEYS[1]  dead-letter stream, '<prefix>:dlq'
      KEYS[2]  replay marker, '<prefix>:dlq:replayed:<id>' (a one-entry stream, expires after ARGV[2])
      KEYS[3]  where the work goes:
                 publish: the channel's dirty set '<prefix>:dirty:<channel>' (zset, score = rev)
                 adjust:  the owner's outbox '<prefix>:outbox:<owner>' (stream)
                 inbox:   the inbox stream the entry came from (must equal the record's 'stream' field)
      KEYS[4..] publish only: the SKUs' ledger hashes '<prefix>:sku:<sku>:ledger', KEYS[3 + k] for ARGV[3 + k]
      ARGV[1]  the dead letter's id, '<ms>-<seq>'
      ARGV[2]  marker lifetime, milliseconds
      ARGV[3]  mode: 'publish' | 'adjust' | 'inbox' (a channel record's operation must equal it)
      ARGV[4..]
        publish: the SKUs (raw text), one per ledger hash; each is marked with its ledger hash's current 'rev'
                 (0 when the SKU has none), except a SKU frozen there ('frozen' = '1', the Freeze operation:
                 never published, as Apply does not mark it either)
        adjust:  per outbox entry: n (the count of the entry's names and values), then n texts
                 'name', 'value', …; each entry is XADDed to KEYS[3] as is
        inbox:   none; the record's own entry fields (after its 8 header fields) are XADDed to KEYS[3]

    Output:
      { 1, marker entry id, requeued, frozen SKU, … }
                                        replayed: 'requeued' SKUs marked / entries added (inbox: 1); publish:
                                        then the SKUs left unmarked because their ledger hash froze them
      { -1, marker entry id }           already claimed for replay (the marker exists): nothing done
      { -2 }                            not in the stream (discarded, trimmed, or never there): nothing done
      { -3 }                            the record is not of this mode (kind or operation differ, or an inbox
                                        record's stream is not KEYS[3]): nothing done
]]
local marker = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)
if #marker == 1 then
  return { -1, marker[1][1] }
end
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then
  return { -2 }
end
local fields = found[1][2]
local mode = ARGV[3]
-- Both kinds open with 'kind'; their fourth field is 'operation' (channel) or 'stream' (inbox).
if fields[1] ~= 'kind' then
  return { -3 }
end
if mode == 'inbox' then
  if fields[2] ~= 'inbox' or fields[7] ~= 'stream' or fields[8] ~= KEYS[3] or #fields < 18 then
    return { -3 }
  end
elseif fields[2] ~= 'channel' or fields[7] ~= 'operation' or fields[8] ~= mode then
  return { -3 }
end

local requeued = 0
local frozen = {}
if mode == 'publish' then
  local revs = {}
  for k = 4, #ARGV do
    local cur = redis.call('HMGET', KEYS[k], 'rev', 'frozen')
    if cur[2] == '1' then
      frozen[#frozen + 1] = ARGV[k]
    else
      revs[k] = tonumber(cur[1]) or 0
    end
  end
  for k = 4, #ARGV do
    if revs[k] ~= nil then
      redis.call('ZADD', KEYS[3], revs[k], ARGV[k])
      requeued = requeued + 1
    end
  end
elseif mode == 'adjust' then
  local i = 4
  while i <= #ARGV do
    local n = tonumber(ARGV[i])
    local entry = {}
    for j = 1, n do
      entry[j] = ARGV[i + j]
    end
    redis.call('XADD', KEYS[3], '*', unpack(entry))
    requeued = requeued + 1
    i = i + n + 1
  end
else
  local entry = {}
  for j = 17, #fields do
    entry[#entry + 1] = fields[j]
  end
  redis.call('XADD', KEYS[3], '*', unpack(entry))
  requeued = 1
end

local markerId = redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[1])
local out = { 1, markerId, requeued }
for i = 1, #frozen do
  out[#out + 1] = frozen[i]
end
return out
