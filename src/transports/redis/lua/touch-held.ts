/** touch-held.lua: keep entries a live consumer still works on from looking idle, without counting a delivery. */
export const touchHeldLua = `
--[[ touch-held: reset the idle time of entries this consumer still holds (its handlers run, or they wait
  in its buffer), so that no reclaim (its own or another consumer's XAUTOCLAIM past claimIdleMs) takes
  them from a live consumer. XCLAIM ... JUSTID resets the idle time without incrementing the delivery
  counter. An entry no longer pending for this consumer (acked, or reclaimed by another one meanwhile)
  is left alone: never taken back.
  KEYS[1]  the stream the entries were read from (topic stream or the group's retry stream)
  ARGV[1]  group
  ARGV[2]  consumer that holds the entries
  ARGV[3..] entry ids
  Returns  the number of entries whose idle time was reset
]]
local n = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #p > 0 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
`;
