//! Parameters typed beyond text. Those whose values the API reference lists
//! are open enums: the known values are variants, any other value is still
//! sent as given (the service may know values this SDK does not), and strings
//! still work wherever a value is set. Lists of numbers joined with commas
//! are lists of numbers.

use aliyun_vod::create_upload_attached_media::CreateUploadAttachedMediaInput;
use aliyun_vod::describe_vod_domain_traffic_data::{
    DescribeVodDomainTrafficDataInput, DomainDataInterval,
};
use aliyun_vod::get_play_info::{GetPlayInfoInput, PlayDefinition, PlayFormat, UrlOutputType};
use aliyun_vod::runtime::params::{encode, encode_input};

fn wire<I: serde::Serialize>(
    op: &'static aliyun_vod::runtime::Operation,
    input: &I,
) -> Vec<(String, String)> {
    encode_input(op, input)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v))
        .collect()
}

fn get<'a>(wire: &'a [(String, String)], name: &str) -> Option<&'a str> {
    wire.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn known_and_unknown_values_go_on_the_wire_as_spelled() {
    let input = GetPlayInfoInput {
        video_id: Some("v1".into()),
        formats: Some(vec![
            PlayFormat::Mp4,
            PlayFormat::from("m3u8"),
            "dash-next".into(),
        ]),
        definition: Some(vec![PlayDefinition::TwoK, PlayDefinition::Fd]),
        output_type: Some(UrlOutputType::Cdn),
        ..Default::default()
    };
    let wire = wire(&aliyun_vod::get_play_info::OPERATION, &input);
    assert_eq!(get(&wire, "Formats"), Some("mp4,m3u8,dash-next"));
    assert_eq!(get(&wire, "Definition"), Some("2K,FD"));
    assert_eq!(get(&wire, "OutputType"), Some("cdn"));
    // A value this SDK does not know is kept, not refused.
    assert_eq!(
        input.formats.as_ref().unwrap()[2],
        PlayFormat::Unknown("dash-next".into())
    );
}

#[test]
fn values_that_are_not_identifiers_get_readable_variants() {
    assert_eq!(
        DomainDataInterval::from("300"),
        DomainDataInterval::FiveMinutes
    );
    assert_eq!(DomainDataInterval::Day.as_str(), "86400");
    assert_eq!(PlayDefinition::from("4K"), PlayDefinition::FourK);
    let input = DescribeVodDomainTrafficDataInput {
        start_time: Some("2026-12-01T00:00:00Z".into()),
        end_time: Some("2026-12-02T00:00:00Z".into()),
        interval: Some(DomainDataInterval::Hour),
        ..Default::default()
    };
    let wire = wire(
        &aliyun_vod::describe_vod_domain_traffic_data::OPERATION,
        &input,
    );
    assert_eq!(get(&wire, "Interval"), Some("3600"));
}

#[test]
fn the_json_form_reads_enum_values_as_strings() {
    let input: GetPlayInfoInput = serde_json::from_str(
        r#"{"VideoId": "v1", "Formats": ["mp4", "webm"], "OutputType": "oss"}"#,
    )
    .unwrap();
    assert_eq!(
        input.formats,
        Some(vec![PlayFormat::Mp4, PlayFormat::Unknown("webm".into())])
    );
    assert_eq!(input.output_type, Some(UrlOutputType::Oss));
    // Values are still text: a number is the wrong type.
    let err = serde_json::from_str::<GetPlayInfoInput>(r#"{"OutputType": 1}"#).unwrap_err();
    assert!(err.to_string().contains("expected a string"), "{err}");
}

#[test]
fn a_comma_list_of_category_ids_is_a_list_of_integers() {
    let input = CreateUploadAttachedMediaInput {
        business_type: Some("watermark".into()),
        media_ext: Some("png".into()),
        cate_ids: Some(vec![12, 3_000_000_001]),
        ..Default::default()
    };
    let op = &aliyun_vod::create_upload_attached_media::OPERATION;
    assert_eq!(get(&wire(op, &input), "CateIds"), Some("12,3000000001"));
    let read: CreateUploadAttachedMediaInput =
        serde_json::from_str(r#"{"BusinessType": "watermark", "CateIds": [12]}"#).unwrap();
    assert_eq!(read.cate_ids, Some(vec![12]));
    // Untyped input (the CLI's flags are text): each item must be a whole number.
    let text = serde_json::json!({"BusinessType": "watermark", "CateIds": ["12", "x"]});
    let err = encode(op, text.as_object().unwrap()).unwrap_err();
    assert_eq!(err.param, "CateIds");
    assert!(err.to_string().contains("integer"), "{err}");
}

/// DeleteImage's image URLs go as CreateUploadImage returned them (the docs
/// ask for no encoding, unlike UploadMediaByURL's), so each must be a whole
/// http(s) URL without a comma.
#[test]
fn image_urls_are_sent_as_given_and_must_be_urls() {
    let op = &aliyun_vod::delete_image::OPERATION;
    let input = |urls: &[&str]| {
        serde_json::json!({"DeleteImageType": "ImageURL", "ImageURLs": urls})
            .as_object()
            .unwrap()
            .clone()
    };
    let a = "https://img.example.com/image/default/A.png?auth_key=1-0-0-x";
    let b = "https://img.example.com/image/default/B.png";
    let wire = encode(op, &input(&[a, b])).unwrap();
    let sent = wire.iter().find(|(k, _)| k == "ImageURLs").unwrap();
    assert_eq!(sent.1, format!("{a},{b}"));
    for (bad, rule) in [
        ("img.example.com/A.png", "URL"),
        ("https://img.example.com/A,B.png", ","),
    ] {
        let err = encode(op, &input(&[bad])).unwrap_err();
        assert_eq!(err.param, "ImageURLs", "{bad}");
        assert!(err.to_string().contains(rule), "{bad}: {err}");
    }
}

/// JSON parameters the docs describe are typed open objects: documented keys
/// with their rules and wire forms (numbers the docs write as strings go as
/// strings), required keys checked before sending, other keys sent as given.
#[test]
fn documented_json_parameters_are_typed() {
    use aliyun_vod::get_play_info::PlayConfig;
    let input = GetPlayInfoInput {
        video_id: Some("v".into()),
        play_config: Some(PlayConfig {
            play_domain: Some("play.example.com".into()),
            preview_time: Some(20),
            other_keys: serde_json::json!({"NewKey": 1})
                .as_object()
                .unwrap()
                .clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let wire = wire(&aliyun_vod::get_play_info::OPERATION, &input);
    let sent: serde_json::Value = serde_json::from_str(get(&wire, "PlayConfig").unwrap()).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"NewKey": 1, "PlayDomain": "play.example.com", "PreviewTime": "20"})
    );

    let register = &aliyun_vod::register_media::OPERATION;
    let file = |i: usize| serde_json::json!({"FileURL": format!("https://b.oss.example.com/{i}.mp4"), "Title": "t"});
    let input = |files: Vec<serde_json::Value>| {
        serde_json::json!({"RegisterMetadatas": files})
            .as_object()
            .unwrap()
            .clone()
    };
    assert!(encode(register, &input((0..10).map(file).collect())).is_ok());
    let err = encode(register, &input((0..11).map(file).collect())).unwrap_err();
    assert_eq!(err.param, "RegisterMetadatas");
    let err = encode(
        register,
        &input(vec![serde_json::json!({"FileURL": "https://b/x.mp4"})]),
    )
    .unwrap_err();
    assert_eq!(err.param, "RegisterMetadatas[0].Title");

    let transcode = &aliyun_vod::submit_transcode_jobs::OPERATION;
    let input = serde_json::json!({
        "VideoId": "v", "TemplateGroupId": "g",
        "EncryptConfig": {"DecryptKeyUri": "https://keys.example.com", "KeyServiceType": "KMS"}
    });
    let err = encode(transcode, input.as_object().unwrap()).unwrap_err();
    assert_eq!(err.param, "EncryptConfig.CipherText");
}

/// A JSON parameter whose two documented shapes (chosen by another
/// parameter) share no key is one open type with every key optional; the
/// keys of each shape keep their wire forms and rules.
#[test]
fn two_documented_shapes_share_one_open_type() {
    let op = &aliyun_vod::add_watermark::OPERATION;
    let send = |config: serde_json::Value| {
        let input = serde_json::json!({"Name": "w", "Type": "Image", "WatermarkConfig": config});
        encode(op, input.as_object().unwrap())
    };
    let wire = send(serde_json::json!({
        "Dx": "8", "Dy": "0.1", "Width": "55", "Height": "55", "ReferPos": "TopRight",
        "Timeline": {"Start": "2", "Duration": "ToEND"}
    }))
    .unwrap();
    let config = &wire.iter().find(|(k, _)| k == "WatermarkConfig").unwrap().1;
    assert!(config.contains(r#""Dy":"0.1""#), "{config}");
    // Text keys: numbers are numbers.
    let wire = send(serde_json::json!({"Content": "hi", "FontSize": "20"})).unwrap();
    let config = &wire.iter().find(|(k, _)| k == "WatermarkConfig").unwrap().1;
    assert!(config.contains(r#""FontSize":20"#), "{config}");
    let err = send(serde_json::json!({"Content": "hi", "FontSize": "big"})).unwrap_err();
    assert_eq!(err.param, "WatermarkConfig.FontSize");

    // A required key deep inside a typed part of OverrideParams.
    let op = &aliyun_vod::submit_transcode_jobs::OPERATION;
    let input = serde_json::json!({
        "VideoId": "v", "TemplateGroupId": "g",
        "OverrideParams": {"Watermarks": [{"Content": "new"}], "TranscodeTemplateList": [{"TranscodeTemplateId": "t", "Video": {"Bitrate": 600}}]}
    });
    let err = encode(op, input.as_object().unwrap()).unwrap_err();
    assert_eq!(err.param, "OverrideParams.Watermarks[0].WatermarkId");
}
