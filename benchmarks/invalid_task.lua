-- wrk script: a task start whose body breaks the contract (refused with 400 ModelArts.4204).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = "bench-token"
wrk.body = '{"task_type": 7, "config": []}'
