"""S3 clients no one here wrote, pointed at the gateway with their own documented settings.

Usage: clients.py CLIENT ENDPOINT ACCESS_KEY SECRET_KEY SCRATCH_DIR BUCKET...

Each client puts, gets (whole and ranged), lists, uploads in several parts, copies and deletes
in every bucket given, and compares every byte it reads back. It prints one `ok CLIENT BUCKET`
line per bucket and exits non-zero at the first difference. The Rust test that runs it counts
what reached each region of the emulator behind the gateway.
"""

import json
import os
import socket
import subprocess
import sys


def resolve_test_domains():
    """Names under the domains of GATEWAY_RESOLVE (comma-separated) resolve to 127.0.0.1, as
    a DNS wildcard record `*.DOMAIN` would: this machine has no DNS for test domains. Only name
    resolution changes; TLS still checks the name the client asked for."""
    names = [n for n in os.environ.get("GATEWAY_RESOLVE", "").split(",") if n]
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and any(host == n or host.endswith("." + n) for n in names):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


if sys.argv[1:2] == ["--aws"]:
    # The aws CLI itself, in this process so that it resolves the test domains.
    resolve_test_domains()
    from awscli.clidriver import main

    sys.argv = ["aws"] + sys.argv[2:]
    sys.exit(main())

CLIENT, ENDPOINT, ACCESS, SECRET, SCRATCH = sys.argv[1:6]
BUCKETS = sys.argv[6:]
HOST = ENDPOINT.split("://", 1)[1]
SMALL = b"hello from the gateway\n" * 100
# Two parts of 5 MiB and a tail: every client's multipart threshold is below this.
LARGE = bytes(range(256)) * (45 * 1024)


def check(condition, what):
    if not condition:
        sys.exit(f"{CLIENT}: {what}")


def clean_env(**extra):
    """The client's environment: none of this machine's AWS_* settings (a CA bundle, a
    profile), only what the client is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(extra)
    return env


def run(args, env=None, input=None):
    done = subprocess.run(args, env=env, input=input, capture_output=True)
    check(done.returncode == 0, f"{args}: {done.stderr.decode(errors='replace')}")
    return done.stdout


def write_file(name, body):
    path = os.path.join(SCRATCH, name)
    with open(path, "wb") as f:
        f.write(body)
    return path


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def boto3_client():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def with_boto3():
    s3 = boto3_client()
    for bucket in BUCKETS:
        s3.put_object(Bucket=bucket, Key="b3/small.txt", Body=SMALL)
        got = s3.get_object(Bucket=bucket, Key="b3/small.txt")["Body"].read()
        check(got == SMALL, f"{bucket}: whole GET differs")
        ranged = s3.get_object(Bucket=bucket, Key="b3/small.txt", Range="bytes=6-20")["Body"].read()
        check(ranged == SMALL[6:21], f"{bucket}: ranged GET differs")
        upload = s3.create_multipart_upload(Bucket=bucket, Key="b3/large.bin")["UploadId"]
        parts = []
        for number, start in enumerate(range(0, len(LARGE), 5 * 1024 * 1024), 1):
            body = LARGE[start : start + 5 * 1024 * 1024]
            etag = s3.upload_part(
                Bucket=bucket, Key="b3/large.bin", UploadId=upload, PartNumber=number, Body=body
            )["ETag"]
            parts.append({"PartNumber": number, "ETag": etag})
        check(len(parts) >= 2, "multipart in one part")
        s3.complete_multipart_upload(
            Bucket=bucket, Key="b3/large.bin", UploadId=upload, MultipartUpload={"Parts": parts}
        )
        got = s3.get_object(Bucket=bucket, Key="b3/large.bin")["Body"].read()
        check(got == LARGE, f"{bucket}: multipart object differs")
        s3.copy_object(Bucket=bucket, Key="b3/copy.txt", CopySource={"Bucket": bucket, "Key": "b3/small.txt"})
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="b3/")
        keys = sorted(o["Key"] for o in listed.get("Contents", []))
        check(keys == ["b3/copy.txt", "b3/large.bin", "b3/small.txt"], f"{bucket}: listed {keys}")
        head = s3.head_object(Bucket=bucket, Key="b3/copy.txt")
        check(head["ContentLength"] == len(SMALL), f"{bucket}: copy is {head['ContentLength']} bytes")
        check("ContentEncoding" not in head, f"{bucket}: stored Content-Encoding {head.get('ContentEncoding')}")
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
        check(s3.list_objects_v2(Bucket=bucket, Prefix="b3/").get("KeyCount") == 0, f"{bucket}: not deleted")
        print("ok boto3", bucket, flush=True)


def with_aws_cli():
    config = write_file(
        "aws-config",
        b"[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n  addressing_style = path\n",
    )
    env = clean_env(
        AWS_ACCESS_KEY_ID=ACCESS,
        AWS_SECRET_ACCESS_KEY=SECRET,
        AWS_CONFIG_FILE=config,
        AWS_SHARED_CREDENTIALS_FILE=os.path.join(SCRATCH, "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    aws = ["aws", "--endpoint-url", ENDPOINT]
    large = write_file("cli-large.bin", LARGE)
    tree = os.path.join(SCRATCH, "cli-tree")
    os.makedirs(tree, exist_ok=True)
    for name in ["a.txt", "b.txt"]:
        write_file(os.path.join("cli-tree", name), SMALL + name.encode())
    for bucket in BUCKETS:
        run(aws + ["s3", "cp", large, f"s3://{bucket}/cli/large.bin"], env)
        out = os.path.join(SCRATCH, f"cli-{bucket}.bin")
        run(aws + ["s3", "cp", f"s3://{bucket}/cli/large.bin", out], env)
        check(read_file(out) == LARGE, f"{bucket}: aws s3 cp round trip differs")
        run(aws + ["s3", "sync", tree, f"s3://{bucket}/cli/tree/"], env)
        listed = run(aws + ["s3", "ls", f"s3://{bucket}/cli/", "--recursive"], env).decode()
        for key in ["cli/large.bin", "cli/tree/a.txt", "cli/tree/b.txt"]:
            check(key in listed, f"{bucket}: {key} not listed: {listed}")
        ranged = os.path.join(SCRATCH, f"cli-range-{bucket}")
        run(aws + ["s3api", "get-object", "--bucket", bucket, "--key", "cli/tree/a.txt", "--range", "bytes=0-4", ranged], env)
        check(read_file(ranged) == SMALL[:5], f"{bucket}: ranged get-object differs")
        run(aws + ["s3api", "copy-object", "--bucket", bucket, "--key", "cli/copy.txt", "--copy-source", f"{bucket}/cli/tree/b.txt"], env)
        head = json.loads(run(aws + ["s3api", "head-object", "--bucket", bucket, "--key", "cli/copy.txt"], env))
        check(head["ContentLength"] == len(SMALL) + 5, f"{bucket}: copy head {head}")
        run(aws + ["s3", "rm", f"s3://{bucket}/cli/", "--recursive"], env)
        left = json.loads(run(aws + ["s3api", "list-objects-v2", "--bucket", bucket, "--prefix", "cli/"], env) or b"{}")
        check(not left.get("Contents"), f"{bucket}: left {left}")
        print("ok aws-cli", bucket, flush=True)


def with_s3fs():
    import s3fs

    fs = s3fs.S3FileSystem(
        key=ACCESS,
        secret=SECRET,
        endpoint_url=ENDPOINT,
        client_kwargs={"region_name": "us-east-1"},
        config_kwargs={"s3": {"addressing_style": "path"}},
    )
    large = write_file("s3fs-large.bin", LARGE)
    for bucket in BUCKETS:
        with fs.open(f"{bucket}/s3fs/small.txt", "wb") as f:
            f.write(SMALL)
        with fs.open(f"{bucket}/s3fs/small.txt", "rb") as f:
            check(f.read() == SMALL, f"{bucket}: read differs")
            f.seek(10)
            check(f.read(7) == SMALL[10:17], f"{bucket}: ranged read differs")
        fs.put(large, f"{bucket}/s3fs/large.bin")
        check(fs.cat(f"{bucket}/s3fs/large.bin") == LARGE, f"{bucket}: put round trip differs")
        fs.copy(f"{bucket}/s3fs/small.txt", f"{bucket}/s3fs/copy.txt")
        listed = sorted(fs.ls(f"{bucket}/s3fs/", refresh=True))
        want = [f"{bucket}/s3fs/{k}" for k in ["copy.txt", "large.bin", "small.txt"]]
        check(listed == want, f"{bucket}: ls {listed}")
        fs.rm(f"{bucket}/s3fs/", recursive=True)
        check(not fs.ls(f"{bucket}/", refresh=True), f"{bucket}: not removed")
        print("ok s3fs", bucket, flush=True)


def with_pyarrow():
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import fs as pafs

    fs = pafs.S3FileSystem(
        access_key=ACCESS,
        secret_key=SECRET,
        endpoint_override=HOST,
        scheme="http",
        region="us-east-1",
    )
    table = pa.table({"n": list(range(200_000)), "s": [f"row {i}" for i in range(200_000)]})
    for bucket in BUCKETS:
        pq.write_table(table, f"{bucket}/arrow/t.parquet", filesystem=fs)
        back = pq.read_table(f"{bucket}/arrow/t.parquet", filesystem=fs)
        check(back.equals(table), f"{bucket}: parquet round trip differs")
        with fs.open_output_stream(f"{bucket}/arrow/large.bin") as out:
            out.write(LARGE)
        with fs.open_input_file(f"{bucket}/arrow/large.bin") as f:
            check(f.read_at(100, 5_000_000) == LARGE[5_000_000:5_000_100], f"{bucket}: read_at differs")
            check(f.size() == len(LARGE), f"{bucket}: size {f.size()}")
        fs.copy_file(f"{bucket}/arrow/t.parquet", f"{bucket}/arrow/copy.parquet")
        infos = fs.get_file_info(pafs.FileSelector(f"{bucket}/arrow/", recursive=True))
        names = sorted(i.path for i in infos if i.type == pafs.FileType.File)
        want = [f"{bucket}/arrow/{k}" for k in ["copy.parquet", "large.bin", "t.parquet"]]
        check(names == want, f"{bucket}: listed {names}")
        for name in want:
            fs.delete_file(name)
        print("ok pyarrow", bucket, flush=True)


def with_polars():
    import polars as pl

    options = {
        "aws_endpoint_url": ENDPOINT,
        "aws_access_key_id": ACCESS,
        "aws_secret_access_key": SECRET,
        "aws_region": "us-east-1",
        "aws_allow_http": "true",
    }
    frame = pl.DataFrame({"n": list(range(300_000)), "s": [f"row {i}" for i in range(300_000)]})
    for bucket in BUCKETS:
        frame.write_parquet(f"s3://{bucket}/polars/f.parquet", storage_options=options)
        back = pl.read_parquet(f"s3://{bucket}/polars/f.parquet", storage_options=options)
        check(back.equals(frame), f"{bucket}: polars round trip differs")
        lazy = pl.scan_parquet(f"s3://{bucket}/polars/*.parquet", storage_options=options)
        check(lazy.select(pl.len()).collect().item() == 300_000, f"{bucket}: scan count differs")
        print("ok polars", bucket, flush=True)


def with_duckdb():
    import duckdb
    from duckdb_extensions import import_extension

    con = duckdb.connect()
    import_extension("httpfs", con=con)
    con.sql("LOAD httpfs")
    con.sql(
        f"""CREATE SECRET gateway (TYPE s3, KEY_ID '{ACCESS}', SECRET '{SECRET}',
            ENDPOINT '{HOST}', URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')"""
    )
    for bucket in BUCKETS:
        for part in range(2):
            con.sql(
                f"COPY (SELECT range AS n, 'row ' || range AS s FROM range({part * 1000}, {part * 1000 + 1000})) "
                f"TO 's3://{bucket}/duck/t{part}.parquet' (FORMAT parquet)"
            )
        count = con.sql(f"SELECT count(*) FROM read_parquet('s3://{bucket}/duck/*.parquet')").fetchone()[0]
        check(count == 2000, f"{bucket}: counted {count}")
        total = con.sql(f"SELECT sum(n) FROM read_parquet('s3://{bucket}/duck/t1.parquet')").fetchone()[0]
        check(total == sum(range(1000, 2000)), f"{bucket}: sum {total}")
        print("ok duckdb", bucket, flush=True)


def with_rclone():
    config = write_file(
        "rclone.conf",
        (
            "[gw]\ntype = s3\nprovider = Other\n"
            f"access_key_id = {ACCESS}\nsecret_access_key = {SECRET}\n"
            f"endpoint = {ENDPOINT}\nforce_path_style = true\nregion = us-east-1\n"
        ).encode(),
    )
    env = clean_env(RCLONE_CONFIG=config)
    tree = os.path.join(SCRATCH, "rclone-tree")
    os.makedirs(tree, exist_ok=True)
    write_file(os.path.join("rclone-tree", "small.txt"), SMALL)
    write_file(os.path.join("rclone-tree", "large.bin"), LARGE)
    rclone = ["rclone", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", "--retries", "1"]
    for bucket in BUCKETS:
        run(rclone + ["copy", tree, f"gw:{bucket}/rc/"], env)
        listed = run(rclone + ["lsl", f"gw:{bucket}/rc/"], env).decode()
        check("small.txt" in listed and "large.bin" in listed, f"{bucket}: lsl {listed}")
        back = os.path.join(SCRATCH, f"rclone-back-{bucket}")
        run(rclone + ["copy", f"gw:{bucket}/rc/", back], env)
        check(read_file(os.path.join(back, "large.bin")) == LARGE, f"{bucket}: large differs")
        check(read_file(os.path.join(back, "small.txt")) == SMALL, f"{bucket}: small differs")
        ranged = run(rclone + ["cat", "--offset", "10", "--count", "7", f"gw:{bucket}/rc/small.txt"], env)
        check(ranged == SMALL[10:17], f"{bucket}: ranged cat differs")
        run(rclone + ["copyto", f"gw:{bucket}/rc/small.txt", f"gw:{bucket}/rc/copy.txt"], env)
        run(rclone + ["delete", f"gw:{bucket}/rc/"], env)
        check(run(rclone + ["lsf", f"gw:{bucket}/rc/"], env).strip() == b"", f"{bucket}: not deleted")
        print("ok rclone", bucket, flush=True)


def with_s3cmd():
    config = write_file(
        "s3cmd.cfg",
        (
            "[default]\n"
            f"access_key = {ACCESS}\nsecret_key = {SECRET}\n"
            f"host_base = {HOST}\nhost_bucket = {HOST}\n"
            "use_https = False\nsignature_v2 = False\nbucket_location = us-east-1\n"
            "multipart_chunk_size_mb = 5\n"
        ).encode(),
    )
    env = clean_env()
    s3cmd = ["s3cmd", "-c", config]
    small = write_file("s3cmd-small.txt", SMALL)
    large = write_file("s3cmd-large.bin", LARGE)
    for bucket in BUCKETS:
        run(s3cmd + ["put", small, f"s3://{bucket}/sc/small.txt"], env)
        run(s3cmd + ["put", large, f"s3://{bucket}/sc/large.bin"], env)
        back = os.path.join(SCRATCH, f"s3cmd-back-{bucket}")
        run(s3cmd + ["get", "--force", f"s3://{bucket}/sc/large.bin", back], env)
        check(read_file(back) == LARGE, f"{bucket}: large differs")
        run(s3cmd + ["cp", f"s3://{bucket}/sc/small.txt", f"s3://{bucket}/sc/copy.txt"], env)
        listed = run(s3cmd + ["ls", f"s3://{bucket}/sc/"], env).decode()
        for key in ["small.txt", "large.bin", "copy.txt"]:
            check(key in listed, f"{bucket}: ls {listed}")
        run(s3cmd + ["del", "--recursive", "--force", f"s3://{bucket}/sc/"], env)
        check(run(s3cmd + ["ls", f"s3://{bucket}/sc/"], env).strip() == b"", f"{bucket}: not deleted")
        print("ok s3cmd", bucket, flush=True)


def with_boto3_tls_checksums():
    """boto3 over HTTPS sends its CRC32 as an aws-chunked trailer: a right one stores the
    object, a wrong one (rewritten on the way out) is BadDigest and stores nothing."""
    import re

    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    s3 = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
        verify=os.environ["GATEWAY_CA"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    seen = {"trailers": 0}

    def corrupt(request, **_):
        body = request.body
        data = body.read() if hasattr(body, "read") else bytes(body)
        data, n = re.subn(rb"x-amz-checksum-crc32:[A-Za-z0-9+/=]+", b"x-amz-checksum-crc32:AAAAAA==", data)
        seen["trailers"] += n
        request.body = data

    body = LARGE[: 3 * 1024 * 1024]
    for bucket in BUCKETS:
        s3.put_object(Bucket=bucket, Key="tls/good.bin", Body=body)
        got = s3.get_object(Bucket=bucket, Key="tls/good.bin")["Body"].read()
        check(got == body, f"{bucket}: TLS round trip differs")
        s3.meta.events.register("before-send.s3.PutObject", corrupt)
        try:
            s3.put_object(Bucket=bucket, Key="tls/bad.bin", Body=body)
            check(False, f"{bucket}: a wrong trailer was accepted")
        except ClientError as err:
            code = err.response["Error"]["Code"]
            check(code == "BadDigest", f"{bucket}: {code}: {err}")
        finally:
            s3.meta.events.unregister("before-send.s3.PutObject", corrupt)
        try:
            s3.head_object(Bucket=bucket, Key="tls/bad.bin")
            check(False, f"{bucket}: the object with a wrong checksum exists")
        except ClientError as err:
            check(err.response["Error"]["Code"] in ("404", "NoSuchKey"), f"{bucket}: {err}")
        s3.delete_object(Bucket=bucket, Key="tls/good.bin")
        print("ok boto3-tls", bucket, flush=True)
    check(seen["trailers"] == len(BUCKETS), f"boto3 sent {seen['trailers']} checksum trailers")


DOMAIN = os.environ.get("GATEWAY_DOMAIN", "")


def with_boto3_vhost():
    """boto3 with virtual-hosted addressing over TLS: `bucket.DOMAIN` names the bucket; a CA
    that did not sign the gateway's certificate fails; a Host under another domain is read
    path-style (the bucket is the path's first segment, never the Host's)."""
    resolve_test_domains()
    import boto3
    import botocore.exceptions
    from botocore.config import Config

    def client(endpoint, verify):
        return boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=ACCESS,
            aws_secret_access_key=SECRET,
            region_name="us-east-1",
            verify=verify,
            config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
        )

    s3 = client(ENDPOINT, os.environ["GATEWAY_CA"])
    hosts = set()
    s3.meta.events.register("before-send.s3", lambda request, **_: hosts.add(request.url.split("/")[2]))
    port = ENDPOINT.rsplit(":", 1)[1]
    for bucket in BUCKETS:
        s3.put_object(Bucket=bucket, Key="vhost/small.txt", Body=SMALL)
        got = s3.get_object(Bucket=bucket, Key="vhost/small.txt")["Body"].read()
        check(got == SMALL, f"{bucket}: virtual-hosted round trip differs")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix="vhost/")
        check([o["Key"] for o in listed.get("Contents", [])] == ["vhost/small.txt"], f"{bucket}: {listed}")
        s3.upload_fileobj(
            __import__("io").BytesIO(LARGE),
            bucket,
            "vhost/large.bin",
            Config=__import__("boto3.s3.transfer").s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024),
        )
        got = s3.get_object(Bucket=bucket, Key="vhost/large.bin")["Body"].read()
        check(got == LARGE, f"{bucket}: virtual-hosted multipart round trip differs")
        check(f"{bucket}.{DOMAIN}:{port}" in hosts, f"{bucket}: not virtual-hosted: {hosts}")

        wrong_ca = client(ENDPOINT, os.environ["GATEWAY_OTHER_CA"])
        try:
            wrong_ca.head_object(Bucket=bucket, Key="vhost/small.txt")
            check(False, f"{bucket}: a CA that did not sign the certificate was accepted")
        except botocore.exceptions.SSLError:
            pass

        # Another domain: the Host `bucket.other.test` is not read; the path `/vhost/small.txt`
        # is, as bucket `vhost` (outside the key's globs), and the object is not reached.
        import urllib3

        urllib3.disable_warnings()
        other = client(f"https://other.test:{port}", False)
        try:
            other.get_object(Bucket=bucket, Key="vhost/small.txt")
            check(False, f"{bucket}: a Host under another domain was read as a bucket")
        except botocore.exceptions.ClientError as err:
            code = err.response["Error"]["Code"]
            check(code in ("AccessDenied", "403"), f"{bucket}: {code}: {err}")

        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "vhost/small.txt"}, {"Key": "vhost/large.bin"}]})
        print("ok boto3-vhost", bucket, flush=True)


def with_aws_cli_vhost():
    """The aws CLI with `addressing_style = virtual` and AWS_CA_BUNDLE, as a user sets it up."""
    config = write_file(
        "aws-config",
        b"[default]\nregion = us-east-1\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n  addressing_style = virtual\n",
    )

    def env_with(ca):
        return clean_env(
            AWS_ACCESS_KEY_ID=ACCESS,
            AWS_SECRET_ACCESS_KEY=SECRET,
            AWS_CONFIG_FILE=config,
            AWS_SHARED_CREDENTIALS_FILE=os.path.join(SCRATCH, "no-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            AWS_CA_BUNDLE=ca,
        )

    env = env_with(os.environ["GATEWAY_CA"])
    aws = [sys.executable, __file__, "--aws", "--endpoint-url", ENDPOINT]
    port = ENDPOINT.rsplit(":", 1)[1]
    large = write_file("cli-vhost-large.bin", LARGE)
    for bucket in BUCKETS:
        done = subprocess.run(aws + ["s3", "cp", large, f"s3://{bucket}/vhost/large.bin", "--debug"], env=env, capture_output=True)
        check(done.returncode == 0, f"{bucket}: {done.stderr.decode(errors='replace')[-2000:]}")
        debug = done.stderr.decode(errors="replace")
        check(f"https://{bucket}.{DOMAIN}:{port}/vhost/large.bin" in debug, f"{bucket}: not virtual-hosted")
        out = os.path.join(SCRATCH, f"cli-vhost-{bucket}.bin")
        run(aws + ["s3", "cp", f"s3://{bucket}/vhost/large.bin", out], env)
        check(read_file(out) == LARGE, f"{bucket}: aws s3 cp round trip differs")
        listed = run(aws + ["s3", "ls", f"s3://{bucket}/vhost/"], env).decode()
        check("large.bin" in listed, f"{bucket}: not listed: {listed}")
        wrong = subprocess.run(aws + ["s3", "ls", f"s3://{bucket}/vhost/"], env=env_with(os.environ["GATEWAY_OTHER_CA"]), capture_output=True)
        err = wrong.stderr.decode(errors="replace")
        check(wrong.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in err, f"{bucket}: a wrong CA bundle: {wrong.returncode} {err}")
        run(aws + ["s3", "rm", f"s3://{bucket}/vhost/large.bin"], env)
        print("ok aws-cli-vhost", bucket, flush=True)


CLIENTS = {
    "boto3-vhost": with_boto3_vhost,
    "aws-cli-vhost": with_aws_cli_vhost,
    "boto3-tls": with_boto3_tls_checksums,
    "boto3": with_boto3,
    "aws-cli": with_aws_cli,
    "s3fs": with_s3fs,
    "pyarrow": with_pyarrow,
    "polars": with_polars,
    "duckdb": with_duckdb,
    "rclone": with_rclone,
    "s3cmd": with_s3cmd,
}

if __name__ == "__main__":
    CLIENTS[CLIENT]()
