"""OBS, Huawei's S3-compatible object storage, emulated on moto: paths, storage, the S3 listener."""
