//! Facts Alibaba's metadata states only in its (Chinese) prose, read by rules
//! so the importer can turn them into data: a string parameter that is really
//! a list of items joined by commas or newlines, and its maximum; an
//! operation's QPS limit; text that is JSON; times. The prose itself never
//! leaves the importer: each rule reads a fact and the spec records the fact.
//!
//! Each rule is small and matches the phrasings the metadata uses; the tests
//! below hold one example of each phrasing (and of what must not match).

/// A list carried in a string parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextList {
    /// What joins the items on the wire: `,` or `\n`.
    pub separator: char,
    /// The most items the description allows, when it says.
    pub max_items: Option<usize>,
}

/// Whether a string parameter's description says it holds several items
/// separated (`分隔`, `隔开`) by commas (`半角逗号`, `逗号`) or newlines (`换行符`); with the
/// maximum it states (`最多支持10个`, `最多不超过16个标签`). A description of
/// JSON text is not a list, whatever commas it mentions.
pub fn text_list(description: &str) -> Option<TextList> {
    if description.contains("JSON") || description.contains("json") {
        return None;
    }
    // The separator, and a word saying items are separated by it (a mention
    // of commas alone, "must not contain commas", is not a list).
    if !["分隔", "隔开"].iter().any(|w| description.contains(w)) {
        return None;
    }
    let separator = if description.contains("换行") {
        '\n'
    } else if description.contains("逗号") {
        ','
    } else {
        return None;
    };
    Some(TextList {
        separator,
        max_items: max_items(description),
    })
}

/// The first "at most N" (`最多`, `不超过`, `上限`) counting items (`个`), not
/// characters (`个字符`, `个汉字`, `个字节`).
fn max_items(text: &str) -> Option<usize> {
    const LEADS: [&str; 4] = ["最多", "不超过", "上限", "至多"];
    const FILLERS: [&str; 9] = [
        "不超过",
        "支持",
        "可以",
        "可",
        "传入",
        "为",
        "输入",
        "设置",
        "指定",
    ];
    const NOT_ITEMS: [&str; 4] = ["字符", "汉字", "字节", "字"];
    let mut rest = text;
    while let Some((at, lead)) = LEADS
        .iter()
        .filter_map(|l| rest.find(l).map(|i| (i, *l)))
        .min_by_key(|(i, _)| *i)
    {
        let mut tail = &rest[at + lead.len()..];
        // Fillers between the lead and the number, in any order.
        loop {
            let trimmed = tail.trim_start();
            match FILLERS.iter().find(|f| trimmed.starts_with(**f)) {
                Some(f) => tail = &trimmed[f.len()..],
                None => {
                    tail = trimmed;
                    break;
                }
            }
        }
        let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
        let after = tail[digits.len()..].trim_start();
        if let (Ok(n), Some(unit)) = (digits.parse::<usize>(), after.strip_prefix('个')) {
            if n > 0 && !NOT_ITEMS.iter().any(|x| unit.starts_with(x)) {
                return Some(n);
            }
        }
        rest = &rest[at + lead.len()..];
    }
    None
}

/// An operation's QPS limit per user, as its description states it
/// (`单用户QPS限制为50次/秒`).
pub fn qps(description: &str) -> Option<u32> {
    let at = description.find("QPS限制为")? + "QPS限制为".len();
    let tail = description[at..].trim_start();
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let unit = tail[digits.len()..].trim_start();
    if !unit.starts_with("次/秒") {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

/// Region names as the descriptions write them (without spaces), and their
/// IDs; the short forms (`上海`) after the long ones they are part of.
const REGIONS: &[(&str, &str)] = &[
    ("华东2（上海）", "cn-shanghai"),
    ("华北2（北京）", "cn-beijing"),
    ("华南1（深圳）", "cn-shenzhen"),
    ("中国（香港）", "cn-hongkong"),
    ("新加坡", "ap-southeast-1"),
    ("日本（东京）", "ap-northeast-1"),
    ("德国（法兰克福）", "eu-central-1"),
    ("英国（伦敦）", "eu-west-1"),
    ("美国（硅谷）", "us-west-1"),
    ("马来西亚（吉隆坡）", "ap-southeast-3"),
    ("印度尼西亚（雅加达）", "ap-southeast-5"),
    ("印度（孟买）", "ap-south-1"),
    ("上海", "cn-shanghai"),
    ("北京", "cn-beijing"),
    ("深圳", "cn-shenzhen"),
];

/// The only regions an operation supports, when its description says so:
/// "the service address only supports" (`服务地址仅支持：华东2（上海）`), "the
/// regions it supports" (`支持的服务地域：…`, also said per feature, as in
/// SubmitAIJob), "this operation only supports" (`本接口目前仅支持**上海**和
/// **新加坡**地域`). The IDs of the regions named in each such sentence,
/// together, in order of first mention. A statement made for one site only
/// (inside `<props="intl">…</props>`) does not restrict the operation: the
/// other site's regions are not named.
pub fn regions(description: &str) -> Option<Vec<&'static str>> {
    const LEADS: [&str; 7] = [
        "服务地址仅支持",
        "接入地址仅支持",
        "服务地址只支持",
        "服务地域仅支持",
        "支持的服务地域",
        "仅支持如下服务地域",
        "接口目前仅支持",
    ];
    let text = without_site_blocks(description);
    let mut ids: Vec<&'static str> = Vec::new();
    let mut rest = text.as_str();
    while let Some((at, lead)) = LEADS
        .iter()
        .filter_map(|l| rest.find(l).map(|i| (i, *l)))
        .min_by_key(|(i, _)| *i)
    {
        let after = &rest[at + lead.len()..];
        let sentence = after.split(['。', '\n']).next().unwrap_or(after);
        let mut compact: String = sentence
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '*')
            .collect::<String>()
            // "Beijing time" names a time zone, not a region.
            .replace("北京时间", "____");
        let mut found: Vec<(usize, &'static str)> = Vec::new();
        for (name, id) in REGIONS {
            while let Some(i) = compact.find(name) {
                found.push((i, id));
                // Blank the match (same length) so a short form inside it is
                // not found again.
                compact.replace_range(i..i + name.len(), &"_".repeat(name.len()));
            }
        }
        found.sort_unstable();
        for (_, id) in found {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        rest = &after[sentence.len()..];
    }
    (!ids.is_empty()).then_some(ids)
}

/// The description without its site-specific blocks (`<props="intl">…</props>`,
/// nested ones with them; an unclosed block runs to the end).
fn without_site_blocks(description: &str) -> String {
    const OPEN: &str = "<props=";
    const CLOSE: &str = "</props>";
    let mut out = String::with_capacity(description.len());
    let mut depth = 0usize;
    let mut rest = description;
    loop {
        let open = rest.find(OPEN);
        let close = rest.find(CLOSE);
        let (at, len, step): (usize, usize, isize) = match (open, close) {
            (Some(o), Some(c)) if o < c => (o, OPEN.len(), 1),
            (Some(o), None) => (o, OPEN.len(), 1),
            (_, Some(c)) => (c, CLOSE.len(), -1),
            (None, None) => break,
        };
        if depth == 0 {
            out.push_str(&rest[..at]);
        }
        depth = depth.saturating_add_signed(step);
        rest = &rest[at + len..];
    }
    if depth == 0 {
        out.push_str(rest);
    }
    out
}

/// The values a text field takes, when its description lists them after
/// `取值` (each in bold, `**Normal**`): at least two, each plain ASCII
/// without spaces, duplicates dropped. A list whose items are themselves
/// lists (`png、gif`) is not an enum.
pub fn enum_values(description: &str) -> Option<Vec<String>> {
    let at = description.find("取值")?;
    let mut values: Vec<String> = Vec::new();
    let mut rest = &description[at..];
    while let Some(open) = rest.find("**") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("**") else {
            break;
        };
        let value = after[..close].trim();
        let plain =
            !value.is_empty() && value.len() <= 40 && value.chars().all(|c| c.is_ascii_graphic());
        if !plain {
            return None;
        }
        if !values.iter().any(|v| v == value) {
            values.push(value.to_owned());
        }
        rest = &after[close + 2..];
    }
    (values.len() >= 2).then_some(values)
}

/// Whether a text field's description says it is a UTC time in the API's
/// format (`yyyy-MM-ddTHH:mm:ssZ`).
pub fn utc_time(description: &str) -> bool {
    description.contains("yyyy-MM-ddTHH:mm:ssZ") || description.contains("YYYY-MM-DDThh:mm:ssZ")
}

/// Whether a string parameter's description says it holds JSON (`JSON格式`,
/// `JSON字符串`).
pub fn json_text(description: &str) -> bool {
    ["JSON格式", "JSON字符串", "JSON 格式", "JSON 字符串"]
        .iter()
        .any(|p| description.contains(p))
}

#[cfg(test)]
mod tests {
    //! The inputs are made-up: the keywords each rule looks for, with `…`
    //! where a description would have its own words.
    use super::*;

    #[test]
    fn lists_joined_by_commas_with_their_maximum() {
        let l = |t: &str| text_list(t).map(|l| (l.separator, l.max_items));
        assert_eq!(l("…最多支持10个…半角逗号…分隔"), Some((',', Some(10))));
        assert_eq!(l("…逗号…分隔…最多支持5个。"), Some((',', Some(5))));
        assert_eq!(l("…最多可以传入500个，…逗号隔开…"), Some((',', Some(500))));
        // The item limit, not the characters of one item.
        assert_eq!(
            l("…不超过32个字符…最多不超过16个…逗号…分隔"),
            Some((',', Some(16)))
        );
        assert_eq!(l("…逗号…分隔"), Some((',', None)));
        // Commas mentioned, nothing separated by them.
        assert_eq!(l("…不能包含逗号…"), None);
        assert_eq!(l("…换行符…分隔"), Some(('\n', None)));
        assert_eq!(l("…"), None);
        assert_eq!(l("…JSON格式…逗号…分隔"), None);
    }

    #[test]
    fn qps_limits_as_the_descriptions_state_them() {
        assert_eq!(qps("…QPS限制为50次/秒…"), Some(50));
        assert_eq!(qps("…QPS限制为 5 次/秒"), Some(5));
        assert_eq!(qps("QPS…"), None);
        assert_eq!(qps("…QPS限制为50"), None);
    }

    #[test]
    fn regions_named_in_the_sentence_that_limits_them() {
        assert_eq!(
            regions("…服务地址仅支持：**华东2（上海）**…"),
            Some(vec!["cn-shanghai"])
        );
        assert_eq!(
            regions("…服务地址仅支持：**华东 2（上海）**。新加坡…"),
            Some(vec!["cn-shanghai"])
        );
        assert_eq!(
            regions("…服务地址仅支持：华东 2（上海）、华北 2（北京）"),
            Some(vec!["cn-shanghai", "cn-beijing"])
        );
        assert_eq!(regions("…华东2（上海）…"), None);
        assert_eq!(regions("…服务地址仅支持：…"), None);
        // Short names, and the operation itself as the subject.
        assert_eq!(
            regions("…本接口目前仅支持**上海**、**北京**、**新加坡地域**。"),
            Some(vec!["cn-shanghai", "cn-beijing", "ap-southeast-1"])
        );
        assert_eq!(
            regions("…本接口目前仅支持如下服务地域：华东2（上海）。"),
            Some(vec!["cn-shanghai"])
        );
        // "The regions it supports", said per feature: all of them together.
        assert_eq!(
            regions(
                "- …支持的服务地域：**华北2（北京）**、**新加坡**。\n- …支持的服务地域：**华东2（上海）**。"
            ),
            Some(vec!["cn-beijing", "ap-southeast-1", "cn-shanghai"])
        );
        // Only what one site says: the other site's regions are unknown.
        assert_eq!(
            regions("…<props=\"intl\">本接口目前仅支持新加坡地域。</props>…"),
            None
        );
        // "Only supports" about something other than regions.
        assert_eq!(regions("…本接口目前仅支持查询…"), None);
        // Beijing time is a time zone.
        assert_eq!(regions("…接口目前仅支持查询北京时间7天内的数据。"), None);
        // Nested site blocks go with the outer one; an unclosed one runs to
        // the end; a stray close tag is ignored.
        let nested = "<props=\"china\">a<props=\"intl\">b</props>服务地址仅支持：新加坡</props>…";
        assert_eq!(regions(nested), None);
        assert_eq!(regions("…<props=\"intl\">服务地址仅支持：新加坡"), None);
        assert_eq!(
            regions("</props>服务地址仅支持：新加坡。"),
            Some(vec!["ap-southeast-1"])
        );
    }

    #[test]
    fn enum_values_listed_in_bold_after_the_values_keyword() {
        let e = |t: &str| enum_values(t);
        assert_eq!(
            e("…取值：\n- **Normal**：…\n- **Blocked**：…\n- **Normal**…"),
            Some(vec!["Normal".to_owned(), "Blocked".to_owned()])
        );
        assert_eq!(
            e("…取值：**2K**、**4K**、**1.0**"),
            Some(vec!["2K".into(), "4K".into(), "1.0".into()])
        );
        // One value, values before the keyword, or values that are lists.
        assert_eq!(e("…取值：**Normal**"), None);
        assert_eq!(e("**A** **B** …"), None);
        assert_eq!(e("…取值：**png、gif**、**mp4、mov**"), None);
        assert_eq!(e("…取值：**a b**、**c**"), None);
    }

    #[test]
    fn times_and_json_text() {
        assert!(utc_time("…yyyy-MM-ddTHH:mm:ssZ…"));
        assert!(!utc_time("…"));
        assert!(json_text("…JSON格式…"));
        assert!(json_text("…JSON字符串…"));
        assert!(!json_text("…"));
    }
}
