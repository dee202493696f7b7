"""Feeds conformance cases to Alibaba's official Python SDK (alibabacloud-vod20170321).

Written by `cargo xtask conformance` into the folder where the official packages
are installed, and run with their virtualenv. Reads one case per line on stdin:
{"action": "GetVideoInfo", "input": {wire name: value}, "body": {...}}. For each,
builds the official request model from the input (`from_map`, wire names), calls
the official client's `<action>_with_options`, and answers one line on stdout:
{"action", "query": the parameters the official client would sign and send,
"decoded": the official response model's `to_map()` of `body`} or {"action", "error"}.

Nothing is sent: the client's `call_api` is replaced by one that records the
request and answers `body`, so everything the official SDK does before the wire
(validation, JSON and repeat-list flattening, stringifying) and after it
(response models) runs as in production.
"""

import json
import sys

from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_vod20170321 import models as vod_models
from alibabacloud_vod20170321.client import Client
from darabonba.runtime import RuntimeOptions

CURRENT = {}


def fake_call_api(self, params, request, runtime):
    CURRENT["query"] = dict(request.query or {})
    body = request.body
    if isinstance(body, dict):
        CURRENT["query"].update(body)
    CURRENT["action"] = params.action
    return {"headers": {}, "statusCode": 200, "body": CURRENT["body"]}


Client.call_api = fake_call_api


def methods():
    """`getvideoinfo` -> `get_video_info_with_options` (the official names are
    snake case with their own word breaks, e.g. `get_urlupload_infos`)."""
    out = {}
    for name in dir(Client):
        # Some are spelled without the last underscore: `upload_media_by_urlwith_options`.
        if name.endswith("with_options") and not name.endswith("_async"):
            out[name[: -len("with_options")].replace("_", "").lower()] = name
    return out


def request_classes():
    """`getvideoinforequest` -> the model class (the official spelling of an
    action's case differs at times: `UploadMediaByUrlRequest`)."""
    return {
        name.lower(): getattr(vod_models, name)
        for name in dir(vod_models)
        if name.endswith("Request") and not name.endswith("ShrinkRequest")
    }


def is_model(x):
    return hasattr(x, "to_map") and hasattr(x, "from_map")


def official_form(request_class, inputs):
    """The input as a user of the official SDK writes it: a structured value
    the official model keeps as a plain dict or list (its field is a string)
    is given as JSON text, which is what that user has to pass."""
    out = dict(inputs)
    for key, value in inputs.items():
        if not isinstance(value, (dict, list)):
            continue
        probe = request_class().from_map({key: value})
        kept = [x for x in vars(probe).values() if x is not None]
        structured = any(
            is_model(x) or (isinstance(x, list) and x and all(is_model(i) for i in x))
            or (isinstance(x, list) and x and all(not isinstance(i, (dict, list)) for i in x))
            for x in kept
        )
        if not structured:
            out[key] = json.dumps(value, ensure_ascii=False)
    return out


def main():
    config = open_api_models.Config(
        access_key_id="conformance", access_key_secret="conformance",
        endpoint="vod.cn-shanghai.aliyuncs.com",
    )
    client = Client(config)
    by_key = methods()
    classes = request_classes()
    for line in sys.stdin:
        case = json.loads(line)
        action = case["action"]
        result = {"action": action}
        try:
            method = by_key.get(action.lower())
            request_class = classes.get(action.lower() + "request")
            if method is None or request_class is None:
                raise LookupError("the official SDK has no such operation")
            CURRENT.clear()
            CURRENT["body"] = case["body"]
            request = request_class().from_map(official_form(request_class, case["input"]))
            response = getattr(client, method)(request, RuntimeOptions())
            result["query"] = {k: v for k, v in CURRENT.get("query", {}).items()}
            result["decoded"] = response.body.to_map() if response.body is not None else None
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            result["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(result, ensure_ascii=False, default=str), flush=True)


if __name__ == "__main__":
    main()
