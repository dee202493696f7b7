//! JSON response decoding: `decode_output` of every VOD operation's output.
#![no_main]

mod common;

use aliyun_runtime::Format;
use aliyun_vod::cancel_url_upload_jobs::CancelUrlUploadJobsOutput;
use aliyun_vod::get_url_upload_infos::GetUrlUploadInfosOutput;
use aliyun_vod::upload_media_by_url::UploadMediaByUrlOutput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::check_output::<GetUrlUploadInfosOutput>(&aliyun_vod::get_url_upload_infos::OPERATION, Format::Json, data);
    common::check_output::<UploadMediaByUrlOutput>(&aliyun_vod::upload_media_by_url::OPERATION, Format::Json, data);
    common::check_output::<CancelUrlUploadJobsOutput>(&aliyun_vod::cancel_url_upload_jobs::OPERATION, Format::Json, data);
});
