--[[
  Takes one dead letter out of the dead-letter stream to replay it, at most once (shared/dlq.ts,
  claimDeadLetter): the record is deleted from the stream and copied, field for field and byte for byte, into a
  replay marker in the same atomic step. A second claim of the same id finds the marker (or, once the marker
  has expired, nothing) and gets no payload: however many callers replay one dead letter at the same time,
  exactly one receives it. The marker keeps the record for the replayer's recovery (a replayer that died after
  the claim): shared/dlq.ts readReplayMarker.

    Input:
      KEYS[1]  dead-letter stream, '<prefix>:dlq'
      KEYS[2]  replay marker, '<prefix>:dlq:replayed:<dead letter id>' (a stream of one entry: the record's
               fields in stored order; its entry id is the claim time; expires after ARGV[2])
      ARGV[1]  the dead letter's id in KEYS[1], '<ms>-<seq>'
      ARGV[2]  marker lifetime, milliseconds

    Output:
       { 1, marker entry id, name, value, name, value, … }   claimed: the record's fields, in stored order
      { -1, marker entry id }                                 already claimed for replay (by this or another
                                                              caller): no payload
      { -2 }                                                  not in the stream: discarded, trimmed, replayed
                                                              longer ago than the marker lives, or never there
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
local markerId = redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[1])
local out = { 1, markerId }
for i = 1, #fields do
  out[#out + 1] = fields[i]
end
return out
