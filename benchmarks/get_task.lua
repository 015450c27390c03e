-- wrk script: GET task (the path is given on the command line).
wrk.method = "GET"
wrk.headers["X-Auth-Token"] = "bench-token"
