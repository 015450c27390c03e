"""The ceiling for this stack: an aiohttp server that only parses the JSON body and answers.

Run by benchmarks/run.py beside the emulator, with the same workload, so the emulator's
throughput can be stated as a fraction of what aiohttp itself manages on this machine.
"""

import json
import os
import sys

from aiohttp import web


async def start_task(request: web.Request) -> web.Response:
    json.loads(await request.read())
    return web.json_response({"task_id": os.urandom(10).hex()[:19]})


def main() -> None:
    app = web.Application()
    app.router.add_post("/v2/{project_id}/datasets/{dataset_id}/tasks", start_task)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
