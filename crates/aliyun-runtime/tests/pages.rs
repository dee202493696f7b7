//! Pagination against a real HTTP server on 127.0.0.1 (see `support`) that
//! serves a list of 25 things by page number, and by token.

mod support;

use aliyun_runtime::operation::{Param, StringRules, Ty};
use aliyun_runtime::pages::{typed_items, typed_pages, Pages, Paginator};
use aliyun_runtime::shape::{Field, Shape};
use aliyun_runtime::{Client, Config, Error, HttpMethod, Operation, Product, Rule};
use futures::StreamExt as _;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use support::{Reply, Req, Server};

static PRODUCT: Product = Product {
    code: "vod",
    version: "2017-03-21",
    endpoints: &[("cn-shanghai", "vod.cn-shanghai.aliyuncs.com")],
    default_region: "cn-shanghai",
};

static PARAMS: [Param; 3] = [
    Param::new("PageNo", Ty::Integer),
    Param::new("PageSize", Ty::Integer),
    Param::new("Token", Ty::String(StringRules::ANY)),
];

static THING: Shape = Shape::Object(&[
    Field {
        name: "Id",
        shape: &Shape::Integer,
    },
    Field {
        name: "Name",
        shape: &Shape::String,
    },
]);

static OUTPUT: Shape = Shape::Object(&[
    Field {
        name: "RequestId",
        shape: &Shape::String,
    },
    Field {
        name: "Total",
        shape: &Shape::Integer,
    },
    Field {
        name: "Next",
        shape: &Shape::String,
    },
    Field {
        name: "ThingList",
        shape: &Shape::Object(&[Field {
            name: "Thing",
            shape: &Shape::List {
                item: &THING,
                xml_item: None,
            },
        }]),
    },
]);

const fn op(action: &'static str, pages: &'static Pages) -> Operation {
    Operation {
        action,
        methods: &[HttpMethod::Post],
        retry_safe: true,
        anonymous: false,
        qps_limit: None,
        params: &PARAMS,
        groups: &[],
        output: &OUTPUT,
        pages: Some(pages),
        regions: &[],
    }
}

static BY_NUMBER: Operation = op(
    "ListThings",
    &Pages {
        page: "PageNo",
        size: Some("PageSize"),
        items: &["ThingList", "Thing"],
        total: Some("Total"),
        token: None,
    },
);

/// A size but no total: a short page ends it.
static SIZE_ONLY: Operation = op(
    "ListThings",
    &Pages {
        page: "PageNo",
        size: Some("PageSize"),
        items: &["ThingList", "Thing"],
        total: None,
        token: None,
    },
);

/// No total and no size: only an empty page ends it.
static UNTIL_EMPTY: Operation = op(
    "ListThings",
    &Pages {
        page: "PageNo",
        size: None,
        items: &["ThingList", "Thing"],
        total: None,
        token: None,
    },
);

static BY_TOKEN: Operation = op(
    "ListThings",
    &Pages {
        page: "PageNo",
        size: None,
        items: &["ThingList", "Thing"],
        total: None,
        token: Some(("Token", "Next")),
    },
);

const THINGS: i64 = 25;

/// Page `PageNo` of 25 things (`PageSize`, default 10); with `Token`, the
/// page the token names and the next token, none after the last page.
fn serve(req: &Req) -> Reply {
    let size: i64 = req.param("PageSize").map_or(10, |s| s.parse().unwrap());
    let page: i64 = match req.param("Token") {
        Some(t) => t.trim_start_matches("t").parse().unwrap(),
        None => req.param("PageNo").unwrap().parse().unwrap(),
    };
    let ids: Vec<Value> = ((page - 1) * size..(page * size).min(THINGS))
        .map(|id| json!({"Id": id}))
        .collect();
    let mut body = json!({"RequestId": "r", "Total": THINGS, "ThingList": {"Thing": ids}});
    if page * size < THINGS {
        body["Next"] = json!(format!("t{}", page + 1));
    }
    Reply::formatted(req, 200, &body)
}

fn client(url: &str) -> Client {
    Client::new(
        &PRODUCT,
        Config::new()
            .endpoint(url)
            .credentials(support::credentials()),
    )
    .unwrap()
}

fn input(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

async fn all_pages(p: Paginator) -> Vec<Value> {
    p.into_stream().map(|p| p.unwrap()).collect().await
}

fn ids(page: &Value) -> Vec<i64> {
    aliyun_runtime::pages::items_at(page, &["ThingList", "Thing"])
        .map(|l| l.iter().map(|t| t["Id"].as_i64().unwrap()).collect())
        .unwrap_or_default()
}

fn sent_pages(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.param("PageNo").unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn pages_by_number_until_the_total_or_a_short_page() {
    let server = Server::start(serve).await;
    let client = client(&server.url);
    // The total ends it: 10 + 10 + 5.
    let p = Paginator::new(client.clone(), &BY_NUMBER, input(json!({"PageSize": 10}))).unwrap();
    let pages = all_pages(p).await;
    let got: Vec<usize> = pages.iter().map(|p| ids(p).len()).collect();
    assert_eq!(got, [10, 10, 5]);
    assert_eq!(sent_pages(&server), ["1", "2", "3"]);
    // Starting from the page set: the pages before it count toward the total
    // (page 2 of 10 reaches it with its 5 items on page 3).
    let server2 = Server::start(serve).await;
    let p = Paginator::new(
        crate::client(&server2.url),
        &BY_NUMBER,
        input(json!({"PageNo": 2, "PageSize": 10})),
    )
    .unwrap();
    let got: Vec<Vec<i64>> = all_pages(p).await.iter().map(ids).collect();
    assert_eq!(got, [(10..20).collect::<Vec<_>>(), (20..25).collect()]);
    assert_eq!(sent_pages(&server2), ["2", "3"]);
    // A size without a total: the short page ends it, nothing more is asked.
    let server3 = Server::start(serve).await;
    let p = Paginator::new(
        crate::client(&server3.url),
        &SIZE_ONLY,
        input(json!({"PageSize": 10})),
    )
    .unwrap();
    assert_eq!(all_pages(p).await.len(), 3);
    assert_eq!(sent_pages(&server3), ["1", "2", "3"]);
    // Numbers as text, as the CLI passes its flags.
    let server4 = Server::start(serve).await;
    let p = Paginator::new(
        crate::client(&server4.url),
        &SIZE_ONLY,
        input(json!({"PageNo": "2", "PageSize": "10"})),
    )
    .unwrap();
    assert_eq!(all_pages(p).await.len(), 2);
    assert_eq!(sent_pages(&server4), ["2", "3"]);
    // Without a total or a size, an empty page ends it.
    let p = Paginator::new(client, &UNTIL_EMPTY, input(json!({"PageSize": 20}))).unwrap();
    let got: Vec<usize> = all_pages(p).await.iter().map(|p| ids(p).len()).collect();
    assert_eq!(got, [20, 5, 0]);
}

#[tokio::test]
async fn a_token_is_handed_back_and_its_absence_ends_it() {
    let server = Server::start(serve).await;
    let p = Paginator::new(client(&server.url), &BY_TOKEN, Map::new()).unwrap();
    let pages = all_pages(p).await;
    assert_eq!(pages.len(), 3);
    let tokens: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.param("Token").unwrap_or("-").to_owned())
        .collect();
    assert_eq!(tokens, ["-", "t2", "t3"]);
}

#[derive(Debug, Deserialize, PartialEq)]
struct Thing {
    #[serde(rename = "Id")]
    id: i64,
}

#[derive(Debug, Deserialize)]
struct Out {
    #[serde(rename = "Total", default)]
    total: i64,
}

#[tokio::test]
async fn typed_pages_and_items() {
    let server = Server::start(serve).await;
    let client = client(&server.url);
    let pages: Vec<Out> = typed_pages(client.paginate(&BY_NUMBER, &json!({"PageSize": 7})))
        .map(|p| p.unwrap())
        .collect()
        .await;
    assert_eq!(pages.len(), 4);
    assert!(pages.iter().all(|p| p.total == THINGS));
    let items: Vec<Thing> = typed_items(client.paginate(&BY_NUMBER, &json!({"PageSize": 7})))
        .map(|t| t.unwrap())
        .collect()
        .await;
    assert_eq!(
        items,
        (0..THINGS).map(|id| Thing { id }).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn an_error_ends_the_stream_after_the_pages_before_it() {
    let server = Server::start(|req: &Req| match req.param("PageNo") {
        Some("2") => Reply::error(req, 400, "InvalidParameter", "no"),
        _ => serve(req),
    })
    .await;
    let client = client(&server.url);
    let got: Vec<Result<Thing, Error>> =
        typed_items(client.paginate(&UNTIL_EMPTY, &json!({"PageSize": 10})))
            .collect()
            .await;
    assert_eq!(got.len(), 11, "ten items, then the error");
    assert!(got[..10].iter().all(Result::is_ok));
    assert!(got[10].as_ref().unwrap_err().as_service().is_some());
}

/// A page that does not fit the output type, quoting the request's STS token
/// where a number belongs: the typed error says which page failed to decode
/// and never shows the token, for pages and for items alike.
#[tokio::test]
async fn a_typed_decode_error_never_shows_the_sts_token() {
    const TOKEN: &str = "sts-token-echoed-back-0001";
    let server = Server::start(|req: &Req| {
        let echoed = req.param("SecurityToken").unwrap_or("-").to_owned();
        let thing = json!({"Id": 1, "Name": echoed});
        let body =
            json!({"RequestId": "r", "Total": 1, "Next": echoed, "ThingList": {"Thing": [thing]}});
        Reply::formatted(req, 200, &body)
    })
    .await;
    let client = Client::new(
        &PRODUCT,
        Config::new()
            .endpoint(&server.url)
            .credentials(support::credentials().with_security_token(TOKEN)),
    )
    .unwrap();
    // Types that expect a number where the token comes back.
    #[derive(Debug, Deserialize)]
    struct StrictPage {
        #[serde(rename = "Next")]
        _next: u64,
    }
    #[derive(Debug, Deserialize)]
    struct StrictThing {
        #[serde(rename = "Name")]
        _name: u64,
    }
    let input = json!({"PageSize": 10});
    let page: Vec<Result<StrictPage, Error>> = typed_pages(client.paginate(&BY_NUMBER, &input))
        .collect()
        .await;
    let items: Vec<Result<StrictThing, Error>> = typed_items(client.paginate(&BY_NUMBER, &input))
        .collect()
        .await;
    assert_eq!(server.requests().len(), 2, "one page each");
    for err in [page[0].as_ref().map(|_| ()), items[0].as_ref().map(|_| ())] {
        let err = err.unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(matches!(err, Error::Decode(_)), "{shown}");
        assert!(!shown.contains(TOKEN), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}

#[tokio::test]
async fn bad_inputs_fail_before_anything_is_sent() {
    let server = Server::start(serve).await;
    let client = client(&server.url);
    for bad in [
        json!({"PageNo": 0}),
        json!({"PageNo": "two"}),
        json!({"PageNo": 1.5}),
    ] {
        let err = Paginator::new(client.clone(), &BY_NUMBER, input(bad.clone())).unwrap_err();
        let Error::Validation(v) = err else {
            panic!("{bad}: not a validation error")
        };
        assert_eq!(v.param, "PageNo", "{bad}");
    }
    let err = Paginator::new(client.clone(), &NOT_PAGED, Map::new()).unwrap_err();
    assert!(
        matches!(&err, Error::Validation(v) if v.rule == Rule::NotPaginated),
        "{err:?}"
    );
    // A page parameter the encoder refuses is an error of the first page.
    let mut p = Paginator::new(client, &BY_NUMBER, input(json!({"PageSize": "ten"}))).unwrap();
    assert!(matches!(
        p.next_page().await,
        Some(Err(Error::Validation(_)))
    ));
    assert!(p.next_page().await.is_none());
    assert_eq!(server.count(), 0);
}

static NOT_PAGED: Operation = Operation {
    pages: None,
    ..op("ListThings", &NO_PAGES)
};

static NO_PAGES: Pages = Pages {
    page: "PageNo",
    size: None,
    items: &[],
    total: None,
    token: None,
};
