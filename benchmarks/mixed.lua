-- wrk script: a mix of task starts (auto grouping saved to samples, so finished tasks
-- write nothing to OBS), GET task, list tasks and invalid bodies.
-- Arguments: the tasks path and a task id (wrk ... -- /v2/.../tasks TASK_ID).
local tasks, task_id
local counter = 0
function init(args)
  tasks, task_id = args[1], args[2]
end
request = function()
  counter = counter + 1
  local headers = {["Content-Type"] = "application/json", ["X-Auth-Token"] = "bench"}
  local kind = counter % 4
  if kind == 0 then
    return wrk.format("POST", tasks, headers,
      '{"task_type": "auto-grouping", "config": {"n_clusters": 2, "result_type": 1}}')
  elseif kind == 1 then
    return wrk.format("GET", tasks .. "/" .. task_id, headers)
  elseif kind == 2 then
    return wrk.format("GET", tasks .. "?limit=10", headers)
  end
  return wrk.format("POST", tasks, headers, '{"task_type": 7, "config": []}')
end
