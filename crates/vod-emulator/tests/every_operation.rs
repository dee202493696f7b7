//! The emulator answers every operation of the spec over real HTTP: each one,
//! called with its required parameters through the SDK's pipeline (signed,
//! sent, decoded by the operation's shape), in JSON and in XML; parameters are
//! checked as the service checks them; an unknown action is refused.

use std::borrow::Cow;

use aliyun_runtime::operation::{Operation, Style, Ty};
use aliyun_runtime::WireParams;
use aliyun_vod::{Client, Config, Credentials, Error, Format};
use vod_emulator::{
    Emulator, EmulatorConfig, RunningEmulator, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET,
};

fn client(emulator: &RunningEmulator, format: Format) -> Client {
    Client::new(
        Config::new()
            .endpoint(emulator.base_url())
            .format(format)
            .credentials(Credentials::new(
                DEFAULT_ACCESS_KEY_ID,
                DEFAULT_ACCESS_KEY_SECRET,
            )),
    )
    .unwrap()
}

/// A placeholder wire value of a parameter's type.
fn value(ty: Ty, style: Style) -> String {
    if style == Style::Json {
        return match ty {
            Ty::List(_) => "[]".into(),
            Ty::Object(_) | Ty::OpenObject(_) | Ty::Any => "{}".into(),
            _ => "\"x\"".into(),
        };
    }
    let url = |rules: aliyun_runtime::operation::StringRules| rules.http_url;
    match ty {
        Ty::String(rules) if url(rules) => "http://127.0.0.1:9/a.mp4".into(),
        Ty::List(list) if matches!(list.item, Ty::String(rules) if url(rules)) => {
            "http://127.0.0.1:9/a.mp4".into()
        }
        Ty::Integer => "1".into(),
        Ty::Number => "1.5".into(),
        Ty::Boolean => "true".into(),
        _ => "x".into(),
    }
}

/// The required parameters of `op` and the first member of each group.
fn minimal(op: &Operation) -> WireParams {
    let mut params = WireParams::new();
    let mut put = |name: &'static str| {
        let Some(p) = op.param(name) else { return };
        let wire = match p.style {
            Style::RepeatList => Cow::Owned(format!("{name}.1")),
            _ => Cow::Borrowed(name),
        };
        if !params.iter().any(|(k, _)| *k == wire) {
            // Operations the emulator models check a few values as the service
            // does: those get a realistic one.
            let v = match name {
                "FileName" => "clip.mp4".to_owned(),
                _ => value(p.ty, p.style),
            };
            params.push((wire, v));
        }
    };
    for p in op.params.iter().filter(|p| p.required) {
        put(p.name);
    }
    for g in op.groups {
        if let Some(first) = g.members.first() {
            put(first);
        }
    }
    params
}

/// Operations answered from the emulator's records of uploaded videos.
const BY_RECORD: &[&str] = &["GetVideoInfo", "RefreshUploadVideo"];

#[tokio::test]
async fn every_operation_answers_in_json_and_xml_alike() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let (json, xml) = (
        client(&emulator, Format::Json),
        client(&emulator, Format::Xml),
    );
    assert!(aliyun_vod::OPERATIONS.len() >= 170);
    for op in aliyun_vod::OPERATIONS.iter().copied() {
        let a = json.runtime().invoke(op, minimal(op)).await;
        let b = xml.runtime().invoke(op, minimal(op)).await;
        let (a, b) = match (a, b) {
            (Ok(a), Ok(b)) => (a, b),
            // Modelled with state: a placeholder ID names no record, and
            // both formats say so alike.
            (Err(aliyun_vod::Error::Service(a)), Err(aliyun_vod::Error::Service(b)))
                if BY_RECORD.contains(&op.action) =>
            {
                assert_eq!((a.status, a.code.as_str()), (404, "InvalidVideo.NotFound"));
                assert_eq!((b.status, b.code.as_str()), (404, "InvalidVideo.NotFound"));
                continue;
            }
            (a, b) => panic!("{}: {:?} / {:?}", op.action, a.err(), b.err()),
        };
        assert_eq!((a.status(), b.status()), (200, 200), "{}", op.action);
        assert!(b.body().starts_with(b"<?xml"), "{}", op.action);
        let (a, b) = (a.to_json().unwrap(), b.to_json().unwrap());
        assert!(a["RequestId"].is_string(), "{}: {a}", op.action);
        // The same answer in both formats, up to the values a call draws
        // (request IDs; job IDs of the operations modelled with state).
        assert_eq!(skeleton(&a), skeleton(&b), "{}", op.action);
    }
    emulator.shutdown().await;
}

/// `v` with every text replaced by its length class and every other scalar
/// kept: what stays equal between two answers that draw different IDs.
fn skeleton(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) if s.len() >= 32 => Value::String("<id>".into()),
        Value::Array(items) => Value::Array(items.iter().map(skeleton).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), skeleton(v))).collect())
        }
        other => other.clone(),
    }
}

fn service_error(result: Result<aliyun_runtime::Response, Error>) -> (String, String) {
    match result {
        Err(Error::Service(e)) => (e.code.clone(), e.message.clone()),
        other => panic!("not a service error: {other:?}"),
    }
}

#[tokio::test]
async fn parameters_are_checked_as_the_service_checks_them() {
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client(&emulator, Format::Json);
    let runtime = client.runtime();

    // A required parameter left out.
    let op = &aliyun_vod::get_video_info::OPERATION;
    let (code, message) = service_error(runtime.invoke(op, WireParams::new()).await);
    assert_eq!(code, "MissingParameter");
    assert!(message.contains("\"VideoId\""), "{message}");

    // A number that is not one.
    let op = &aliyun_vod::get_video_list::OPERATION;
    let params = vec![(Cow::Borrowed("PageNo"), "first".to_owned())];
    let (code, message) = service_error(runtime.invoke(op, params).await);
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("\"PageNo\""), "{message}");

    // JSON that does not parse, in a JSON-style parameter.
    let op = aliyun_vod::OPERATIONS
        .iter()
        .copied()
        .find(|op| {
            op.params
                .iter()
                .any(|p| p.style == Style::Json && !p.required)
        })
        .expect("an operation with an optional JSON-style parameter");
    let json_param = op
        .params
        .iter()
        .find(|p| p.style == Style::Json && !p.required)
        .unwrap();
    let mut params = minimal(op);
    params.retain(|(k, _)| k != json_param.name);
    params.push((Cow::Borrowed(json_param.name), "{not json".to_owned()));
    let (code, message) = service_error(runtime.invoke(op, params).await);
    assert_eq!(code, "InvalidParameter", "{}", op.action);
    assert!(message.contains(json_param.name), "{message}");

    // A list of integers with an item that is not one, in an operation the
    // emulator models with state: the table's checks come first.
    let op = &aliyun_vod::create_upload_attached_media::OPERATION;
    let params = vec![
        (Cow::Borrowed("BusinessType"), "watermark".to_owned()),
        (Cow::Borrowed("MediaExt"), "png".to_owned()),
        (Cow::Borrowed("CateIds"), "12,twelve".to_owned()),
    ];
    let (code, message) = service_error(runtime.invoke(op, params).await);
    assert_eq!(code, "InvalidParameter");
    assert!(message.contains("\"CateIds\""), "{message}");

    emulator.shutdown().await;
}

#[tokio::test]
async fn an_unknown_action_is_not_found() {
    use aliyun_runtime::shape::Shape;
    static NOT_AN_OPERATION: Operation = Operation {
        action: "GetNothingAtAll",
        methods: &[aliyun_runtime::HttpMethod::Post],
        retry_safe: true,
        anonymous: false,
        qps_limit: None,
        params: &[],
        groups: &[],
        output: &Shape::Object(&[]),
        pages: None,
        regions: &[],
    };
    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let client = client(&emulator, Format::Json);
    let (code, _) = service_error(
        client
            .runtime()
            .invoke(&NOT_AN_OPERATION, WireParams::new())
            .await,
    );
    assert_eq!(code, "InvalidAction.NotFound");
    emulator.shutdown().await;
}
