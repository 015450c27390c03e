-- wrk script: OBS put of a 10 KB object, a new key for every request.
local counter = 0
local payload = string.rep("x", 10240)
request = function()
  counter = counter + 1
  return wrk.format("PUT", "/bench-bucket/objects/" .. counter .. ".bin",
                    {["Content-Type"] = "application/octet-stream",
                     ["Authorization"] = "AWS bench:c2lnbmF0dXJl"}, payload)
end
