//! `PreparedRequest::string_to_sign` is rebuilt on demand (it is not kept per
//! call): it must be exactly the string the request was signed over, for every
//! method and signature version, with and without an STS token.

use std::sync::Arc;

use std::borrow::Cow;

use aliyun_runtime::{
    Client, Config, Credentials, HttpMethod, Operation, Product, SignatureVersion, WireParams,
};
use aliyun_sign::{acs3, rpc};

static PRODUCT: Product = Product {
    code: "vod",
    version: "2017-03-21",
    endpoints: &[("cn-shanghai", "vod.cn-shanghai.aliyuncs.com")],
    default_region: "cn-shanghai",
};

static META: Operation = Operation {
    action: "GetURLUploadInfos",
    methods: &[HttpMethod::Post, HttpMethod::Get],
    retry_safe: true,
    anonymous: false,
    qps_limit: None,
    params: &[],
    groups: &[],
    output: &aliyun_runtime::shape::Shape::Object(&[]),
    pages: None,
    regions: &[],
};

const SECRET: &str = "prepared-test-secret";

fn credentials(sts: bool) -> Credentials {
    let c = Credentials::new("LTAI5tPreparedTest", SECRET);
    if sts {
        c.with_security_token("CAIS+token/with=reserved&chars")
    } else {
        c
    }
}

fn params() -> WireParams {
    vec![
        (
            Cow::Borrowed("UploadURLs"),
            "https%3A%2F%2Fe.com%2Fa%20b%2Cc.mp4,https%3A%2F%2Fe.com%2F%E8%A7%86".to_owned(),
        ),
        (Cow::Borrowed("JobIds"), "a,b ~*".to_owned()),
    ]
}

fn prepare(
    version: SignatureVersion,
    method: HttpMethod,
    sts: bool,
) -> (aliyun_runtime::PreparedRequest, Credentials) {
    let creds = credentials(sts);
    let clock: aliyun_runtime::Clock =
        Arc::new(|| time::macros::datetime!(2024-05-06 07:08:09 UTC));
    let client = Client::new(
        &PRODUCT,
        Config::new()
            .endpoint("http://127.0.0.1:9")
            .credentials(creds.clone())
            .signature_version(version)
            .method(method)
            .clock(clock),
    )
    .unwrap();
    (client.prepare(&META, &params(), &creds), creds)
}

#[test]
fn rpc_string_to_sign_is_what_was_signed() {
    for method in [HttpMethod::Get, HttpMethod::Post] {
        for sts in [false, true] {
            let (prepared, creds) = prepare(SignatureVersion::V1, method, sts);
            let wire = match method {
                HttpMethod::Get => prepared.url.split_once('?').unwrap().1.to_owned(),
                HttpMethod::Post => prepared.body.clone().unwrap(),
            };
            let (canonical, signature) = wire.rsplit_once("&Signature=").unwrap();
            let m = method;
            let sts_text = prepared.string_to_sign();
            assert_eq!(sts_text, rpc::string_to_sign(m, canonical));
            assert_eq!(
                aliyun_sign::percent_encode(&rpc::signature(SECRET, &sts_text)),
                signature
            );
            // Stable across calls, and carrying the token when there is one.
            assert_eq!(prepared.string_to_sign(), sts_text);
            assert_eq!(sts_text.contains("SecurityToken"), sts, "{sts_text}");
            if sts {
                assert!(!aliyun_sign::redact(&sts_text, &creds).contains("CAIS"));
            }
        }
    }
}

#[test]
fn acs3_string_to_sign_is_what_was_signed() {
    for method in [HttpMethod::Get, HttpMethod::Post] {
        for sts in [false, true] {
            let (prepared, _) = prepare(SignatureVersion::V3, method, sts);
            let sts_text = prepared.string_to_sign();
            assert!(sts_text.starts_with("ACS3-HMAC-SHA256\n"), "{sts_text}");
            let auth = prepared
                .headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.as_str())
                .unwrap();
            let signature = auth.rsplit_once("Signature=").unwrap().1;
            assert_eq!(acs3::signature(SECRET, &sts_text), signature);
        }
    }
}

#[test]
fn clones_keep_the_string_to_sign() {
    let (prepared, _) = prepare(SignatureVersion::V1, HttpMethod::Post, true);
    let copy = prepared.clone();
    assert_eq!(copy.string_to_sign(), prepared.string_to_sign());
    assert_eq!(copy.body, prepared.body);
}

mod regions {
    use aliyun_runtime::shape::Shape;
    use aliyun_runtime::{Client, Config, Credentials, Error, HttpMethod, Operation, Product};

    static PRODUCT: Product = Product {
        code: "vod",
        version: "2017-03-21",
        endpoints: &[
            ("cn-shanghai", "vod.cn-shanghai.aliyuncs.com"),
            ("ap-southeast-1", "vod.ap-southeast-1.aliyuncs.com"),
        ],
        default_region: "cn-shanghai",
    };

    static SHANGHAI_ONLY: Operation = Operation {
        action: "DescribeVodDomainLog",
        methods: &[HttpMethod::Post],
        retry_safe: true,
        anonymous: false,
        qps_limit: None,
        params: &[],
        groups: &[],
        output: &Shape::Object(&[]),
        pages: None,
        regions: &["cn-shanghai"],
    };

    fn client(config: Config) -> Client {
        Client::new(
            &PRODUCT,
            config.credentials(Credentials::new("id", "secret")),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn an_operation_outside_its_regions_is_refused_before_sending() {
        let singapore = client(Config::new().region("ap-southeast-1"));
        // Refused before credentials, the limiter or the network are touched.
        let err = singapore
            .invoke(&SHANGHAI_ONLY, Vec::new())
            .await
            .unwrap_err();
        let Error::Config(message) = &err else {
            panic!("not a configuration error: {err:?}")
        };
        assert!(
            message.contains("DescribeVodDomainLog is only available in cn-shanghai"),
            "{message}"
        );
        assert!(message.contains("ap-southeast-1"), "{message}");
        // Its own region, the default region, and an explicit endpoint pass.
        assert!(client(Config::new().region("cn-shanghai"))
            .check_region(&SHANGHAI_ONLY)
            .is_ok());
        assert!(client(Config::new()).check_region(&SHANGHAI_ONLY).is_ok());
        let local = client(
            Config::new()
                .region("ap-southeast-1")
                .endpoint("http://127.0.0.1:9"),
        );
        assert!(local.check_region(&SHANGHAI_ONLY).is_ok());
    }
}
