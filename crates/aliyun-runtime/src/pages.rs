//! Paginated operations: every page of a call, one request per page, as data
//! ([`Pages`], generated from the spec's `paginate`) driving one loop
//! ([`Paginator`]). Typed streams of pages and of items sit on top of it.
//!
//! VOD pages by number (`PageNo` or `PageNumber`, counted from 1), some
//! operations also with a token handed back (SearchMedia's `ScrollToken`).
//! The loop stops after a page that is empty, shorter than the page size the
//! caller set, reaches the total the service reports (counting the pages
//! before the first one asked for, when the size is known), or (with a token)
//! comes back without a token; and after [`MAX_PAGES`] pages whatever happens.

use std::collections::VecDeque;

pub use futures::stream::Stream;

use futures::stream;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use aliyun_sign::Credentials;

use crate::error::{DecodeError, Error, Rule, ValidationError};
use crate::operation::Operation;
use crate::params::encode;
use crate::Client;

/// A bound on the pages one paginator fetches: a service that never says
/// "last page" must not keep a loop running forever.
pub const MAX_PAGES: i64 = 10_000;

/// How an operation pages.
#[derive(Debug)]
pub struct Pages {
    /// The page-number parameter (`PageNo`), counted from 1.
    pub page: &'static str,
    /// The page-size parameter, when the operation has one.
    pub size: Option<&'static str>,
    /// Where the items are in the (normalized) output: field names from the
    /// top, e.g. `["VideoList", "Video"]`.
    pub items: &'static [&'static str],
    /// The top-level output field holding the total number of items, if any.
    pub total: Option<&'static str>,
    /// A token handed back: `(input parameter, output field)`.
    pub token: Option<(&'static str, &'static str)>,
}

/// The pages of one call: the input (by wire name) with the page number, and
/// the token, advanced after each page.
#[derive(Debug)]
pub struct Paginator {
    client: Client,
    op: &'static Operation,
    pages: &'static Pages,
    input: Map<String, Value>,
    /// The page number sent next.
    page: i64,
    /// The first page number asked for.
    first: i64,
    /// Pages fetched so far.
    pages_fetched: i64,
    /// Items fetched so far.
    fetched: u64,
    done: bool,
    /// The credentials the last page was fetched with: a typed decode error
    /// quotes the page, which may echo the request, so it is redacted with them.
    credentials: Option<Credentials>,
}

impl Paginator {
    /// A paginator for `op` from the input object. Fails when `op` does not
    /// page, or when the page number set is not a positive integer.
    pub fn new(
        client: Client,
        op: &'static Operation,
        input: Map<String, Value>,
    ) -> Result<Self, Error> {
        let pages = op.pages.ok_or_else(|| {
            Error::Validation(ValidationError::new(op.action, "", Rule::NotPaginated))
        })?;
        let page = match input.get(pages.page) {
            None | Some(Value::Null) => 1,
            Some(v) => match crate::params::as_i64(v) {
                Some(n) if n >= 1 => n,
                _ => {
                    return Err(Error::Validation(ValidationError::new(
                        op.action,
                        pages.page,
                        Rule::WrongType {
                            expected: "a whole number from 1",
                        },
                    )))
                }
            },
        };
        Ok(Paginator {
            client,
            op,
            pages,
            input,
            page,
            first: page,
            pages_fetched: 0,
            fetched: 0,
            done: false,
            credentials: None,
        })
    }

    /// The next page as the normalized output ([`crate::Response::to_json`]),
    /// or `None` after the last one. After an error there are no more pages.
    pub async fn next_page(&mut self) -> Option<Result<Value, Error>> {
        if self.done {
            return None;
        }
        let result = self.fetch().await;
        if result.is_err() {
            self.done = true;
        }
        Some(result)
    }

    async fn fetch(&mut self) -> Result<Value, Error> {
        let pages = self.pages;
        self.input.insert(pages.page.to_owned(), self.page.into());
        let params = encode(self.op, &self.input)?;
        let response = self.client.invoke(self.op, params).await?;
        let value = response.to_json()?;
        self.credentials = Some(response.credentials);
        let n = items_at(&value, pages.items).map_or(0, Vec::len) as u64;
        self.fetched += n;
        let size = pages
            .size
            .and_then(|s| self.input.get(s))
            .and_then(crate::params::as_i64)
            .and_then(|s| u64::try_from(s).ok());
        // Items on the pages before the first one asked for count toward the
        // total; without a size they are unknown, and only the other rules end.
        let before = match size {
            Some(s) => u64::try_from(self.first - 1)
                .ok()
                .map(|p| p.saturating_mul(s)),
            None if self.first == 1 => Some(0),
            None => None,
        };
        let total = pages
            .total
            .and_then(|t| value.get(t))
            .and_then(Value::as_u64);
        let token = pages.token.map(|(input, output)| {
            let next = value
                .get(output)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty());
            (input, next.map(str::to_owned))
        });
        self.pages_fetched += 1;
        let reached = match (total, before) {
            (Some(t), Some(b)) => b.saturating_add(self.fetched) >= t,
            _ => false,
        };
        self.done = n == 0
            || reached
            || size.is_some_and(|s| n < s)
            || matches!(token, Some((_, None)))
            || self.pages_fetched >= MAX_PAGES
            || self.page == i64::MAX;
        if let Some((input, Some(next))) = token {
            self.input.insert(input.to_owned(), Value::String(next));
        }
        self.page = self.page.saturating_add(1);
        Ok(value)
    }

    /// The pages as a stream.
    pub fn into_stream(self) -> impl Stream<Item = Result<Value, Error>> + Send {
        use futures::StreamExt as _;
        self.into_redacting_stream()
            .map(|page| page.map(|(value, _)| value))
    }

    /// The pages, each with what redacts a typed decode error of it.
    fn into_redacting_stream(self) -> impl Stream<Item = Result<(Value, Redact), Error>> + Send {
        stream::unfold(self, |mut p| async move {
            let page = p.next_page().await?;
            let redact = Redact(p.credentials.clone());
            Some((page.map(|value| (value, redact)), p))
        })
    }
}

/// Redacts a typed decode error of one page with the credentials it was
/// fetched with (none: the call was anonymous, nothing to hide).
#[derive(Clone)]
struct Redact(Option<Credentials>);

impl Redact {
    /// A page that does not fit the output type. serde's message quotes the
    /// offending value, which may echo the request (the STS token): no excerpt
    /// of the page is kept, and the message is redacted.
    fn decode_error(&self, e: &serde_json::Error) -> Error {
        let message = format!("the page does not fit the output type: {e}");
        let message = match &self.0 {
            Some(c) => aliyun_sign::redact(&message, c),
            None => message,
        };
        Error::Decode(DecodeError::new(200, message, b""))
    }
}

/// The list at `path` in a normalized output, if there is one.
pub fn items_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Vec<Value>> {
    let mut at = value;
    for name in path {
        at = at.get(name)?;
    }
    at.as_array()
}

impl Client {
    /// A [`Paginator`] for a typed input (what generated `into_pages` calls).
    pub fn paginate<I: Serialize + ?Sized>(
        &self,
        op: &'static Operation,
        input: &I,
    ) -> Result<Paginator, Error> {
        match serde_json::to_value(input) {
            Ok(Value::Object(map)) => Paginator::new(self.clone(), op, map),
            _ => Err(Error::Validation(ValidationError::new(
                op.action,
                "",
                Rule::WrongType {
                    expected: "an object",
                },
            ))),
        }
    }
}

/// The typed pages of a paginator (or its one error).
pub fn typed_pages<O: DeserializeOwned>(
    paginator: Result<Paginator, Error>,
) -> impl Stream<Item = Result<O, Error>> + Send {
    use futures::StreamExt as _;
    pages_or_error(paginator).map(|page| {
        page.and_then(|(value, redact)| {
            serde_json::from_value(value).map_err(|e| redact.decode_error(&e))
        })
    })
}

/// The typed items of every page, in order (or the first error).
pub fn typed_items<T: DeserializeOwned>(
    paginator: Result<Paginator, Error>,
) -> impl Stream<Item = Result<T, Error>> + Send {
    let path = paginator.as_ref().map_or(&[][..], |p| p.pages.items);
    let pages = Box::pin(pages_or_error(paginator));
    stream::unfold(
        (pages, VecDeque::<(Value, Redact)>::new(), false),
        move |(mut pages, mut buffered, failed)| async move {
            use futures::StreamExt as _;
            loop {
                if failed {
                    return None;
                }
                if let Some((item, redact)) = buffered.pop_front() {
                    let item = serde_json::from_value(item).map_err(|e| redact.decode_error(&e));
                    return Some((item, (pages, buffered, false)));
                }
                match pages.next().await? {
                    Ok((value, redact)) => {
                        if let Some(items) = items_at(&value, path) {
                            buffered.extend(items.iter().map(|i| (i.clone(), redact.clone())));
                        }
                    }
                    Err(e) => return Some((Err(e), (pages, buffered, true))),
                }
            }
        },
    )
}

fn pages_or_error(
    paginator: Result<Paginator, Error>,
) -> impl Stream<Item = Result<(Value, Redact), Error>> + Send {
    use futures::StreamExt as _;
    match paginator {
        Ok(p) => p.into_redacting_stream().left_stream(),
        Err(e) => stream::once(async move { Err(e) }).right_stream(),
    }
}
