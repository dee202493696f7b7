//! Generated inputs read the JSON form users keep in files (and the CLI's
//! `--input-json` takes): an object keyed by the API's parameter names, lists
//! as arrays, JSON-style parameters as their structure.

use aliyun_vod::get_url_upload_infos::GetUrlUploadInfosInput;
use aliyun_vod::upload_media_by_url::UploadMediaByUrlInput;

#[test]
fn an_input_reads_its_json_form_and_validates_as_built() {
    let input: UploadMediaByUrlInput = serde_json::from_str(
        r#"{"UploadURLs": ["https://example.com/a.mp4"],
            "UploadMetadatas": [{"SourceURL": "https://example.com/a.mp4", "FileSize": 12, "Title": "A"}],
            "UserData": {"Extend": {"k": 1}, "MessageCallback": {"CallbackURL": "https://cb.example.com/e", "Headers": {"x": "1"}}, "Vod": {"later": true}}}"#,
    )
    .unwrap();
    assert_eq!(
        input.upload_urls.as_deref(),
        Some(&["https://example.com/a.mp4".to_owned()][..])
    );
    let meta = &input.upload_metadatas.as_ref().unwrap()[0];
    assert_eq!(
        (meta.file_size, meta.title.as_deref()),
        (Some(12), Some("A"))
    );
    input.validate().unwrap();
    // On the wire the spec's encodeAs writes the number as a string.
    let wire = aliyun_vod::runtime::params::encode_input(
        &aliyun_vod::upload_media_by_url::OPERATION,
        &input,
    )
    .unwrap();
    let metas = &wire.iter().find(|(k, _)| k == "UploadMetadatas").unwrap().1;
    assert!(metas.contains(r#""FileSize":"12""#), "{metas}");
    // UserData is typed where the docs say (MessageCallback, Extend); keys
    // they do not list, at any level, are kept and sent as given.
    let user_data = input.user_data.as_ref().unwrap();
    let callback = user_data.message_callback.as_ref().unwrap();
    assert_eq!(
        callback.callback_url.as_deref(),
        Some("https://cb.example.com/e")
    );
    assert_eq!(
        callback.other_keys["Headers"],
        serde_json::json!({"x": "1"})
    );
    assert_eq!(
        user_data.other_keys["Vod"],
        serde_json::json!({"later": true})
    );
    let sent = &wire.iter().find(|(k, _)| k == "UserData").unwrap().1;
    let sent: serde_json::Value = serde_json::from_str(sent).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"Extend": {"k": 1}, "MessageCallback": {"CallbackURL": "https://cb.example.com/e", "Headers": {"x": "1"}}, "Vod": {"later": true}})
    );
    // What was read serialises back to the same wire names.
    let again: UploadMediaByUrlInput =
        serde_json::from_value(serde_json::to_value(&input).unwrap()).unwrap();
    assert_eq!(again, input);
}

#[test]
fn an_unknown_name_or_a_wrong_type_is_an_error_naming_it() {
    let err = serde_json::from_str::<GetUrlUploadInfosInput>(r#"{"JobID": ["a"]}"#).unwrap_err();
    assert!(err.to_string().contains("JobID"), "{err}");
    let err = serde_json::from_str::<GetUrlUploadInfosInput>(r#"{"JobIds": "a,b"}"#).unwrap_err();
    assert!(err.to_string().contains("sequence"), "{err}");
    // Values are typed by the spec: a number is a JSON number, also inside a
    // JSON-style parameter (the encoder writes it as text where the API wants).
    let err = serde_json::from_str::<UploadMediaByUrlInput>(
        r#"{"UploadMetadatas": [{"SourceURL": "https://example.com/a.mp4", "FileSize": "12"}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("expected i64"), "{err}");
    // Rules are checked by validate(), not by reading.
    let input: GetUrlUploadInfosInput = serde_json::from_str(r#"{}"#).unwrap();
    assert!(input.validate().is_err());
}
