//! Operation commands as data. `generated/commands.rs` holds one
//! [`CommandSpec`] per operation; this module turns an entry into a clap
//! command and a command line into the operation's input: a JSON object keyed
//! by wire names, which the runtime checks and encodes the way it does for the
//! typed SDK. Nothing here names an operation: adding one to `spec/` adds its
//! command.

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
    }

    /// The operation's input from the flags: a JSON object keyed by wire names.
    pub fn input(&self, m: &ArgMatches) -> Result<Map<String, Value>, CliError> {
        let mut input = Map::new();
        for f in self.flags {
            let value = match f.kind {
                FlagKind::Value => m.get_one::<String>(f.param).cloned().map(Value::String),
                FlagKind::List => list_arg(m, f.param)
                    .map(|items| Value::Array(items.into_iter().map(Value::String).collect())),
                FlagKind::Json => json_arg(m, f.param)?,
            };
            if let Some(value) = value {
                input.insert(f.param.to_owned(), value);
            }
        }
        Ok(input)
    }
}

/// A list flag: given once, the value is split on commas (`--job-ids a,b`);
/// given several times, each value is one item as typed, so URLs that contain
/// commas go in one flag each (`--upload-urls URL1 --upload-urls URL2`).
/// Items of a split value are trimmed; blank ones are kept so the spec's rules
/// can name them.
pub fn list_arg(m: &ArgMatches, id: &str) -> Option<Vec<String>> {
    let values: Vec<&String> = m.get_many::<String>(id)?.collect();
    match values.as_slice() {
        [one] => Some(one.split(',').map(|s| s.trim().to_owned()).collect()),
        many => Some(many.iter().map(|s| (*s).clone()).collect()),
    }
}

/// A JSON flag: the JSON text itself, or `@FILE` to read it from a file.
pub fn json_arg(m: &ArgMatches, id: &str) -> Result<Option<Value>, CliError> {
    let Some(raw) = m.get_one::<String>(id) else {
        return Ok(None);
    };
    let text = match raw.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::Usage(format!("parameter {id}: cannot read {path}: {e}")))?,
        None => raw.clone(),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| CliError::Usage(format!("parameter {id}: not valid JSON: {e}")))
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
        assert_eq!(list_arg(&matches(&[]), "L"), None);
        assert_eq!(
            list_arg(&matches(&["--l", "a, b,c"]), "L").unwrap(),
            ["a", "b", "c"]
        );
        assert_eq!(
            list_arg(&matches(&["--l", "http://h/a,b.mp4", "--l", "c d"]), "L").unwrap(),
            ["http://h/a,b.mp4", "c d"]
        );
        assert_eq!(
            list_arg(&matches(&["--l", "a,,b"]), "L").unwrap(),
            ["a", "", "b"]
        );
    }

    #[test]
    fn json_flags_parse_or_name_the_parameter() {
        let v = json_arg(&matches(&["--j", "[1]"]), "J").unwrap();
        assert_eq!(v.unwrap(), serde_json::json!([1]));
        assert!(json_arg(&matches(&[]), "J").unwrap().is_none());
        let err = json_arg(&matches(&["--j", "{"]), "J").unwrap_err();
        assert!(
            matches!(&err, CliError::Usage(m) if m.starts_with("parameter J:")),
            "{err:?}"
        );
    }

    #[test]
    fn flags_become_an_object_keyed_by_wire_names() {
        let spec = crate::generated::commands::COMMANDS
            .iter()
            .find(|c| c.flags.iter().any(|f| f.kind == FlagKind::Json))
            .expect("an operation with a JSON parameter");
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
}
