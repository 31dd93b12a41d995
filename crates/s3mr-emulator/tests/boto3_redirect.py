"""botocore's own S3 region redirector against s3mr-emulator.

Run by tests/boto3.rs. The emulator's us-east-1 listener plays S3's global endpoint: a bucket in
eu-west-1 read with a client signing for us-east-1 gets 400 AuthorizationHeaderMalformed with
<Region>eu-west-1</Region>; botocore re-signs for eu-west-1 and resends. With a custom
endpoint_url botocore keeps the same host (it cannot map regions to endpoints), which the global
endpoint serves. Prints one JSON line with what it saw.
"""

import json
import os
import sys

import boto3
from botocore.config import Config

endpoint = os.environ["S3MR_ENDPOINT"]
bucket = os.environ["S3MR_BUCKET"]
client = boto3.client(
    "s3",
    region_name="us-east-1",
    endpoint_url=endpoint,
    aws_access_key_id=os.environ["S3MR_ACCESS_KEY"],
    aws_secret_access_key=os.environ["S3MR_SECRET_KEY"],
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}),
)

events = []
client.meta.events.register(
    "needs-retry.s3.GetObject",
    lambda response, **kw: events.append(response[0].status_code if response and response[0] is not None else None),
)

body = client.get_object(Bucket=bucket, Key="hello.txt")["Body"].read().decode()
print(json.dumps({"body": body, "statuses": events}))
sys.exit(0 if body == "hello from eu-west-1" else 1)
