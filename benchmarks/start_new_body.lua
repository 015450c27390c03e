-- wrk script: validated task start whose body no earlier request sent (validation keeps
-- its verdict on a body it has seen: this measures a start that cannot use one).
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"task_type": "auto-label", "collect_key_sample": true, '
    .. '"config": {"algorithm_type": "fast", "description": "start %09d"}}', counter)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["X-Auth-Token"] = "bench-token"}, body)
end
