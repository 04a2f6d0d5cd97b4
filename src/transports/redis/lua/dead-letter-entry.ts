/** dead-letter-entry.lua: move an entry to the group's dead-letter stream and ack it, in one step. */
export const deadLetterEntryLua = `
--[[ dead-letter-entry: XADD one pending entry of this consumer to the group's DLQ stream and XACK it
  in its stream. Atomic: a crash between the two steps cannot lose it or put it in the DLQ twice.
  KEYS[1]  stream the entry was read from (topic stream or the group's retry stream)
  KEYS[2]  the group's dead-letter stream
  ARGV[1]  group
  ARGV[2]  consumer that holds the entry
  ARGV[3]  entry id
  ARGV[4]  "1" to XDEL the entry after acking (read from the retry stream)
  ARGV[5]  DLQ MAXLEN (approximate); "0" keeps every dead letter
  ARGV[6..] field, value, ... of the dead letter (message fields plus reason fields)
  Returns  the dead letter's entry id
          -1 NOT_OWNER: the entry is no longer pending for this consumer
]]
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #p == 0 or p[1][2] ~= ARGV[2] then return -1 end
local id
if tonumber(ARGV[5]) > 0 then
  id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, 6))
else
  id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 6))
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] == '1' then redis.call('XDEL', KEYS[1], ARGV[3]) end
return id
`;
