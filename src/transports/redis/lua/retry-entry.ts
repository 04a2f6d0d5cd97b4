/** retry-entry.lua: hand an entry back for another attempt, now or later, and ack it, in one step. */
export const retryEntryLua = `
--[[ retry-entry: move one pending entry of this consumer to the group's retry stream (delay 0) or
  to the delayed set (delay > 0), and XACK it in its stream. Atomic, so a crash never loses the
  entry nor leaves it both pending and queued for retry.
  KEYS[1]  stream the entry was read from (topic stream or the group's retry stream)
  KEYS[2]  the group's retry stream
  KEYS[3]  the group's delayed sorted set
  ARGV[1]  group
  ARGV[2]  consumer that holds the entry
  ARGV[3]  entry id
  ARGV[4]  delay in ms (0: straight to the retry stream); due time is taken from the server clock
  ARGV[5]  unique token (keeps delayed members distinct)
  ARGV[6]  "1" to XDEL the entry after acking (it was read from the retry stream, owned by one group)
  ARGV[7..] field, value, field, value ... of the entry to enqueue (attempt already updated)
  Returns  1 done
          -1 NOT_OWNER: the entry is no longer pending for this consumer (acked, or reclaimed by another)
]]
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return -1 end
local delay = tonumber(ARGV[4])
if delay > 0 then
  local t = redis.call('TIME')
  local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + delay
  local packed = { ARGV[5] }
  for i = 7, #ARGV do packed[#packed + 1] = ARGV[i] end
  redis.call('ZADD', KEYS[3], due, cmsgpack.pack(packed))
else
  redis.call('XADD', KEYS[2], '*', unpack(ARGV, 7))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
if ARGV[6] == '1' then redis.call('XDEL', KEYS[1], ARGV[3]) end
return 1
`;
