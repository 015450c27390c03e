-- wrk script: validated task start with the documented auto-labeling example.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = "bench-token"
wrk.body = '{"task_type": "auto-label", "collect_key_sample": true, "config": {"algorithm_type": "fast"}}'
