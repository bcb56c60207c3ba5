--[[
  Reserves a Shopify query's points from the shop's shared bucket estimate (channel/sharedPace.ts,
  SharedShopifyBucket.reserve; the same arithmetic as pacing.ts reserveFromBucket, on Redis's clock so every
  worker agrees). Atomic: two callers never reserve the same points.

    Input:
      KEYS[1]  estimate hash, '<prefix>:pace:shopify:<escaped shop>'
                 a   points at t (may be negative: reserved ahead of the refill)
                 t   ms since epoch (Redis time)
                 m   bucket size (maximumAvailable)
                 r   restore rate, points per second
      ARGV[1]  cost, points
      ARGV[2]  size assumed without an estimate (the Standard plan's 1000)
      ARGV[3]  restore rate assumed without an estimate (100: the slowest)
      ARGV[4]  lifetime of the hash, ms (refreshed on every reservation)
      ARGV[5]  the longest wait the caller can afford, ms (what is left of its budget); a longer wait reserves
               nothing: a caller that gives up must not leave its points reserved, or every later caller waits
               for points nobody spends and a run that gives up makes the next wait longer still
      ARGV[6]  background floor, a fraction of the bucket's size ('0': a foreground caller). A background
               caller (catch-up and nightly reads) spends only while the estimate, once its query is settled,
               stays at or above floor × size (never above size − cost, so a costly query still goes from a full
               bucket), and otherwise reserves nothing: debt it ran up would make the foreground caller after it
               (Publish, Adjust) wait for the refill it took. Without an estimate it reserves as a foreground
               caller does: nobody has called the shop for the hash's lifetime, so no foreground caller waits on
               it, and a background caller that only waited would never start the estimate's clock
      ARGV[7]  background only: the floor while the query runs, a fraction of the size (never above
               size − cost); the estimate less the requested cost must stay at or above it
      ARGV[8]  background only: what the query is expected to cost once settled (at most ARGV[1]; Shopify
               refunds the rest of the requested cost when the query ends); the estimate less it must stay at or
               above the floor of ARGV[6]. pacing.ts reserveFromBucketInBackground is the same arithmetic
    Without an estimate the bucket is taken as empty (cautious); the first answer sets the real figures.

    Output: { code, value }
      { 0, waitMs }   reserved; send after waitMs (0: now)
      { -1, size }    the cost is above the bucket's size: never payable, nothing reserved
      { -2, 0 }       the bucket does not refill and is short, nothing reserved
      { -3, waitMs }  the wait is longer than ARGV[5], nothing reserved
      { -4, waitMs }  background only: spending now would take the estimate below the floor, nothing
                      reserved; the refill reaches it in waitMs (the caller asks again then, or gives up)
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'a', 't', 'm', 'r')
local m = tonumber(s[3]) or tonumber(ARGV[2])
local r = tonumber(s[4]) or tonumber(ARGV[3])
local a = 0
if s[1] and s[2] then
  local elapsed = now - tonumber(s[2])
  if elapsed < 0 then elapsed = 0 end
  a = tonumber(s[1]) + r * elapsed / 1000
  if a > m then a = m end
end
if cost > m then return { -1, m } end
local after = a - cost
if after < 0 and not (r > 0) then return { -2, 0 } end
local fraction = tonumber(ARGV[6]) or 0
if fraction > 0 and s[1] and s[2] then
  local floor = m * fraction
  if floor > m - cost then floor = m - cost end
  local inFlight = m * (tonumber(ARGV[7]) or fraction)
  if inFlight > m - cost then inFlight = m - cost end
  local settled = tonumber(ARGV[8]) or cost
  if settled > cost then settled = cost end
  if settled < 0 then settled = 0 end
  local short = inFlight - after
  local settledShort = floor - (a - settled)
  if settledShort > short then short = settledShort end
  if short > 0 then
    if not (r > 0) then return { -2, 0 } end
    local until_ = math.ceil(short / r * 1000)
    if until_ < 1 then until_ = 1 end
    return { -4, until_ }
  end
end
local wait = 0
if after < 0 then wait = math.ceil(-after / r * 1000) end
local maxWait = tonumber(ARGV[5])
if maxWait and wait > maxWait then return { -3, wait } end
redis.call('HSET', KEYS[1], 'a', string.format('%.6f', after), 't', now, 'm', m, 'r', r)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
-- The caller adds pacing.ts's one-millisecond float margin.
return { 0, wait }
