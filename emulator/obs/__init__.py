"""OBS, the S3-compatible object storage, on moto: the storage adapter and the S3 listener."""

# An S3 answer as the listener's parts pass it on: status, headers, body.
Answer = tuple[int, dict[str, str], bytes]
