#!/usr/bin/env python3
"""An S3-compatible server on 127.0.0.1 for Weir's tests, which checks every request's SigV4.

It is moto's server (PyPI `moto[server]`) started with INITIAL_NO_AUTH_ACTION_COUNT=3: the
three unauthenticated calls below create an IAM user, its policy and its access key; from then
on every request must be signed with that key (a wrong secret gets SignatureDoesNotMatch).

Prints one JSON line, {"endpoint", "access_key", "secret_key"}, then serves until stdin closes.
Meanwhile it takes commands on stdin, one JSON object per line, and answers each with one
JSON line; uploads go through boto3, independent of the Weir code under test:
  {"op": "bucket", "bucket": B}
  {"op": "put", "bucket": B, "key": K, "file": PATH}     (or "text": TEXT)
  {"op": "put_many", "bucket": B, "objects": {KEY: TEXT, ...}}
  {"op": "delete", "bucket": B, "key": K}
  {"op": "counts"}     requests served by kind (GET, HEAD, list) since the last "counts"
"""
import collections
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"  # read when moto is imported

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server  # noqa: E402

counts = collections.Counter()
lock = threading.Lock()
counting = threading.local()


def counted(app):
    def wrapped(environ, start_response):
        if not getattr(counting, "off", False) and "X-Weir-Fixture" not in environ.get("HTTP_USER_AGENT", ""):
            query = environ.get("QUERY_STRING", "")
            kind = "list" if "list-type" in query else environ["REQUEST_METHOD"]
            with lock:
                counts[kind] += 1
        return app(environ, start_response)

    return wrapped


class QuietHandler(MotoRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def main():
    server = make_server("127.0.0.1", 0, counted(DomainDispatcherApplication(create_backend_app)), True,
                         request_handler=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    fixture = Config(user_agent_extra="X-Weir-Fixture", s3={"addressing_style": "path"}, retries={"max_attempts": 5})
    boot = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bootstrap",
                aws_secret_access_key="bootstrap", config=fixture)
    iam = boto3.client("iam", **boot)
    iam.create_user(UserName="weir")
    iam.put_user_policy(UserName="weir", PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="weir")["AccessKey"]
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                      aws_secret_access_key=key["SecretAccessKey"], config=fixture)
    print(json.dumps({"endpoint": endpoint, "access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"]}),
          flush=True)

    for line in sys.stdin:
        if not line.strip():
            continue
        command = json.loads(line)
        op = command["op"]
        try:
            if op == "bucket":
                s3.create_bucket(Bucket=command["bucket"])
            elif op == "put":
                body = open(command["file"], "rb").read() if "file" in command else command["text"].encode()
                s3.put_object(Bucket=command["bucket"], Key=command["key"], Body=body)
            elif op == "put_many":
                with ThreadPoolExecutor(8) as pool:
                    list(pool.map(lambda item: s3.put_object(Bucket=command["bucket"], Key=item[0], Body=item[1].encode()),
                                  command["objects"].items()))
            elif op == "delete":
                s3.delete_object(Bucket=command["bucket"], Key=command["key"])
            elif op == "counts":
                with lock:
                    answer = dict(counts)
                    counts.clear()
                print(json.dumps(answer), flush=True)
                continue
            else:
                raise ValueError(f"unknown op {op}")
            print(json.dumps({"ok": True}), flush=True)
        except Exception as error:  # the test reads the reason
            print(json.dumps({"ok": False, "error": str(error)}), flush=True)
    server.shutdown()


if __name__ == "__main__":
    main()
