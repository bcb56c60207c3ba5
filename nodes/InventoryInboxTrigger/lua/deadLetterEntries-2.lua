--[[
  Moves inbox entries to the dead-letter stream and acknowledges them, in one atomic step (Inventory Inbox
  Trigger, after an entry was delivered more than Max deliveries times). The dead letter keeps the entry's own
  fields (platform, headers, body, receivedAt: all a replay needs) after the fields that say why. The record
  format (field names and order) is nodes/shared/deadLetters.ts, read there by readDeadLetter.

    Input:
      KEYS[1]  inbox stream, '<prefix>:<stream>'
      KEYS[2]  dead-letter stream, '<prefix>:dlq'
      ARGV[1]  consumer group
      ARGV[2]  time of the decision, ISO 8601 text (stored as deadAt)
      ARGV[3]  name of the consumer that decided
      ARGV[4..] triples: entry id, deliveries (count), reason (text)

    Output:
      the number of entries copied to the dead-letter stream. Every given id is acknowledged, also one that is
      no longer in the inbox stream (nothing left to copy).
]]
local moved = 0
for i = 4, #ARGV, 3 do
  local id = ARGV[i]
  local found = redis.call('XRANGE', KEYS[1], id, id)
  if #found == 1 then
    local record = {
      'kind', 'inbox', 'reason', ARGV[i + 2], 'entryId', id, 'stream', KEYS[1], 'group', ARGV[1],
      'deliveries', ARGV[i + 1], 'deadAt', ARGV[2], 'consumer', ARGV[3],
    }
    local fields = found[1][2]
    for j = 1, #fields do
      record[#record + 1] = fields[j]
    end
    redis.call('XADD', KEYS[2], '*', unpack(record))
    moved = moved + 1
  end
  redis.call('XACK', KEYS[1], ARGV[1], id)
end
return moved
