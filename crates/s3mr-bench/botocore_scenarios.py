"""botocore's S3 region redirector against s3mr-emulator, for s3mr-bench.

Usage: botocore_scenarios.py first | concurrent N
Environment: S3MR_ENDPOINT (the us-east-1 listener), S3MR_BUCKET, S3MR_KEY, S3MR_ACCESS_KEY,
S3MR_SECRET_KEY. Prints one JSON line: {"ok": n, "errors": n, "error": "first error or null"}.

botocore takes one endpoint_url per client. When S3 says the bucket is elsewhere it re-signs for
the new region but, with a custom endpoint, keeps the same host: it cannot map regions to
endpoints. So it can follow only answers that the same host then serves (the global endpoint's
400 AuthorizationHeaderMalformed); a regional 301 or 307 sends it back to the same wrong host.
"""

import json
import os
import sys
import threading

import boto3
from botocore.config import Config

client = boto3.client(
    "s3",
    region_name="us-east-1",
    endpoint_url=os.environ["S3MR_ENDPOINT"],
    aws_access_key_id=os.environ["S3MR_ACCESS_KEY"],
    aws_secret_access_key=os.environ["S3MR_SECRET_KEY"],
    config=Config(
        s3={"addressing_style": "path"},
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=200,
    ),
)
bucket, key = os.environ["S3MR_BUCKET"], os.environ["S3MR_KEY"]
results = {"ok": 0, "errors": 0, "error": None}
lock = threading.Lock()


def one(barrier=None):
    if barrier is not None:
        barrier.wait()
    try:
        client.get_object(Bucket=bucket, Key=key)["Body"].read()
        with lock:
            results["ok"] += 1
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        with lock:
            results["errors"] += 1
            results["error"] = results["error"] or f"{type(e).__name__}: {e}"


if sys.argv[1] == "first":
    one()
else:
    n = int(sys.argv[2])
    barrier = threading.Barrier(n)
    threads = [threading.Thread(target=one, args=(barrier,)) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(json.dumps(results))
