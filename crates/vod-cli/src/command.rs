//! Operation commands as data. `generated/commands.rs` holds one
//! [`CommandSpec`] per operation; this module turns an entry into a clap
//! command and a command line into the operation's input: a JSON object keyed
//! by wire names, which the runtime checks and encodes the way it does for the
//! typed SDK. Nothing here names an operation: adding one to `spec/` adds its
//! command.

use aliyun_runtime::operation::Ty;
use aliyun_runtime::Operation;
use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::{Map, Value};

use crate::error::CliError;

/// One operation's command.
#[derive(Debug)]
pub struct CommandSpec {
    /// The subcommand, `get-url-upload-infos`.
    pub name: &'static str,
    /// One line of help.
    pub about: &'static str,
    /// The full help.
    pub long_about: &'static str,
    /// The operation it runs.
    pub operation: &'static Operation,
    /// One flag per parameter.
    pub flags: &'static [Flag],
    /// What `--wait` waits for, when the spec declares it.
    pub wait: Option<Wait>,
}

/// A parameter's flag.
#[derive(Debug)]
pub struct Flag {
    /// The parameter's wire name, also the flag's clap id and alias.
    pub param: &'static str,
    /// The long flag (`job-ids`).
    pub long: &'static str,
    /// One line of help.
    pub help: &'static str,
    /// How the value is read.
    pub kind: FlagKind,
    /// The spec's example value, as text; empty when it gives none.
    pub example: &'static str,
}

/// How a flag's value becomes the parameter's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagKind {
    /// As typed; the runtime checks it against the parameter's type.
    Value,
    /// A list: split on commas, or one item per repeated flag.
    List,
    /// JSON text, or `@FILE`.
    Json,
}

/// Waiting after an operation: poll `poll` for the IDs `ids` gives.
#[derive(Debug)]
pub struct Wait {
    /// The operation that polls.
    pub poll: &'static Operation,
    /// Where the IDs come from.
    pub ids: WaitIds,
}

/// Where a wait's IDs come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitIds {
    /// The command's own input (the polling operation itself).
    Input,
    /// The `field` of each item of the output's `list`.
    Output {
        /// The list's wire name.
        list: &'static str,
        /// The item field's wire name.
        field: &'static str,
    },
}

impl CommandSpec {
    /// The clap command: one flag per parameter, each also accepted under its
    /// wire spelling (`--JobIds`, as the aliyun CLI spells it).
    pub fn command(&self) -> Command {
        let args = self.flags.iter().map(|f| {
            let mut arg = Arg::new(f.param).long(f.long).help(f.help);
            if f.param != f.long {
                arg = arg.alias(f.param);
            }
            match f.kind {
                FlagKind::Value => arg.value_name("VALUE"),
                FlagKind::List => arg.value_name("ITEM[,ITEM...]").action(ArgAction::Append),
                FlagKind::Json => arg.value_name("JSON"),
            }
        });
        Command::new(self.name)
            .about(self.about)
            .long_about(self.long_about)
            .args(args)
            .arg(
                Arg::new(INPUT_JSON)
                    .long(INPUT_JSON)
                    .value_name("JSON|@FILE|-")
                    .help_heading("Input")
                    .help(
                        "The parameters as a JSON object keyed by the API's parameter names \
                         (lists as arrays); flags given beside it win",
                    ),
            )
            .arg(
                Arg::new(SKELETON)
                    .long(SKELETON)
                    .action(ArgAction::SetTrue)
                    .help_heading("Input")
                    .help("Print an --input-json object with an example for every parameter, and exit"),
            )
    }

    /// Whether `--generate-skeleton` was given.
    pub fn wants_skeleton(m: &ArgMatches) -> bool {
        m.try_get_one::<bool>(SKELETON)
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false)
    }

    /// The object `--generate-skeleton` prints: every parameter with the
    /// spec's example, a value of its type for a required one the spec gives
    /// no example for, `null` (unset) for an optional one.
    pub fn skeleton(&self) -> Value {
        let mut out = Map::new();
        for f in self.flags {
            let param = self.operation.param(f.param);
            // An optional parameter the spec gives no example for is null
            // (unset): a placeholder left in would be sent as a value.
            let value = if f.example.trim().is_empty() && !param.is_some_and(|p| p.required) {
                Value::Null
            } else {
                example_value(f, param.map(|p| &p.ty))
            };
            out.insert(f.param.to_owned(), value);
        }
        Value::Object(out)
    }

    /// The operation's input: `--input-json`'s object, then the flags over it.
    /// Keys are the API's parameter names; the runtime checks them.
    pub fn input(&self, m: &ArgMatches) -> Result<Map<String, Value>, CliError> {
        let mut input = match json_arg(m, INPUT_JSON)? {
            None => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                return Err(CliError::Usage(format!(
                    "--{INPUT_JSON}: expected a JSON object keyed by parameter names"
                )))
            }
        };
        for f in self.flags {
            let value = match f.kind {
                FlagKind::Value => m.get_one::<String>(f.param).cloned().map(Value::String),
                FlagKind::List => {
                    let separator = match self.operation.param(f.param).map(|p| p.ty) {
                        Some(Ty::List(rules)) => rules.separator,
                        _ => ',',
                    };
                    list_arg(m, f.param, separator)
                        .map(|items| Value::Array(items.into_iter().map(Value::String).collect()))
                }
                FlagKind::Json => json_arg(m, f.param)?,
            };
            if let Some(value) = value {
                input.insert(f.param.to_owned(), value);
            }
        }
        Ok(input)
    }
}

/// A list flag: given once, the value is split on the list's separator
/// (commas, `--job-ids a,b`; newlines for the few lists joined by them);
/// given several times, each value is one item as typed, so URLs that contain
/// commas go in one flag each (`--upload-urls URL1 --upload-urls URL2`).
/// Items of a split value are trimmed; blank ones are kept so the spec's rules
/// can name them.
pub fn list_arg(m: &ArgMatches, id: &str, separator: char) -> Option<Vec<String>> {
    let values: Vec<&String> = m.get_many::<String>(id)?.collect();
    match values.as_slice() {
        [one] => Some(one.split(separator).map(|s| s.trim().to_owned()).collect()),
        many => Some(many.iter().map(|s| (*s).clone()).collect()),
    }
}

/// `--input-json`.
const INPUT_JSON: &str = "input-json";
/// `--generate-skeleton`.
const SKELETON: &str = "generate-skeleton";

/// An example value for a parameter: the spec's example read as the
/// parameter's type, else a placeholder of that type.
fn example_value(f: &Flag, ty: Option<&Ty>) -> Value {
    let text = f.example.trim();
    let raw = match f.kind {
        FlagKind::List => Value::Array(
            text.split(',')
                .map(|item| Value::String(item.trim().to_owned()))
                .collect(),
        ),
        FlagKind::Json => match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => return ty.map(placeholder).unwrap_or(Value::Null),
        },
        FlagKind::Value => Value::String(text.to_owned()),
    };
    match ty {
        Some(ty) => as_input(raw, ty),
        None => raw,
    }
}

/// An example in the form inputs take (what the SDK's typed inputs read):
/// numbers the docs' examples write as text become numbers (a placeholder 0
/// when the text is masked, `1298****`), booleans become booleans; keys an
/// open object does not type, and text, stay as they are.
fn as_input(value: Value, ty: &Ty) -> Value {
    match (ty, value) {
        (Ty::Integer, Value::String(s)) => Value::from(s.trim().parse::<i64>().unwrap_or(0)),
        (Ty::Number, Value::String(s)) => Value::from(s.trim().parse::<f64>().unwrap_or(0.0)),
        (Ty::Boolean, Value::String(s)) => Value::Bool(s.trim() == "true"),
        (Ty::List(rules), Value::Array(items)) => Value::Array(
            items
                .into_iter()
                .map(|item| as_input(item, &rules.item))
                .collect(),
        ),
        (Ty::Object(fields) | Ty::OpenObject(fields), Value::Object(map)) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match fields.iter().find(|f| f.name == k) {
                    Some(f) => (k, as_input(v, &f.ty)),
                    None => (k, v),
                })
                .collect(),
        ),
        (_, v) => v,
    }
}

/// A value of type `ty` with every field of every object present.
fn placeholder(ty: &Ty) -> Value {
    match ty {
        Ty::String(_) => Value::String(String::new()),
        Ty::Integer => Value::from(0),
        Ty::Number => Value::from(0.0),
        Ty::Boolean => Value::Bool(false),
        Ty::List(rules) => Value::Array(vec![placeholder(&rules.item)]),
        Ty::Object(fields) | Ty::OpenObject(fields) => Value::Object(
            fields
                .iter()
                .map(|f| (f.name.to_owned(), placeholder(&f.ty)))
                .collect(),
        ),
        Ty::Any => Value::Object(Map::new()),
    }
}

/// A JSON flag: the JSON text itself, `@FILE` to read it from a file, or `-`
/// to read it from standard input.
pub fn json_arg(m: &ArgMatches, id: &str) -> Result<Option<Value>, CliError> {
    let Some(raw) = m.get_one::<String>(id) else {
        return Ok(None);
    };
    let text = if raw == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|e| CliError::Usage(format!("{id}: cannot read standard input: {e}")))?
    } else {
        match raw.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| CliError::Usage(format!("{id}: cannot read {path}: {e}")))?,
            None => raw.clone(),
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CliError::Usage(format!("{id}: not valid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(args: &[&str]) -> ArgMatches {
        Command::new("t")
            .arg(Arg::new("L").long("l").action(ArgAction::Append))
            .arg(Arg::new("J").long("j"))
            .get_matches_from(std::iter::once("t").chain(args.iter().copied()))
    }

    #[test]
    fn lists_split_once_and_keep_repeated_values_whole() {
        assert_eq!(list_arg(&matches(&[]), "L", ','), None);
        assert_eq!(
            list_arg(&matches(&["--l", "a, b,c"]), "L", ',').unwrap(),
            ["a", "b", "c"]
        );
        assert_eq!(
            list_arg(
                &matches(&["--l", "http://h/a,b.mp4", "--l", "c d"]),
                "L",
                ','
            )
            .unwrap(),
            ["http://h/a,b.mp4", "c d"]
        );
        assert_eq!(
            list_arg(&matches(&["--l", "a,,b"]), "L", ',').unwrap(),
            ["a", "", "b"]
        );
        // A newline-joined list keeps its commas.
        assert_eq!(
            list_arg(
                &matches(&["--l", "http://h/a,b.mp4\nhttp://h/c"]),
                "L",
                '\n'
            )
            .unwrap(),
            ["http://h/a,b.mp4", "http://h/c"]
        );
    }

    #[test]
    fn json_flags_parse_or_name_the_parameter() {
        let v = json_arg(&matches(&["--j", "[1]"]), "J").unwrap();
        assert_eq!(v.unwrap(), serde_json::json!([1]));
        assert!(json_arg(&matches(&[]), "J").unwrap().is_none());
        let err = json_arg(&matches(&["--j", "{"]), "J").unwrap_err();
        assert!(
            matches!(&err, CliError::Usage(m) if m.starts_with("J:")),
            "{err:?}"
        );
    }

    #[test]
    fn flags_become_an_object_keyed_by_wire_names() {
        let spec = crate::generated::commands::COMMANDS
            .iter()
            .find(|c| {
                c.flags.iter().any(|f| f.kind == FlagKind::Json)
                    && c.flags.iter().any(|f| f.kind == FlagKind::List)
            })
            .expect("an operation with a JSON and a list parameter");
        let json_flag = spec
            .flags
            .iter()
            .find(|f| f.kind == FlagKind::Json)
            .unwrap();
        let list_flag = spec
            .flags
            .iter()
            .find(|f| f.kind == FlagKind::List)
            .unwrap();
        let m = spec
            .command()
            .try_get_matches_from([
                spec.name,
                &format!("--{}", list_flag.long),
                "a,b",
                &format!("--{}", json_flag.param),
                "[]",
            ])
            .unwrap();
        let input = spec.input(&m).unwrap();
        assert_eq!(input[list_flag.param], serde_json::json!(["a", "b"]));
        assert_eq!(input[json_flag.param], serde_json::json!([]));
        assert_eq!(input.len(), 2);
    }

    #[test]
    fn an_open_enum_flag_lists_its_known_values_and_takes_others() {
        let spec = crate::generated::commands::COMMANDS
            .iter()
            .find(|c| c.name == "get-play-info")
            .unwrap();
        let formats = spec.flags.iter().find(|f| f.param == "Formats").unwrap();
        assert!(
            formats
                .help
                .contains("Known values: mp4, m3u8, mp3, flv, mpd."),
            "{}",
            formats.help
        );
        let m = spec
            .command()
            .try_get_matches_from([spec.name, "--video-id", "v", "--formats", "mp4,webm"])
            .unwrap();
        let input = spec.input(&m).unwrap();
        assert_eq!(input["Formats"], serde_json::json!(["mp4", "webm"]));
    }

    #[test]
    fn skeletons_are_in_the_form_typed_inputs_read() {
        let skeleton = |name: &str| {
            let spec = crate::generated::commands::COMMANDS
                .iter()
                .find(|c| c.name == name)
                .unwrap();
            let mut v = spec.skeleton();
            v.as_object_mut().unwrap().retain(|_, x| !x.is_null());
            v
        };
        // The docs' example writes PreviewTime as text (it goes so on the
        // wire); the input takes a number.
        let v = skeleton("get-play-info");
        assert_eq!(v["PlayConfig"]["PreviewTime"], serde_json::json!(20));
        serde_json::from_value::<aliyun_vod::get_play_info::GetPlayInfoInput>(v).unwrap();
        // Integer list items: a masked example becomes a placeholder number.
        let v = skeleton("create-upload-attached-media");
        assert_eq!(v["CateIds"], serde_json::json!([0, 0]));
        serde_json::from_value::<
            aliyun_vod::create_upload_attached_media::CreateUploadAttachedMediaInput,
        >(v)
        .unwrap();
    }
}
