//! Rust names derived from wire names, once and predictably. Wire names are never
//! recovered from Rust names: the spec carries them and the generator keeps them.

/// Splits a wire name into words: `GetURLUploadInfos` -> `Get URL Upload Infos`,
/// `UploadURLs` -> `Upload URLs`, `UrlUploadJobInfoDTO` -> `Url Upload Job Info DTO`,
/// `DOWNLOAD_FAIL` -> `DOWNLOAD FAIL`.
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            i += 1;
            continue;
        }
        if !cur.is_empty() {
            let prev = chars[i - 1];
            let next = chars.get(i + 1).copied();
            let boundary = if c.is_uppercase() {
                if prev.is_lowercase() || prev.is_ascii_digit() {
                    true
                } else if prev.is_uppercase() {
                    // An acronym ends where an upper-case letter starts a capitalised
                    // word ("URLUpload": "URL" + "Upload") -- except for a plural
                    // "s" that ends the acronym ("URLs", "IDs").
                    match next {
                        Some(n) if n.is_lowercase() => !is_plural_s(&chars, i + 1),
                        _ => false,
                    }
                } else {
                    false
                }
            } else {
                false
            };
            if boundary {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
        i += 1;
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// `chars[i]` is an `s` that ends a word (followed by an upper-case letter, a
/// separator or the end).
fn is_plural_s(chars: &[char], i: usize) -> bool {
    chars.get(i) == Some(&'s') && chars.get(i + 1).is_none_or(|c| !c.is_lowercase())
}

/// `snake_case`: `GetURLUploadInfos` -> `get_url_upload_infos`.
pub fn snake(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join("_")
}

/// `UpperCamelCase`: `GetURLUploadInfos` -> `GetUrlUploadInfos`.
pub fn pascal(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| {
            let lower = w.to_lowercase();
            let mut cs = lower.chars();
            match cs.next() {
                Some(f) => f.to_uppercase().collect::<String>() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `SCREAMING_SNAKE_CASE`.
pub fn screaming(name: &str) -> String {
    snake(name).to_uppercase()
}

/// `kebab-case`, for CLI commands and flags.
pub fn kebab(name: &str) -> String {
    snake(name).replace('_', "-")
}

/// Rust keywords that cannot be field names as they are.
pub fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acronyms_survive() {
        for (wire, snake_name, pascal_name) in [
            (
                "GetURLUploadInfos",
                "get_url_upload_infos",
                "GetUrlUploadInfos",
            ),
            (
                "URLUploadInfoList",
                "url_upload_info_list",
                "UrlUploadInfoList",
            ),
            ("UploadURLs", "upload_urls", "UploadUrls"),
            (
                "UploadMediaByURL",
                "upload_media_by_url",
                "UploadMediaByUrl",
            ),
            (
                "UrlUploadJobInfoDTO",
                "url_upload_job_info_dto",
                "UrlUploadJobInfoDto",
            ),
            ("JobIds", "job_ids", "JobIds"),
            ("NonExists", "non_exists", "NonExists"),
            ("RequestId", "request_id", "RequestId"),
            ("SourceURL", "source_url", "SourceUrl"),
            ("CoverURL", "cover_url", "CoverUrl"),
            ("CateId", "cate_id", "CateId"),
            ("DOWNLOAD_SUCCESS", "download_success", "DownloadSuccess"),
            ("PENDING", "pending", "Pending"),
            ("VideoIDs", "video_ids", "VideoIds"),
            ("HTTPSUrls", "https_urls", "HttpsUrls"),
            ("Mp4Url", "mp4_url", "Mp4Url"),
            ("MD5", "md5", "Md5"),
            ("get-url", "get_url", "GetUrl"),
        ] {
            assert_eq!(snake(wire), snake_name, "{wire}");
            assert_eq!(pascal(wire), pascal_name, "{wire}");
        }
        assert_eq!(kebab("GetURLUploadInfos"), "get-url-upload-infos");
        assert_eq!(screaming("UrlUploadJobInfo"), "URL_UPLOAD_JOB_INFO");
    }

    /// Names seen in other Alibaba Cloud APIs, and spellings the spec may use.
    const MORE: &[(&str, &str, &str)] = &[
        ("OSSBucket", "oss_bucket", "OssBucket"),
        ("ABCDefGHI", "abc_def_ghi", "AbcDefGhi"),
        ("ACLsList", "acls_list", "AclsList"),
        ("IsURLs", "is_urls", "IsUrls"),
        ("ETag", "e_tag", "ETag"),
        ("H264Profile", "h264_profile", "H264Profile"),
        ("Version2", "version2", "Version2"),
        ("PageNo", "page_no", "PageNo"),
        ("userId", "user_id", "UserId"),
        ("already_snake", "already_snake", "AlreadySnake"),
        ("A", "a", "A"),
        ("ID", "id", "Id"),
        ("IDs", "ids", "Ids"),
        ("s", "s", "S"),
    ];

    #[test]
    fn more_names() {
        for (wire, snake_name, pascal_name) in MORE {
            assert_eq!(snake(wire), *snake_name, "{wire}");
            assert_eq!(pascal(wire), *pascal_name, "{wire}");
        }
    }

    /// The spec's type names must equal `pascal` of themselves, so `pascal` must
    /// be stable on its own output, and going through it must not change the
    /// snake-case spelling.
    #[test]
    fn pascal_is_stable() {
        let wires = MORE.iter().map(|(w, _, _)| *w).chain([
            "GetURLUploadInfos",
            "UrlUploadJobInfoDTO",
            "VideoIDs",
            "HTTPSUrls",
            "MD5",
            "DOWNLOAD_SUCCESS",
        ]);
        for wire in wires {
            let p = pascal(wire);
            assert_eq!(pascal(&p), p, "{wire}");
            assert_eq!(snake(&p), snake(wire), "{wire}");
        }
    }

    #[test]
    fn separators_and_empty_names() {
        assert_eq!(words(""), Vec::<String>::new());
        assert_eq!(snake("__"), "");
        assert_eq!(pascal(""), "");
        assert_eq!(snake("a__b"), "a_b");
        assert_eq!(snake("Get-URL.Infos"), "get_url_infos");
        assert_eq!(kebab("UploadURLs"), "upload-urls");
        assert_eq!(screaming("DOWNLOAD_FAIL"), "DOWNLOAD_FAIL");
    }

    #[test]
    fn keywords() {
        for k in [
            "type", "match", "self", "Self", "crate", "async", "gen", "try",
        ] {
            assert!(is_keyword(k), "{k}");
        }
        for k in ["types", "r#type", "union", "Type", "id"] {
            assert!(!is_keyword(k), "{k}");
        }
    }
}
