"""Uploads a file to the emulator with Alibaba's official SDKs, unchanged:
CreateUploadVideo through alibabacloud_vod20170321, then oss2 (signature V4,
path-style addressing) with the STS credentials from UploadAuth.

usage: oss2_upload.py API_URL FILE [resumable THREADS PART_SIZE]
Prints one JSON line: the VideoId, the seconds the OSS upload took (not the
interpreter's start nor CreateUploadVideo) and the bytes. `cargo xtask
bench-upload` runs it with the official packages it installs.
"""
import base64
import json
import os
import shutil
import sys
import tempfile
import time
from urllib.parse import urlparse

import oss2
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client

api, path = sys.argv[1], sys.argv[2]
mode = sys.argv[3] if len(sys.argv) > 3 else "put"
u = urlparse(api)
config = open_api_models.Config(
    access_key_id=os.environ.get("VOD_ACCESS_KEY_ID", "LTAI5tTestAccessKey0001"),
    access_key_secret=os.environ.get("VOD_ACCESS_KEY_SECRET", "TestAccessKeySecret0123456789ab"),
    endpoint=u.netloc,
    protocol="http",
    region_id="cn-shanghai",
)
client = Client(config)
answer = client.create_upload_video(
    vod_models.CreateUploadVideoRequest(title="oss2 check", file_name=os.path.basename(path))
).body
address = json.loads(base64.b64decode(answer.upload_address))
auth = json.loads(base64.b64decode(answer.upload_auth))

creds = oss2.StsAuth(auth["AccessKeyId"], auth["AccessKeySecret"], auth["SecurityToken"], auth_version="v4")
bucket = oss2.Bucket(
    creds,
    address["Endpoint"],
    address["Bucket"],
    region=auth.get("Region", "cn-shanghai"),
    is_path_style=True,
)
key = address["FileName"]
started = time.monotonic()
if mode == "resumable":
    threads, part_size = int(sys.argv[4]), int(sys.argv[5])
    # A fresh record store: an old one would make oss2 skip parts.
    store = tempfile.mkdtemp(prefix="oss2-store-")
    try:
        oss2.resumable_upload(
            bucket, key, path,
            store=oss2.ResumableStore(root=store),
            multipart_threshold=part_size, part_size=part_size, num_threads=threads,
        )
    finally:
        shutil.rmtree(store, ignore_errors=True)
else:
    with open(path, "rb") as f:
        bucket.put_object(key, f)
elapsed = time.monotonic() - started
print(json.dumps({"video_id": answer.video_id, "seconds": elapsed, "bytes": os.path.getsize(path)}))
