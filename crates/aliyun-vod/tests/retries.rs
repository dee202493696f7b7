//! Retry safety and rate limits are data in each operation's descriptor; how
//! the pipeline acts on them (retries, backoff, `x-acs-retry-after`, the QPS
//! limiter) is tested once, in `aliyun-runtime` (`tests/http.rs`,
//! `rate_limit.rs`). Here: that the spec gives the real operations the right
//! data. GetURLUploadInfos is safe to retry and limited to 100 calls/s;
//! CancelUrlUploadJobs is idempotent (cancelling twice cancels once) and
//! limited to 50/s; UploadMediaByURL is never resent once it may have reached
//! the service (a repeat could create duplicate uploads).

use aliyun_vod::{HttpMethod, Operation};

fn ops() -> [&'static Operation; 3] {
    [
        &aliyun_vod::get_url_upload_infos::OPERATION,
        &aliyun_vod::upload_media_by_url::OPERATION,
        &aliyun_vod::cancel_url_upload_jobs::OPERATION,
    ]
}

#[test]
fn reads_and_idempotent_writes_are_retried_creating_writes_never_resent() {
    let [get, upload, cancel] = ops();
    assert_eq!((get.retry_safe, get.qps_limit), (true, Some(100)));
    assert_eq!((cancel.retry_safe, cancel.qps_limit), (true, Some(50)));
    assert!(!upload.retry_safe);
}

#[test]
fn every_operation_accepts_post_and_get() {
    for op in ops() {
        assert_eq!(
            op.methods,
            [HttpMethod::Post, HttpMethod::Get],
            "{}",
            op.action
        );
    }
}
