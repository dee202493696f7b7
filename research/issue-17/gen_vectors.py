# Generates and verifies the known-answer vectors (python3, stdlib only).
import hashlib, json, datetime
md5 = lambda s: hashlib.md5(s.encode("utf-8")).hexdigest()
OUT = "/tmp/research/issue17/"
def utc8_ymdhm(t):
    return (datetime.datetime(1970,1,1) + datetime.timedelta(seconds=t+8*3600)).strftime("%Y%m%d%H%M")

# ---------- callback auth ----------
cb = []
url, ts, key = "https://www.example.com/your/callback", "1519375990", "test123"
s = f"{url}|{ts}|{key}"
full = "c72b60894140fa98920f1279219b7ed4"
cb.append({
  "name": "vod-doc-callback-auth-example",
  "source": "https://www.alibabacloud.com/help/doc-detail/67214.htm ; mirror: github AlibabaCloudDocs/vod intl.en-US/Developer Guide/Event notification/HTTP callback authentication.md (and cn.zh-CN/…/…/HTTP….md)",
  "inputs": {"callback_url": url, "x_vod_timestamp": ts, "private_key": key},
  "expected": {"string_to_sign": s, "x_vod_signature": full,
               "documented_value_as_printed": "c72b60894140fa98920f1279219b****",
               "full_value_source": "doc masks the last 4 hex chars; full value computed here and also asserted in public code (find_string hit: Java AliyunRequestValid.main, repo esportzoo, compares to c72b60894140fa98920f1279219b7ed4)"},
  "verified_by_python": md5(s) == full and full.startswith("c72b60894140fa98920f1279219b"),
})
json.dump(cb, open(OUT+"callback-auth.json","w"), indent=2, ensure_ascii=False)

# ---------- type A ----------
A = []
def a_vec(name, source, host, path, ts, rand, uid, key, exp_hash, exp_url, note=None):
    sstring = f"{path}-{ts}-{rand}-{uid}-{key}"
    h = md5(sstring)
    url = f"http://{host}{path}?auth_key={ts}-{rand}-{uid}-{h}"
    v = {"name": name, "source": source,
         "inputs": {"domain": host, "path": path, "timestamp": ts, "rand": rand, "uid": uid, "private_key": key},
         "expected": {"sstring": sstring, "md5hash": exp_hash, "auth_key": f"{ts}-{rand}-{uid}-{exp_hash}", "signed_url": exp_url},
         "verified_by_python": h == exp_hash and url == exp_url}
    if note: v["note"] = note
    A.append(v)
a_vec("cdn-typeA-doc-example-1K.html (older CDN + VOD docs)",
      "https://www.alibabacloud.com/help/doc-detail/85113.htm (CDN type A); VOD: github AlibabaCloudDocs/vod intl.en-US/Developer Guide/Video security/URL authentication.md; CDN mirror: github AlibabaCloudDocs/cdn intl.en-US/Domain Management/Access control/URL signing/Type A signing.md",
      "cdn.example.com", "/video/standard/1K.html", 1444435200, "0", "0", "aliyuncdnexp1234",
      "80cd3862d699b7118eed99103f2a3a4f",
      "http://cdn.example.com/video/standard/1K.html?auth_key=1444435200-0-0-80cd3862d699b7118eed99103f2a3a4f",
      "Prose says 2015-10-10 00:00:00 (UTC+8 in the EN CDN page) but 1444435200 is 2015-10-10 00:00:00 UTC = 08:00 UTC+8; zh CDN page prose says 1444406400 while its own sstring/URL use 1444435200. VOD page's example request URL host is garbled as 'http://192.168.0.0/16/video/standard/1K.html' while the final URL uses cdn.example.com. Hash/URL are self-consistent with 1444435200.")
a_vec("cdn-typeA-doc-example-test.mp4 (current CDN docs)",
      "https://help.aliyun.com/zh/cdn/user-guide/type-a-signing (example quoted by third-party copies; also asserted in several public test suites found via find_string)",
      "domain.example.com", "/video/standard/test.mp4", 1444435200, "0", "0", "aliyuncdnexp1234",
      "23bf85053008f5c0e791667a313e28ce",
      "http://domain.example.com/video/standard/test.mp4?auth_key=1444435200-0-0-23bf85053008f5c0e791667a313e28ce",
      "Current page states the signing time as 2015-10-10 08:00:00 UTC+8 = 1444435200, which is consistent.")
json.dump(A, open(OUT+"url-auth-a.json","w"), indent=2, ensure_ascii=False)

# ---------- type B ----------
B = []
key = "aliyuncdnexp1234"; path = "/4/44/44c0909bcfc20a01afaf256ca99a8b8b.mp3"; t = "201508150800"
sstring = key + t + path; h = md5(sstring); exp = "9044548ef1527deadafa49a890a377f0"
url = f"http://cdn.example.com/{t}/{h}{path}"
B.append({"name": "cdn-typeB-doc-example",
  "source": "https://www.alibabacloud.com/help/doc-detail/85114.htm (CDN type B); mirror github AlibabaCloudDocs/cdn intl.en-US/Domain Management/Access control/URL signing/Type B signing.md; VOD copy: https://www.alibabacloud.com/help/en/vod/user-guide/type-b-signing",
  "inputs": {"domain": "cdn.example.com", "path": path, "timestamp_yyyymmddhhmm_utc8": t, "equivalent_unix_seconds": 1439596800, "private_key": key},
  "expected": {"sstring": sstring, "md5hash": exp,
               "signed_url": "http://cdn.example.com/201508150800/9044548ef1527deadafa49a890a377f0/4/44/44c0909bcfc20a01afaf256ca99a8b8b.mp3"},
  "verified_by_python": h == exp and url.endswith("/201508150800/9044548ef1527deadafa49a890a377f0/4/44/44c0909bcfc20a01afaf256ca99a8b8b.mp3") and utc8_ymdhm(1439596800) == t,
  "note": "unix 1439596800 formatted in UTC+8 gives 201508150800 (checked). Public Go/TS test suites (find_string) use exactly now=1439596800 -> this URL."})
json.dump(B, open(OUT+"url-auth-b.json","w"), indent=2, ensure_ascii=False)

# ---------- type C ----------
C = []
path = "/test.flv"; hexts = "55CE8100"
s1 = key + path + hexts; h1 = md5(s1); exp = "a37fa50a5fb8f71214b1e7c95ec7a1bd"
C.append({"name": "cdn-typeC-doc-example (uppercase hex)",
  "source": "https://www.alibabacloud.com/help/doc-detail/85115.htm (CDN type C); mirror github AlibabaCloudDocs/cdn intl.en-US/Domain Management/Access control/URL signing/Type C signing.md; VOD copy: https://www.alibabacloud.com/help/en/vod/user-guide/type-c-signing",
  "inputs": {"domain": "cdn.example.com", "path": path, "timestamp_hex": hexts, "equivalent_unix_seconds": int(hexts,16), "private_key": key},
  "expected": {"sstring": s1, "md5hash": exp,
               "signed_url_format1_path": "http://cdn.example.com/a37fa50a5fb8f71214b1e7c95ec7a1bd/55CE8100/test.flv",
               "signed_url_format2_query": "http://cdn.example.com/test.flv?KEY1=a37fa50a5fb8f71214b1e7c95ec7a1bd&KEY2=55CE8100"},
  "verified_by_python": h1 == exp and int(hexts,16) == 1439596800,
  "note": "KEY1/KEY2 are the names printed in the doc; the doc does not say whether they are literal or placeholders for configurable names. The hex string is part of the hashed string, so its letter case matters."})
lo = hexts.lower(); s2 = key + path + lo; h2 = md5(s2)
C.append({"name": "derived-typeC-lowercase-hex (what the official Python demo c_auth would emit for exp=1439596800)",
  "source": "derived: algorithm from https://www.alibabacloud.com/help/en/alibaba-cloud-cdn/latest/url-signing-examples (c_auth uses '%x' => lowercase); not a documented vector",
  "inputs": {"domain": "cdn.example.com", "path": path, "timestamp_hex": lo, "equivalent_unix_seconds": 1439596800, "private_key": key},
  "expected": {"sstring": s2, "md5hash": h2,
               "signed_url_format1_path": f"http://cdn.example.com/{h2}/{lo}/test.flv"},
  "verified_by_python": True,
  "note": "Self-computed only (no external reference). Differs from the documented uppercase vector: an SDK must pick a case and be consistent; the CDN presumably hashes the literal string it receives."})
json.dump(C, open(OUT+"url-auth-c.json","w"), indent=2, ensure_ascii=False)
for n,v in [("callback",cb),("A",A),("B",B),("C",C)]:
    for x in v: print(n, x["name"], x["verified_by_python"])
print("C lower", h2)
