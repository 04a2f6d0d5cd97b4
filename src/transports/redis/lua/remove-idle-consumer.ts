/** remove-idle-consumer.lua: delete a consumer only if it is idle and holds nothing. */
export const removeIdleConsumerLua = `
--[[ remove-idle-consumer: XGROUP DELCONSUMER ARGV[2] if it has no pending entries and has been idle
  longer than ARGV[3] ms. Checked and deleted in one step, so a consumer that just received entries
  is never deleted with them (DELCONSUMER drops the consumer's pending entries).
  KEYS[1]  stream
  ARGV[1]  group
  ARGV[2]  consumer
  ARGV[3]  idle threshold, ms
  Returns  1 removed, 0 kept (busy, recently active, or already gone)
]]
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] end
    if c[i] == 'pending' then pending = c[i + 1] end
    if c[i] == 'idle' then idle = c[i + 1] end
  end
  if name == ARGV[2] then
    if pending == 0 and idle > tonumber(ARGV[3]) then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
    return 0
  end
end
return 0
`;
