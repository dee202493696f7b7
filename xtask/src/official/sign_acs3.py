"""ACS3-HMAC-SHA256 signatures per second of the official Python signer
(alibabacloud_openapi_util Client.get_authorization, the one
alibabacloud_tea_openapi calls for V3), on the request `sign/acs3` signs.

Written by `cargo xtask bench-compare` into the official SDKs' folder and run
with their virtualenv. Usage: python sign_acs3.py REQUEST.json [runs] [iters];
REQUEST.json holds the request and the Authorization header our signer gives
for it, which the official one must reproduce before it is timed.
"""
import json
import statistics
import sys
import time
from types import SimpleNamespace

from alibabacloud_openapi_util.client import Client


def main():
    spec = json.load(open(sys.argv[1]))
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    iters = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    request = SimpleNamespace(
        method=spec["method"],
        pathname=spec["pathname"],
        query=dict(spec["query"]),
        headers=dict(spec["headers"]),
    )

    def sign():
        return Client.get_authorization(
            request, "ACS3-HMAC-SHA256", spec["payload"], spec["access_key_id"], spec["secret"]
        )

    got = sign()
    if got != spec["expected"]:
        sys.exit(f"official signer disagrees:\n  {got}\n  {spec['expected']}")
    for _ in range(min(2000, iters)):
        sign()
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            sign()
        rates.append(iters / (time.perf_counter() - t0))
    name = "alibabacloud_openapi_util Client.get_authorization (ACS3, used by vod20170321 V3)"
    print(json.dumps({
        "lang": "python",
        "python": sys.version.split()[0],
        "results": {name: {"median_ops_per_s": statistics.median(rates), "runs": [round(r) for r in rates]}},
    }, indent=2))


if __name__ == "__main__":
    main()
