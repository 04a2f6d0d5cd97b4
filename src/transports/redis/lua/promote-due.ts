/** promote-due.lua: the delayed-retry mover. */
export const promoteDueLua = `
--[[ promote-due: move delayed retries whose due time has come into the group's retry stream.
  Each member is XADDed and ZREMed in the same script, so a crash never duplicates or drops one.
  KEYS[1]  the group's delayed sorted set (score = due time, ms, server clock)
  KEYS[2]  the group's retry stream
  ARGV[1]  most members to move in one call
  Returns  { moved, ms until the next due member or -1 when none is left }
]]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, member in ipairs(due) do
  local packed = cmsgpack.unpack(member)
  redis.call('XADD', KEYS[2], '*', unpack(packed, 2))
  redis.call('ZREM', KEYS[1], member)
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = -1
if #nxt > 0 then wait = math.max(0, tonumber(nxt[2]) - now) end
return { #due, wait }
`;
