-- wrk script: the validated task start of start_task.lua, stopping after STARTS answers
-- (an environment variable), so a run leaves a known number of tasks behind.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = "bench-token"
wrk.body = '{"task_type": "auto-label", "collect_key_sample": true, "config": {"algorithm_type": "fast"}}'

local limit = tonumber(os.getenv("STARTS") or "100000")
local answered = 0

response = function(status, headers, body)
   answered = answered + 1
   if answered >= limit then
      wrk.thread:stop()
   end
end
