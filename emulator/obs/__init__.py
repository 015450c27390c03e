"""OBS, the S3-compatible object storage, on moto: the storage adapter and the S3 listener."""
