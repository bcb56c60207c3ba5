--[[
  Takes a per-key mutex and hands out the next fencing number (Inventory Guard Lock, and the channel drainers' lease).

    Input:
      KEYS[1]  lock key,  '<prefix>:lock:[<scope>:]<escaped key>'   (string: the holder's token, with a TTL)
      KEYS[2]  fence key, '<prefix>:fence:[<scope>:]<escaped key>'  (counter, never expires)
      ARGV[1]  token: 16 random bytes, hex, new for each acquisition
      ARGV[2]  lock TTL, milliseconds

    The fencing number is incremented in the same atomic step as the acquisition, so every holder of the
    key gets a higher number than every earlier holder: a resource that remembers the highest number it saw
    can reject a late write from a holder whose lock expired. Taking the lock again with the same token (a
    retried call whose reply was lost) succeeds and renews the TTL without a new number.

    Output: { code, value }
       { 1, fencing number }   acquired
      { -5, ttl }              busy: held by another token; ttl = milliseconds it still lasts
]]
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return { 1, redis.call('INCR', KEYS[2]) }
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 1, tonumber(redis.call('GET', KEYS[2]) or '0') }
end
return { -5, redis.call('PTTL', KEYS[1]) }
