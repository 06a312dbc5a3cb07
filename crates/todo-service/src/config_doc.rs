//! Keeps a README's configuration table and a binary's `--help` in agreement:
//! the binaries' tests run [`table_problems`] on their clap command and their
//! README, and fail with one line per variable that is missing or wrong.
//!
//! The table is the first Markdown table under the given heading, with the
//! variables in the first column and their defaults in the second:
//!
//! ```text
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `HOST`, `PORT` | `0.0.0.0`, `8000` (`todo-app`: `127.0.0.1`, `3000`) | where to listen |
//! ```
//!
//! The backticked names in the first column are the row's variables, in order;
//! the backticked values in the second column are their defaults, in the same
//! order (only the defaults of variables that have one are compared, so a row
//! may say "unset" or "per provider" for those that have none). A group
//! ``(`name`: `v1`, `v2`)`` gives the defaults of another binary that shares the
//! table, in the same order.

use std::collections::BTreeMap;

/// One row of a configuration table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow {
    /// Backticked upper-case names of the first column.
    pub variables: Vec<String>,
    /// Backticked values of the second column outside any binary group.
    pub defaults: Vec<String>,
    /// Backticked values of each ``(`binary`: ...)`` group of the second column.
    pub binary_defaults: BTreeMap<String, Vec<String>>,
}

/// Texts between backticks, in order.
fn backticked(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_string).collect()
}

fn is_variable_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Splits a default cell into its own values and the ``(`binary`: ...)`` groups.
fn parse_defaults(cell: &str) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut own = String::new();
    let mut groups = BTreeMap::new();
    let mut rest = cell;
    while let Some(start) = rest.find("(`") {
        let after = &rest[start + 2..];
        let group = after.find("`:").map(|end| (&after[..end], &after[end + 2..]));
        match group {
            Some((binary, tail)) if !binary.contains('`') => {
                own.push_str(&rest[..start]);
                let close = tail.find(')').unwrap_or(tail.len());
                groups.insert(binary.to_string(), backticked(&tail[..close]));
                rest = &tail[(close + 1).min(tail.len())..];
            }
            _ => {
                own.push_str(&rest[..start + 2]);
                rest = after;
            }
        }
    }
    own.push_str(rest);
    (backticked(&own), groups)
}

/// The rows of the first table under the heading line `heading` (e.g.
/// `## Configuration`), or `None` when there is no such heading or table.
pub fn parse_table(markdown: &str, heading: &str) -> Option<Vec<TableRow>> {
    let mut lines = markdown.lines().skip_while(|l| l.trim() != heading).skip(1);
    let mut table: Vec<&str> = Vec::new();
    for line in lines.by_ref() {
        let line = line.trim();
        if line.starts_with('|') {
            table.push(line);
        } else if !table.is_empty() || line.starts_with('#') {
            break;
        }
    }
    if table.len() < 2 {
        return None;
    }
    // Header and separator first.
    let rows = table[2..]
        .iter()
        .map(|line| {
            let line = line.replace("\\|", "\u{0}");
            let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
            let variables =
                backticked(cells.first().copied().unwrap_or("")).into_iter().filter(|v| is_variable_name(v)).collect();
            let (defaults, binary_defaults) =
                parse_defaults(&cells.get(1).copied().unwrap_or("").replace('\u{0}', "|"));
            TableRow { variables, defaults, binary_defaults }
        })
        .collect();
    Some(rows)
}

/// A documented setting of a clap command: its environment variable and default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvSetting {
    /// The environment variable, like `DATABASE_URL`.
    pub env: String,
    /// Its default as `--help` shows it, if any.
    pub default: Option<String>,
    /// The flag, like `--database-url`.
    pub flag: String,
}

/// The environment variables of `cmd`'s visible arguments, with their defaults
/// as `--help` shows them (several values joined with `,`).
pub fn env_settings(cmd: &clap::Command) -> Vec<EnvSetting> {
    cmd.get_arguments()
        .filter(|a| !a.is_hide_set())
        .filter_map(|a| {
            let env = a.get_env()?.to_string_lossy().into_owned();
            let defaults: Vec<String> =
                a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
            Some(EnvSetting {
                env,
                default: (!defaults.is_empty()).then(|| defaults.join(",")),
                flag: a.get_long().map(|l| format!("--{l}")).unwrap_or_else(|| a.get_id().to_string()),
            })
        })
        .collect()
}

/// Where a table's defaults for a binary come from: its own column, or the
/// ``(`binary`: ...)`` groups where a row has one.
#[derive(Debug, Clone, Copy)]
pub enum Defaults<'a> {
    /// The binary whose defaults are the row's own values (`todo-api`).
    Own,
    /// A binary sharing the table, whose defaults are in its groups where a
    /// row has one, and the row's own values otherwise (`todo-app`).
    Group(&'a str),
}

/// Every disagreement between `cmd` (named `binary`, e.g. `todo-api`) and the
/// table under `heading` in `markdown` (named `readme`, e.g. `README.md`), one
/// self-contained line each; empty when they agree. Variables whose names end
/// in `_FILE` (covered by the README's note on secrets in files) need no row.
pub fn table_problems(
    cmd: &clap::Command,
    binary: &str,
    defaults: Defaults<'_>,
    markdown: &str,
    readme: &str,
    heading: &str,
) -> Vec<String> {
    let Some(rows) = parse_table(markdown, heading) else {
        return vec![format!("{readme}: no table under the heading {heading:?}")];
    };
    let settings = env_settings(cmd);
    let mut problems = Vec::new();
    for s in &settings {
        let row = rows.iter().find(|r| r.variables.contains(&s.env));
        let Some(row) = row else {
            if !s.env.ends_with("_FILE") {
                let default = s.default.as_deref().map(|d| format!("`{d}`")).unwrap_or_else(|| "unset".into());
                problems.push(format!(
                    "{readme} ({heading}): `{}` ({} of {binary}, default {default}) has no row; add `| `{}` | {default} | ... |`",
                    s.env, s.flag, s.env
                ));
            }
            continue;
        };
        let Some(expected) = &s.default else { continue };
        let index = row.variables.iter().position(|v| *v == s.env).unwrap_or_default();
        let values = match defaults {
            Defaults::Group(name) => row.binary_defaults.get(name).unwrap_or(&row.defaults),
            Defaults::Own => &row.defaults,
        };
        let place = match defaults {
            Defaults::Group(name) if row.binary_defaults.contains_key(name) => format!(" in its (`{name}`: ...) group"),
            _ => String::new(),
        };
        match values.get(index) {
            Some(documented) if documented == expected => {}
            Some(documented) => problems.push(format!(
                "{readme} ({heading}): `{}` defaults to `{expected}` in `{binary} --help`, but the table says `{documented}`{place}",
                s.env
            )),
            None => problems.push(format!(
                "{readme} ({heading}): `{}` defaults to `{expected}` in `{binary} --help`, but its row has no default at position {} of its Default column{place} (write it as `{expected}`)",
                s.env,
                index + 1
            )),
        }
    }
    for row in &rows {
        for v in &row.variables {
            if !settings.iter().any(|s| s.env == *v) {
                problems.push(format!(
                    "{readme} ({heading}): `{v}` is in the table, but `{binary} --help` has no such variable"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use clap::{Arg, Command};

    use super::*;

    const README: &str = "# x\n\n## Configuration\n\nText.\n\n| Variable | Default | Meaning |\n|---|---|---|\n\
        | `HOST`, `PORT` | `0.0.0.0`, `8000` (`todo-app`: `127.0.0.1`, `3000`) | where (`a\\|b`) |\n\
        | `SECRET` (or `SECRET_FILE`) | random per process | the key |\n\
        | `MODEL` | per provider (`gpt`, `llama`) | model |\n\
        | `TTL_SECS`, `RETRIES` | `604800` (7 days), `2` | limits |\n\n## Next\n\n| `NOT_CONFIG` | x | y |\n";

    fn cmd(port: &'static str, ttl: &'static str) -> Command {
        Command::new("t")
            .arg(Arg::new("host").long("host").env("HOST").default_value("0.0.0.0"))
            .arg(Arg::new("port").long("port").env("PORT").default_value(port))
            .arg(Arg::new("secret").long("secret").env("SECRET"))
            .arg(Arg::new("secret_file").long("secret-file").env("SECRET_FILE"))
            .arg(Arg::new("model").long("model").env("MODEL"))
            .arg(Arg::new("ttl").long("ttl-secs").env("TTL_SECS").default_value(ttl))
            .arg(Arg::new("retries").long("retries").env("RETRIES").default_value("2"))
            .arg(Arg::new("hidden").long("hidden").env("HIDDEN").default_value("1").hide(true))
    }

    fn problems(c: &Command, d: Defaults<'_>, md: &str) -> Vec<String> {
        table_problems(c, "t", d, md, "README.md", "## Configuration")
    }

    #[test]
    fn rows_hold_variables_defaults_and_binary_groups() {
        let rows = parse_table(README, "## Configuration").unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].variables, ["HOST", "PORT"]);
        assert_eq!(rows[0].defaults, ["0.0.0.0", "8000"]);
        assert_eq!(rows[0].binary_defaults["todo-app"], ["127.0.0.1", "3000"]);
        assert_eq!(rows[1].variables, ["SECRET", "SECRET_FILE"]);
        assert!(rows[1].defaults.is_empty());
        assert_eq!(rows[2].defaults, ["gpt", "llama"], "an ordinary parenthesis is not a binary group");
        assert_eq!(rows[3].defaults, ["604800", "2"]);
    }

    #[test]
    fn an_agreeing_table_has_no_problems() {
        assert_eq!(problems(&cmd("8000", "604800"), Defaults::Own, README), Vec::<String>::new());
        let launcher = cmd("3000", "604800").mut_arg("host", |a| a.default_value("127.0.0.1"));
        assert_eq!(problems(&launcher, Defaults::Group("todo-app"), README), Vec::<String>::new());
    }

    #[test]
    fn each_disagreement_is_named() {
        let p = problems(&cmd("9000", "60"), Defaults::Own, README);
        assert_eq!(p.len(), 2, "{p:#?}");
        assert!(p[0].contains("`PORT` defaults to `9000` in `t --help`, but the table says `8000`"), "{}", p[0]);
        assert!(p[1].contains("`TTL_SECS` defaults to `60`"), "{}", p[1]);

        let extra = cmd("8000", "604800").arg(Arg::new("new").long("new-limit").env("NEW_LIMIT").default_value("5"));
        let p = problems(&extra, Defaults::Own, README);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].contains("`NEW_LIMIT` (--new-limit of t, default `5`) has no row"), "{}", p[0]);

        let fewer = Command::new("t").arg(Arg::new("host").long("host").env("HOST").default_value("0.0.0.0"));
        let p = problems(&fewer, Defaults::Own, README);
        for gone in ["PORT", "SECRET", "SECRET_FILE", "MODEL", "TTL_SECS", "RETRIES"] {
            assert!(p.iter().any(|l| l.contains(&format!("`{gone}` is in the table, but"))), "{gone}: {p:#?}");
        }

        let launcher = cmd("3000", "604800");
        let p = problems(&launcher, Defaults::Group("todo-app"), README);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert!(p[0].contains("`HOST` defaults to `0.0.0.0`") && p[0].contains("(`todo-app`: ...) group"), "{}", p[0]);

        let missing_value = README.replace("`604800` (7 days)", "7 days");
        let p = problems(&cmd("8000", "604800"), Defaults::Own, &missing_value);
        assert!(p[0].contains("`TTL_SECS` defaults to `604800`") && p[0].contains("the table says `2`"), "{p:#?}");
        assert_eq!(
            problems(&cmd("8000", "604800"), Defaults::Own, "no table"),
            ["README.md: no table under the heading \"## Configuration\""]
        );
    }
}
