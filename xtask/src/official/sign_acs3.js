'use strict';
// ACS3-HMAC-SHA256 signatures per second of the official Node signer
// (@alicloud/openapi-util Client.getAuthorization, the one @alicloud/openapi-client
// calls for V3), on the request `sign/acs3` signs.
//
// Written by `cargo xtask bench-compare` into the official SDKs' node folder and run
// there. Usage: node sign_acs3.js REQUEST.json [runs] [iters]; REQUEST.json holds the
// request and the Authorization header our signer gives for it, which the official
// one must reproduce before it is timed.
const fs = require('fs');
const { performance } = require('perf_hooks');
const OpenApiUtil = require('@alicloud/openapi-util').default;

const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const runs = parseInt(process.argv[3] || '7', 10);
const iters = parseInt(process.argv[4] || '20000', 10);
const request = {
  method: spec.method,
  pathname: spec.pathname,
  query: Object.assign({}, spec.query),
  headers: Object.assign({}, spec.headers),
};
const sign = () => OpenApiUtil.getAuthorization(request, 'ACS3-HMAC-SHA256', spec.payload,
  spec.access_key_id, spec.secret);

const got = sign();
if (got !== spec.expected) {
  process.stderr.write(`official signer disagrees:\n  ${got}\n  ${spec.expected}\n`);
  process.exit(1);
}
for (let i = 0; i < Math.min(2000, iters); i++) sign();
const rates = [];
for (let r = 0; r < runs; r++) {
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) sign();
  rates.push(iters / ((performance.now() - t0) / 1000));
}
const sorted = [...rates].sort((a, b) => a - b);
const n = sorted.length;
const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
const name = '@alicloud/openapi-util Client.getAuthorization (ACS3, used by @alicloud/openapi-client V3)';
process.stdout.write(JSON.stringify({ lang: 'node', node: process.version,
  results: { [name]: { median_ops_per_s: median, runs: rates.map(Math.round) } } }, null, 2) + '\n');
