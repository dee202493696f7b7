//! Where requests go: a product's endpoints by region or an explicit endpoint,
//! and the `User-Agent` that names the SDK.

use crate::config::Config;
use crate::error::Error;

/// A product's static description, generated from its spec.
#[derive(Debug)]
pub struct Product {
    /// Product code, e.g. `vod`.
    pub code: &'static str,
    /// API version, e.g. `2017-03-21`.
    pub version: &'static str,
    /// `(region, endpoint host)` pairs.
    pub endpoints: &'static [(&'static str, &'static str)],
    /// The region used when none is configured.
    pub default_region: &'static str,
}

/// The runtime's version; product crates are released in lockstep with it.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `(base URL, host[:port])` for the configured endpoint or region.
pub(crate) fn resolve_endpoint(
    product: &Product,
    config: &Config,
) -> Result<(String, String), Error> {
    if let Some(endpoint) = &config.endpoint {
        let with_scheme = if endpoint.contains("://") {
            endpoint.clone()
        } else {
            format!("https://{endpoint}")
        };
        let url = url::Url::parse(&with_scheme)
            .map_err(|e| Error::Config(format!("endpoint {endpoint:?} is not a valid URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "endpoint {endpoint:?} must be http or https"
            )));
        }
        let host = url
            .host_str()
            .ok_or_else(|| Error::Config(format!("endpoint {endpoint:?} has no host")))?;
        // RPC calls go to `/`; a path, query or fragment would be dropped silently.
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::Config(format!(
                "endpoint {endpoint:?} must be a scheme, host and optional port only (RPC calls go to /)"
            )));
        }
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let base = format!("{}://{host}", url.scheme());
        return Ok((base, host));
    }
    let region = config.region.as_deref().unwrap_or(product.default_region);
    match product.endpoints.iter().find(|(r, _)| *r == region) {
        Some((_, host)) => Ok((format!("https://{host}"), (*host).to_owned())),
        None => {
            let known: Vec<&str> = product.endpoints.iter().map(|(r, _)| *r).collect();
            Err(Error::Config(format!(
                "unknown region {region:?} for {}; known regions: {} (or set an explicit endpoint)",
                product.code,
                known.join(", ")
            )))
        }
    }
}

pub(crate) fn user_agent(product: &Product, suffix: Option<&str>) -> String {
    let mut ua = format!(
        "aliyun-{}-rs/{VERSION} ({}; {}) rust",
        product.code,
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    if let Some(extra) = suffix {
        ua.push(' ');
        ua.push_str(extra);
    }
    ua
}

pub(crate) fn is_loopback(host_port: &str) -> bool {
    let host = match host_port.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    static PRODUCT: Product = Product {
        code: "vod",
        version: "2017-03-21",
        endpoints: &[
            ("cn-shanghai", "vod.cn-shanghai.aliyuncs.com"),
            ("ap-southeast-1", "vod.ap-southeast-1.aliyuncs.com"),
        ],
        default_region: "cn-shanghai",
    };

    #[test]
    fn endpoints() {
        let (base, host) = resolve_endpoint(&PRODUCT, &Config::new()).unwrap();
        assert_eq!(
            (base.as_str(), host.as_str()),
            (
                "https://vod.cn-shanghai.aliyuncs.com",
                "vod.cn-shanghai.aliyuncs.com"
            )
        );
        for bad in ["http://127.0.0.1:8080/vod", "http://h/?x=1", "http://h/#f"] {
            let err = resolve_endpoint(&PRODUCT, &Config::new().endpoint(bad)).unwrap_err();
            assert!(
                err.to_string().contains("RPC calls go to /"),
                "{bad}: {err}"
            );
        }
        let (base, host) =
            resolve_endpoint(&PRODUCT, &Config::new().endpoint("http://127.0.0.1:8080/")).unwrap();
        assert_eq!(
            (base.as_str(), host.as_str()),
            ("http://127.0.0.1:8080", "127.0.0.1:8080")
        );
        let err = resolve_endpoint(&PRODUCT, &Config::new().region("mars-1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "configuration error: unknown region \"mars-1\" for vod; known regions: cn-shanghai, ap-southeast-1 (or set an explicit endpoint)"
        );
    }

    #[test]
    fn loopback_endpoints_bypass_proxies() {
        for host in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "[::1]:80",
            "localhost:9",
            "LOCALHOST",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "vod.cn-shanghai.aliyuncs.com",
            "10.0.0.1:80",
            "[2001:db8::1]:443",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn user_agent_names_the_sdk_version_and_platform() {
        let ua = user_agent(&PRODUCT, Some("app/1"));
        assert!(
            ua.starts_with(&format!("aliyun-vod-rs/{VERSION} (")),
            "{ua}"
        );
        assert!(ua.ends_with(") rust app/1"), "{ua}");
    }
}
